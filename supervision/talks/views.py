"""Pages of talk records (SPEC §6): my talks to hold, the list, a talk, its form, a person's
history.

Thin views: visibility, contents and edit rights come from supervision.talks.permissions,
writes (and the audit of confidential reads) from supervision.talks.services and the
obligations from supervision.talks.obligations. A talk out of reach is 404.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from supervision.common import clock
from supervision.common.api import MAX_ID
from supervision.common.errors import ServiceError
from supervision.common.pages import paginate
from supervision.common.periods import Period, overdue_from
from supervision.common.permissions import can
from supervision.common.uploads import uploaded_file
from supervision.extensions import db
from supervision.org.models import Person
from supervision.org.scope import EVERYTHING, current_scope, led_scope
from supervision.talks import obligations, rules, services
from supervision.talks.forms import (
    FIELD_LABELS,
    KIND_LABELS,
    OBLIGATION_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    AttachmentForm,
    TalkForm,
)
from supervision.talks.models import TALK_TYPES, Talk, TalkInterviewer, TalkSignature
from supervision.talks.permissions import (
    author_errors,
    can_edit,
    contents_visible,
    participant_clause,
    visible_clause,
)

bp = Blueprint("talks", __name__, url_prefix="/talks")

_LOADS = (
    selectinload(Talk.interviewers).selectinload(TalkInterviewer.person),
    selectinload(Talk.signatures),
    selectinload(Talk.attachments),
    selectinload(Talk.interviewee),
    selectinload(Talk.recorder),
)
_OPEN_FIRST = {"overdue": 0, "pending": 1}


@bp.context_processor
def _helpers():
    return {
        "type_label": lambda v: TYPE_LABELS.get(v, v),
        "status_label": lambda v: STATUS_LABELS.get(v, v),
        "obligation_label": lambda v: OBLIGATION_LABELS.get(v, v),
        "kind_label": lambda v: KIND_LABELS.get(v, v),
        "field_label": lambda v: FIELD_LABELS.get(v, v),
        "talk_types": TALK_TYPES,
        "today": clock.today(),
    }


def _talk(talk_id: int) -> Talk:
    """The talk if the caller may know about it; 404 otherwise."""
    talk = db.session.scalar(
        sa.select(Talk).where(Talk.id == talk_id, visible_clause(current_user)).options(*_LOADS)
    )
    if talk is None:
        abort(404)
    return talk


def _names(ids) -> dict[int, Person]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


# ------------------------------------------------------------------ my talks


#: How many earlier periods of each kind "my talks" looks back at for overdue obligations.
LOOK_BACK = {"quarter": 3, "half": 1, "year": 1}


def _owed(person_id: int) -> tuple[list, list, dict[str, date]]:
    """The obligations this person conducts: those of the current period of each type, and
    the still-overdue ones of the earlier periods of LOOK_BACK (to make up, 补谈), with
    {earlier period: the date it has been overdue since}."""
    session = db.session
    settings = obligations.get_rules(session)
    scope = EVERYTHING if can(current_user, "obligations.read_all") else led_scope(current_user)
    today = clock.today()
    current, earlier, since = [], [], {}
    for type_ in rules.OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        period = Period.of(today, kind)
        for back in range(LOOK_BACK.get(kind, 1) + 1):
            found = [
                r
                for r in obligations.compute(
                    session,
                    period,
                    [type_],
                    as_of=today,
                    scope=scope,
                    viewer_id=person_id,
                    settings=settings,
                )
                if r.conductor_id == person_id and (back == 0 or r.status == "overdue")
            ]
            if back and found:
                since[str(period)] = overdue_from(period)
            (earlier if back else current).extend(found)
            period = period.previous()
    current.sort(key=lambda r: (_OPEN_FIRST.get(r.status, 2), r.due_date, r.person_id))
    earlier.sort(key=lambda r: (r.due_date, r.person_id))
    return current, earlier, since


@bp.get("/mine")
@login_required
def mine():
    """My talks to hold (this period, and overdue ones of earlier periods), talks awaiting
    my signature, and my drafts."""
    me = current_user.person_id
    owed, earlier, since, to_sign, drafts = [], [], {}, [], []
    if me is not None:
        owed, earlier, since = _owed(me)
        signed = sa.select(TalkSignature.talk_id).where(TalkSignature.person_id == me)
        to_sign = db.session.scalars(
            sa.select(Talk)
            .where(
                Talk.status == "draft",
                Talk.id.not_in(signed),
                sa.or_(
                    Talk.interviewee_id == me,
                    Talk.id.in_(
                        sa.select(TalkInterviewer.talk_id).where(TalkInterviewer.person_id == me)
                    ),
                ),
            )
            .order_by(Talk.id.desc())
            .limit(200)
            .options(*_LOADS)
        ).all()
        drafts = db.session.scalars(
            sa.select(Talk)
            .where(
                Talk.status == "draft",
                sa.or_(Talk.created_by_id == current_user.id, participant_clause(me)),
            )
            .order_by(Talk.id.desc())
            .limit(200)
            .options(*_LOADS)
        ).all()
        drafts = [t for t in drafts if can_edit(current_user, t)]
    return render_template(
        "talks/mine.html",
        owed=owed,
        earlier=earlier,
        overdue_since=since,
        people=_names(o.person_id for o in [*owed, *earlier]),
        to_sign=to_sign,
        drafts=drafts,
        can_write=can(current_user, "talks.write"),
    )


# ------------------------------------------------------------------ lists


def _filtered(stmt):
    filters = {
        "type": request.args.get("type", ""),
        "status": request.args.get("status", ""),
        "period": request.args.get("period", "").strip()[:8],
    }
    if filters["type"] in TALK_TYPES:
        stmt = stmt.where(Talk.type == filters["type"])
    if filters["status"] in STATUS_LABELS:
        stmt = stmt.where(Talk.status == filters["status"])
    if filters["period"]:
        try:
            stmt = stmt.where(Talk.period == str(Period.parse(filters["period"])))
        except ValueError:
            stmt = stmt.where(sa.false())
    return stmt.order_by(Talk.held_at.is_(None), Talk.held_at.desc(), Talk.id.desc()), filters


@bp.get("/")
@login_required
def index():
    """Talks the caller may know about, filtered and paginated; never their contents."""
    stmt, filters = _filtered(sa.select(Talk).where(visible_clause(current_user)).options(*_LOADS))
    return render_template(
        "talks/index.html",
        page=paginate(stmt),
        filters=filters,
        can_write=can(current_user, "talks.write"),
    )


@bp.get("/person/<int:person_id>")
@login_required
def person_history(person_id: int):
    """The talks a person received, within what the caller may know about (404 out of scope)."""
    person = db.session.scalar(
        sa.select(Person).where(Person.id == person_id, current_scope().person_clause())
    )
    if person is None:
        abort(404)
    stmt, filters = _filtered(
        sa.select(Talk)
        .where(visible_clause(current_user), Talk.interviewee_id == person_id)
        .options(*_LOADS)
    )
    return render_template("talks/person.html", person=person, page=paginate(stmt), filters=filters)


# ------------------------------------------------------------------ one talk


def _detail(
    talk: Talk,
    status: int = 200,
    error: str | None = None,
    missing: dict | None = None,
    upload: AttachmentForm | None = None,
):
    readable = contents_visible(current_user, talk)
    if readable and status == 200:
        services.record_read(db.session, talk)
        db.session.commit()
        talk = _talk(talk.id)
    signed = {s.person_id: s for s in talk.signatures}
    me = current_user.person_id
    may_sign = (
        talk.status == "draft"
        and me is not None
        and me not in signed
        and (me == talk.interviewee_id or me in {i.person_id for i in talk.interviewers})
    )
    revised_by = services.revised_by_map(db.session, [talk.id]).get(talk.id)
    return render_template(
        "talks/detail.html",
        talk=talk,
        readable=readable,
        signed=signed,
        may_sign=may_sign,
        may_edit=can_edit(current_user, talk),
        error=error,
        missing=missing,
        upload=upload or AttachmentForm(),
        revised_by=revised_by,
    ), status


@bp.get("/<int:talk_id>")
@login_required
def detail(talk_id: int):
    """One talk: fields (contents for allowed readers, audited), participants, attachments,
    actions."""
    return _detail(_talk(talk_id))


def _act(talk_id: int, action, done: str, editor: bool = True):
    talk = _talk(talk_id)
    if editor and not can_edit(current_user, talk):
        abort(403)
    try:
        result = action(talk)
    except ServiceError as exc:
        db.session.rollback()
        talk = _talk(talk_id)
        missing = exc.errors if action is _finalize else None
        return _detail(talk, exc.status, str(exc.message), missing=missing)
    db.session.commit()
    flash(done, "success")
    target = result.id if isinstance(result, Talk) else talk_id
    return redirect(url_for("talks.detail", talk_id=target))


def _finalize(talk: Talk) -> Talk:
    return services.finalize(db.session, talk)


@bp.post("/<int:talk_id>/sign")
@login_required
def sign(talk_id: int):
    """Sign the record as the interviewee or an interviewer."""
    return _act(
        talk_id,
        lambda t: services.sign(db.session, t, current_user.person_id, current_user.id),
        _("You signed the talk record."),
        editor=False,
    )


@bp.post("/<int:talk_id>/finalize")
@login_required
def finalize(talk_id: int):
    """Make a complete draft final (lists what is missing otherwise)."""
    return _act(talk_id, _finalize, _("The talk record is final."))


@bp.post("/<int:talk_id>/revise")
@login_required
def revise(talk_id: int):
    """Start a correction of a final record (a new linked draft)."""
    return _act(
        talk_id,
        lambda t: services.revise(db.session, t, created_by_id=current_user.id),
        _("A revision was started as a draft."),
    )


@bp.post("/<int:talk_id>/attachments")
@login_required
def attach(talk_id: int):
    """Upload an attachment to a draft."""
    talk = _talk(talk_id)
    if not can_edit(current_user, talk):
        abort(403)
    form = AttachmentForm()
    if not form.validate_on_submit():
        return _detail(talk, 422, _("The upload could not be read."), upload=form)
    try:
        filename, data = uploaded_file("file")
        services.add_attachment(
            db.session, talk, form.kind.data, filename, data, uploaded_by_id=current_user.id
        )
    except ServiceError as exc:
        db.session.rollback()
        for key, msgs in (exc.errors or {}).items():
            target = form._fields.get(key)
            if target is not None:
                target.errors = [*target.errors, *(str(m) for m in msgs)]
        return _detail(_talk(talk_id), exc.status, str(exc.message), upload=form)
    db.session.commit()
    flash(_("Attachment uploaded."), "success")
    return redirect(url_for("talks.detail", talk_id=talk_id))


# ------------------------------------------------------------------ form


def _people_hints() -> list[Person]:
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(Person.is_active, current_scope().person_clause())
            .order_by(Person.staff_no)
            .limit(2000)
        )
    )


def _form_page(form: TalkForm, talk: Talk | None, status: int):
    return render_template("talks/form.html", form=form, talk=talk, people=_people_hints()), status


def _save(form: TalkForm, write):
    if not form.validate_on_submit():
        return None, 422 if request.method == "POST" else 200
    data, ref_errors = form.to_data()
    for key, messages in author_errors(
        db.session,
        current_user,
        current_scope(),
        interviewer_ids=data["interviewer_ids"],
        recorder_id=data["recorder_id"],
        interviewee_id=data["interviewee_id"],
        unknown_person=_("No person with this staff number."),
    ).items():
        ref_errors.setdefault(key, []).extend(messages)
    if ref_errors:
        form.put_errors("", ref_errors)
        return None, 422
    try:
        obj = write(data)
    except ServiceError as exc:
        db.session.rollback()
        form.put_errors(exc.message, exc.errors)
        return None, exc.status
    db.session.commit()
    return obj, None


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A new draft; ?type=, ?interviewee_id= and ?period= prefill it (interviewer = me)."""
    if not can(current_user, "talks.write"):
        abort(403)
    form = TalkForm()
    if request.method == "GET":
        if request.args.get("type") in TALK_TYPES:
            form.type.data = request.args["type"]
        form.period.data = request.args.get("period", "")[:8]
        interviewee = _names([_int_arg("interviewee_id")])
        form.interviewee.data = next((p.staff_no for p in interviewee.values()), "")
        me = _names([current_user.person_id]).get(current_user.person_id)
        form.interviewers.data = me.staff_no if me else ""
        form.held_at.data = clock.local(clock.now()).replace(second=0, microsecond=0, tzinfo=None)
    created, status = _save(
        form, lambda d: services.create_talk(db.session, d, created_by_id=current_user.id)
    )
    if created:
        flash(_("Talk record saved as a draft."), "success")
        return redirect(url_for("talks.detail", talk_id=created.id))
    return _form_page(form, None, status)


@bp.route("/<int:talk_id>/edit", methods=["GET", "POST"])
@login_required
def edit(talk_id: int):
    """Edit a draft (a final record is revised instead)."""
    talk = _talk(talk_id)
    if not can_edit(current_user, talk):
        abort(403)
    if talk.status != "draft":
        return _detail(talk, 409, _("A final talk record cannot be changed: revise it instead."))
    if not contents_visible(current_user, talk):
        abort(404)
    form = TalkForm()
    if request.method == "GET":
        form.fill(talk)
    saved, status = _save(form, lambda d: services.update_talk(db.session, talk, d))
    if saved:
        flash(_("Talk record saved."), "success")
        return redirect(url_for("talks.detail", talk_id=talk_id))
    return _form_page(form, _talk(talk_id), status)
