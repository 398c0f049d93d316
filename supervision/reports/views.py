"""Report pages: the list of available reports and their download forms.

Each role sees the sections it may read: the talk completion report (通报) for the roles that
read obligations, the risk inventory for the risk roles (leaders and
the discipline roles), the rotation reports (candidates list, 应轮尽轮) for the roles that
read rotation (admin, hr, the discipline roles).

A report scales with the branch, so it is never made in the request (issue 14): the form
(a POST with its CSRF token) or a link from a dashboard (a GET with the same fields) queues
a report job after the checks a download would make, and goes to the job's page, which
shows the progress and offers the file (supervision.reports.job_views). A bad choice
re-renders the page with the errors inline and queues nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DateField, Form, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from supervision.common import clock
from supervision.common.errors import ServiceError
from supervision.common.periods import Period
from supervision.common.permissions import can, requires
from supervision.extensions import db
from supervision.obligations import rules as obligation_rules
from supervision.obligations.permissions import readable_obligations
from supervision.org import queries as org_queries
from supervision.org.scope import Scope, current_risk_scope, current_scope
from supervision.reports import jobs, runner
from supervision.risks.models import RiskCampaign
from supervision.rotation import rules as rotation_rules
from supervision.rotation.labels import ROTATION_STATUS_LABELS
from supervision.talks.labels import TALK_TYPE_LABELS

bp = Blueprint("reports", __name__)


FORMAT_CHOICES = [SelectChoice("pdf", "PDF"), SelectChoice("xlsx", _l("Excel (.xlsx)"))]


def _unit_choices(scope: Scope, empty_label) -> list[SelectChoice]:
    """Units in `scope` by tree order, indented, after an empty choice."""
    return [SelectChoice("", empty_label)] + [
        SelectChoice(str(uid), label) for uid, label in org_queries.indented_units(scope)
    ]


class RiskInventoryForm(Form):
    """Which inventory to print (a GET form: downloading changes nothing but the audit log)."""

    campaign_id = SelectField(_l("Campaign"), choices=[], default="")
    org_unit_id = SelectField(_l("Unit"), choices=[], default="")
    as_of = DateField(_l("As of"), validators=[Optional()])
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("pdf", "PDF"), SelectChoice("xlsx", _l("Excel (.xlsx)"))],
        default="pdf",
    )

    def fill_choices(self) -> None:
        """Units in the caller's risk scope (by tree order) and every campaign (newest first)."""
        self.org_unit_id.choices = _unit_choices(current_risk_scope(), _l("— choose a unit —"))
        campaigns = db.session.execute(
            sa.select(RiskCampaign.id, RiskCampaign.name, RiskCampaign.year).order_by(
                RiskCampaign.year.desc(), RiskCampaign.id.desc()
            )
        ).all()
        self.campaign_id.choices = [SelectChoice("", _l("None: the current inventory"))] + [
            SelectChoice(str(c.id), f"{c.name} ({c.year})") for c in campaigns
        ]

    def selection(self) -> dict:
        """The validated choice: the report job's parameters."""
        return {
            "org_unit_id": int(self.org_unit_id.data) if self.org_unit_id.data else None,
            "campaign_id": int(self.campaign_id.data) if self.campaign_id.data else None,
            "as_of": self.as_of.data,
        }


class RotationCandidatesForm(Form):
    """Which candidates list to print (轮岗交流人选名单)."""

    org_unit_id = SelectField(_l("Unit"), choices=[], default="")
    as_of = DateField(_l("As of"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], default="")
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="pdf")

    def fill_choices(self) -> None:
        """Units in the caller's scope; every status, the default being due and upcoming."""
        self.org_unit_id.choices = _unit_choices(current_scope(), _l("Whole organisation"))
        self.status.choices = [SelectChoice("", _l("Due and upcoming, then the exceptions"))] + [
            SelectChoice(s, ROTATION_STATUS_LABELS[s]) for s in rotation_rules.STATUSES
        ]

    def selection(self) -> dict:
        """The validated choice: the report job's parameters."""
        return {
            "org_unit_id": int(self.org_unit_id.data) if self.org_unit_id.data else None,
            "as_of": self.as_of.data,
            "status": self.status.data or None,
        }


class RotationCompletionForm(Form):
    """Which 应轮尽轮 report to print."""

    period = StringField(
        _l("Period"),
        validators=[InputRequired(), Length(max=16)],
        default=lambda: str(clock.today().year),
    )
    org_unit_id = SelectField(_l("Unit"), choices=[], default="")
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="pdf")

    def fill_choices(self) -> None:
        """Units in the caller's scope."""
        self.org_unit_id.choices = _unit_choices(current_scope(), _l("Whole organisation"))

    def selection(self) -> dict:
        """The validated choice: the report job's parameters."""
        return {
            "org_unit_id": int(self.org_unit_id.data) if self.org_unit_id.data else None,
            "period": self.period.data.strip(),
        }


class TalkCompletionForm(Form):
    """Which talk completion report (通报) to print."""

    period = StringField(
        _l("Period"),
        validators=[InputRequired(), Length(max=16)],
        default=lambda: str(Period.of(clock.today(), "quarter")),
    )
    type = SelectField(_l("Talk type"), choices=[], default="")
    org_unit_id = SelectField(_l("Unit"), choices=[], default="")
    as_of = DateField(_l("As of"), validators=[Optional()])
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="pdf")

    def fill_choices(self) -> None:
        """The obligation types, and the units of the obligations the caller may read."""
        self.type.choices = [SelectChoice("", _l("Every type owed for this period"))] + [
            SelectChoice(t, TALK_TYPE_LABELS[t]) for t in obligation_rules.OBLIGATION_TYPES
        ]
        self.org_unit_id.choices = _unit_choices(
            readable_obligations()[0], _l("By the units under the top of your scope")
        )

    def selection(self) -> dict:
        """The validated choice: the report job's parameters."""
        return {
            "period": self.period.data.strip(),
            "type": self.type.data or None,
            "org_unit_id": int(self.org_unit_id.data) if self.org_unit_id.data else None,
            "as_of": self.as_of.data,
        }


def _page(status: int = 200, **forms):
    """The reports page with the sections the user may read (forms given keep their input)."""
    context = {
        "retention_days": int(
            current_app.config.get("REPORT_RETENTION_DAYS") or jobs.RETENTION_DAYS
        ),
        "form": None,
        "candidates_form": None,
        "completion_form": None,
        "talk_completion_form": None,
        "inspections": None,
    }
    if can(current_user, "obligations.read"):
        context["talk_completion_form"] = forms.get("talk_completion_form") or TalkCompletionForm()
    if can(current_user, "risks.edit"):
        context["form"] = forms.get("form") or RiskInventoryForm()
    if can(current_user, "rotation.read"):
        context["candidates_form"] = forms.get("candidates_form") or RotationCandidatesForm()
        context["completion_form"] = forms.get("completion_form") or RotationCompletionForm()
    if can(current_user, "rectification.documents"):
        context["inspections"] = _inspections()
    for key, form in context.items():
        if key.endswith("form") and form is not None and form not in forms.values():
            form.fill_choices()
    return render_template("reports/index.html", **context), status


def _inspections() -> list:
    """The latest inspections, whose notice and ledger the page links to (SPEC §9, §14)."""
    from supervision.rectification.models import Inspection

    return list(
        db.session.scalars(
            sa.select(Inspection).order_by(Inspection.feedback_on.desc(), Inspection.id).limit(20)
        )
    )


def _queue(form, kind: str, page_key: str):
    """Validate a report form (POSTed, or a dashboard's GET link) and queue its report job:
    to the job's page, or the reports page with the errors inline (nothing queued)."""
    form.fill_choices()
    if form.validate():
        try:
            job = jobs.request_report(
                db.session, current_user, kind, form.format.data, form.selection()
            )
        except ServiceError as exc:
            db.session.rollback()
            for name, messages in (exc.errors or {"org_unit_id": [exc.message]}).items():
                if name in form:
                    form[name].errors = list(messages)
        else:
            db.session.commit()
            runner.notify(current_app._get_current_object())
            return redirect(url_for("report_jobs.show", job_id=job.id), 303)
    return _page(422, **{page_key: form})


def _input():
    """The form's fields: the POSTed form, or the query of a GET link."""
    return request.form if request.method == "POST" else request.args


@bp.get("/reports")
@login_required
@requires("reports.read")
def index():
    """The available reports, with their forms."""
    return _page()


@bp.route("/reports/risk-inventory", methods=["GET", "POST"])
@login_required
@requires("risks.edit")
def risk_inventory_download():
    """Queue the chosen inventory (PDF or .xlsx), or show the form with its errors."""
    return _queue(RiskInventoryForm(_input()), "risk-inventory", "form")


@bp.route("/reports/rotation-candidates", methods=["GET", "POST"])
@login_required
@requires("rotation.read")
def rotation_candidates_download():
    """Queue the rotation candidates list, or show the form with its errors."""
    return _queue(RotationCandidatesForm(_input()), "rotation-candidates", "candidates_form")


@bp.route("/reports/rotation-completion", methods=["GET", "POST"])
@login_required
@requires("rotation.read")
def rotation_completion_download():
    """Queue the 应轮尽轮 report, or show the form with its errors."""
    return _queue(RotationCompletionForm(_input()), "rotation-completion", "completion_form")


@bp.route("/reports/talk-completion", methods=["GET", "POST"])
@login_required
@requires("obligations.read")
def talk_completion_download():
    """Queue the talk completion report (通报), or show the form with its errors."""
    return _queue(TalkCompletionForm(_input()), "talk-completion", "talk_completion_form")
