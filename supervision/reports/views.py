"""Report pages: the list of available reports, and the risk-inventory download form."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import DateField, Form, SelectChoice, SelectField
from wtforms.validators import Optional

from supervision.common.errors import ServiceError
from supervision.common.permissions import RISK_EDIT, current_risk_scope, roles_required
from supervision.extensions import db
from supervision.org.models import OrgUnit
from supervision.reports import risk_inventory
from supervision.risks.models import RiskCampaign

bp = Blueprint("reports", __name__)


class RiskInventoryForm(Form):
    """Which inventory to print (a GET form: downloading changes nothing but the audit log)."""

    campaign_id = SelectField(_l("Campaign"), choices=[], default="")
    org_unit_id = SelectField(_l("Unit"), choices=[], default="")
    as_of = DateField(_l("As of"), validators=[Optional()])
    format = SelectField(_l("Format"), choices=[SelectChoice("pdf", "PDF"), SelectChoice("xlsx", _l("Excel (.xlsx)"))], default="pdf")

    def fill_choices(self) -> None:
        """Units in the caller's risk scope (by tree order) and every campaign (newest first)."""
        scope = current_risk_scope()
        units = db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.depth).where(scope.unit_clause())
            .order_by(OrgUnit.path)).all()
        base = min((u.depth for u in units), default=0)
        self.org_unit_id.choices = [SelectChoice("", _l("— choose a unit —"))] + [
            SelectChoice(str(u.id), "\u3000" * (u.depth - base) + u.name) for u in units]
        campaigns = db.session.execute(
            sa.select(RiskCampaign.id, RiskCampaign.name, RiskCampaign.year)
            .order_by(RiskCampaign.year.desc(), RiskCampaign.id.desc())).all()
        self.campaign_id.choices = [SelectChoice("", _l("None: the current inventory"))] + [
            SelectChoice(str(c.id), f"{c.name} ({c.year})") for c in campaigns]

    def selection(self) -> dict:
        """The validated choice as arguments of risk_inventory.export()."""
        return {"org_unit_id": int(self.org_unit_id.data) if self.org_unit_id.data else None,
                "campaign_id": int(self.campaign_id.data) if self.campaign_id.data else None,
                "as_of": self.as_of.data}


@bp.get("/reports")
@login_required
@roles_required(*RISK_EDIT)
def index():
    """The available reports, with the form choosing a unit or a campaign."""
    form = RiskInventoryForm()
    form.fill_choices()
    return render_template("reports/index.html", form=form)


@bp.get("/reports/risk-inventory")
@login_required
@roles_required(*RISK_EDIT)
def risk_inventory_download():
    """Download the chosen inventory (PDF or .xlsx), or show the form with its errors."""
    form = RiskInventoryForm(request.args)
    form.fill_choices()
    if form.validate():
        if not form.org_unit_id.data and not form.campaign_id.data:
            form.org_unit_id.errors = [_("Choose a unit, or a campaign.")]
        else:
            try:
                content, mime, filename = risk_inventory.export(
                    db.session, current_risk_scope(), form.format.data, **form.selection())
            except ServiceError as exc:
                db.session.rollback()
                for name, messages in (exc.errors or {"org_unit_id": [exc.message]}).items():
                    if name in form:
                        form[name].errors = list(messages)
            else:
                db.session.commit()
                return send_file(io.BytesIO(content), mimetype=mime, as_attachment=True,
                                 download_name=filename)
    return render_template("reports/index.html", form=form), 422
