"""Pages of talk records (SPEC §6): the list, a talk, its form, a person's history ("my
talks" is supervision.obligations.mine_views).

Thin views: visibility, contents and edit rights come from supervision.talks.permissions,
what they read from supervision.talks.queries, writes (and the audit of confidential
reads) from supervision.talks.services. A talk out of reach is 404. Actions that change a
talk take its row lock, as the API does.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from supervision.common import clock
from supervision.common.errors import Invalid, ServiceError
from supervision.common.forms import add_errors, save_form
from supervision.common.pages import int_arg, paginate
from supervision.common.permissions import can
from supervision.common.uploads import uploaded_file
from supervision.extensions import db
from supervision.org.models import Person
from supervision.org.scope import current_scope
from supervision.talks import queries, services
from supervision.talks.forms import AttachmentForm, TalkForm, person_label
from supervision.talks.labels import TALK_STATUS_LABELS, talk_label_helpers
from supervision.talks.models import TALK_TYPES, Talk
from supervision.talks.permissions import (
    author_errors,
    can_delete,
    can_edit,
    contents_visible,
    may_sign,
    nameable_clause,
    participant_ids,
)

bp = Blueprint("talks", __name__, url_prefix="/talks")


@bp.context_processor
def _helpers():
    return {
        **talk_label_helpers(),
        "talk_types": TALK_TYPES,
        "today": clock.today(),
    }


def _talk(talk_id: int, lock: bool = False) -> Talk:
    """The talk if the caller may know about it (404 otherwise); `lock` for the page actions
    that change it, as the API does."""
    return queries.get_talk(current_user, talk_id, lock=lock)


# ------------------------------------------------------------------ lists


def _filtered(stmt):
    filters = {
        "type": request.args.get("type", ""),
        "status": request.args.get("status", ""),
        "period": request.args.get("period", "").strip(),
    }
    stmt = queries.filtered(
        stmt,
        type_=filters["type"] if filters["type"] in TALK_TYPES else None,
        status=filters["status"] if filters["status"] in TALK_STATUS_LABELS else None,
        period=filters["period"],
    )
    return queries.ordered(stmt, current_user), filters


@bp.get("/")
@login_required
def index():
    """Talks the caller may know about, filtered and paginated; never their contents."""
    stmt, filters = _filtered(queries.visible_select(current_user))
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
        queries.visible_select(current_user).where(Talk.interviewee_id == person_id)
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
    revised_by = services.revised_by_map(db.session, [talk.id]).get(talk.id)
    return render_template(
        "talks/detail.html",
        talk=talk,
        readable=readable,
        signed=signed,
        may_sign=may_sign(current_user, talk),
        may_edit=can_edit(current_user, talk),
        may_delete=talk.status == "draft" and can_delete(current_user, talk),
        paper_signed=any(a.kind == "signed_form" for a in talk.attachments),
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
    talk = _talk(talk_id, lock=True)
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
    talk = _talk(talk_id, lock=True)
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
            if key in form._fields:
                add_errors(form[key], msgs)
        return _detail(_talk(talk_id), exc.status, str(exc.message), upload=form)
    db.session.commit()
    flash(_("Attachment uploaded."), "success")
    return redirect(url_for("talks.detail", talk_id=talk_id))


# ------------------------------------------------------------------ form


def _form_page(form: TalkForm, talk: Talk | None, status: int):
    return render_template("talks/form.html", form=form, talk=talk), status


@bp.get("/people.json")
@login_required
def people_search():
    """People the writer may name whose name contains, or staff number starts with, `q`
    (for the suggestions of the form's people inputs): within the caller's scope only."""
    if not can(current_user, "talks.write"):
        abort(403)
    text = request.args.get("q", "")
    if len(text) > 100:
        return jsonify({"message": _("The search text is too long."), "people": []}), 422
    nameable = nameable_clause(current_user, current_scope())
    where = current_scope().person_clause()
    if nameable is not None:
        where = sa.and_(where, nameable)
    people = queries.search_people(text, where)
    return jsonify(
        {
            "people": [
                {
                    "id": p.id,
                    "staff_no": p.staff_no,
                    "name": p.name,
                    "unit": p.org_unit.name,
                    "label": person_label(p),
                    "is_active": p.is_active,
                }
                for p in people
            ]
        }
    )


def _save(form: TalkForm, write, talk: Talk | None = None):
    """Save through `write(data, nameable)` once the staff numbers resolve and the writer
    rule holds. A writer names only people of their scope (and the talk's present
    participants); anyone else reads as an unknown staff number (talks.permissions)."""

    def call():
        nameable = nameable_clause(current_user, current_scope())
        resolvable = nameable
        if nameable is not None and talk is not None:
            resolvable = sa.or_(nameable, Person.id.in_(participant_ids(talk)))
        data, ref_errors = form.to_data(resolvable)
        for key, messages in author_errors(
            current_user, interviewer_ids=data["interviewer_ids"], recorder_id=data["recorder_id"]
        ).items():
            ref_errors.setdefault(key, []).extend(messages)
        if ref_errors:
            raise Invalid("", ref_errors)
        return write(data, nameable)

    return save_form(form, call)


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
        form.period.data = request.args.get("period", "")
        interviewee = queries.people_by_id([int_arg("interviewee_id")])
        form.interviewee.data = next((person_label(p) for p in interviewee.values()), "")
        me = queries.people_by_id([current_user.person_id]).get(current_user.person_id)
        form.interviewers.data = person_label(me) if me else ""
        form.held_at.data = clock.local(clock.now()).replace(second=0, microsecond=0, tzinfo=None)
    created, status = _save(
        form,
        lambda d, nameable: services.create_talk(
            db.session, d, created_by_id=current_user.id, nameable=nameable
        ),
    )
    if created:
        flash(_("Talk record saved as a draft."), "success")
        return redirect(url_for("talks.detail", talk_id=created.id))
    return _form_page(form, None, status)


@bp.route("/<int:talk_id>/edit", methods=["GET", "POST"])
@login_required
def edit(talk_id: int):
    """Edit a draft (a final record is revised instead)."""
    talk = _talk(talk_id, lock=request.method == "POST")
    if not can_edit(current_user, talk):
        abort(403)
    if talk.status != "draft":
        return _detail(talk, 409, _("A final talk record cannot be changed: revise it instead."))
    if not contents_visible(current_user, talk):
        abort(404)
    form = TalkForm()
    if request.method == "GET":
        form.fill(talk)
    was_signed = bool(talk.signatures)
    saved, status = _save(
        form, lambda d, nameable: services.update_talk(db.session, talk, d, nameable), talk
    )
    if saved:
        flash(_("Talk record saved."), "success")
        if was_signed and not saved.signatures:
            flash(
                _(
                    "The record changed after it was signed, so its signatures were cleared: "
                    "the participants sign it again."
                ),
                "warning",
            )
        return redirect(url_for("talks.detail", talk_id=talk_id))
    return _form_page(form, _talk(talk_id), status)


# ------------------------------------------------------------------ delete


def _deletable(talk_id: int) -> Talk:
    """The draft the caller may delete, under its row lock (404 unseen, 403 not allowed,
    409 final)."""
    talk = _talk(talk_id, lock=request.method == "POST")
    if not can_delete(current_user, talk):
        abort(403)
    return talk


@bp.route("/<int:talk_id>/delete", methods=["GET", "POST"])
@login_required
def delete(talk_id: int):
    """Delete a draft after a confirmation page (its author or a discipline role)."""
    talk = _deletable(talk_id)
    if talk.status != "draft":
        return _detail(talk, 409, _("A final talk record is never deleted."))
    if request.method == "GET":
        return render_template("talks/delete.html", talk=talk)
    try:
        services.delete_draft(db.session, talk)
    except ServiceError as exc:
        db.session.rollback()
        return _detail(_talk(talk_id), exc.status, str(exc.message))
    db.session.commit()
    flash(_("The draft talk record #%(id)s was deleted.", id=talk_id), "success")
    return redirect(url_for("talks.index"))


@bp.route("/<int:talk_id>/attachments/<int:attachment_id>/remove", methods=["GET", "POST"])
@login_required
def remove_attachment(talk_id: int, attachment_id: int):
    """Remove an attachment from a draft after a confirmation page (editors who read it)."""
    talk = _talk(talk_id, lock=request.method == "POST")
    attachment = next((a for a in talk.attachments if a.id == attachment_id), None)
    if attachment is None or not contents_visible(current_user, talk):
        abort(404)
    if not can_edit(current_user, talk):
        abort(403)
    if talk.status != "draft":
        return _detail(talk, 409, _("A final talk record cannot be changed: revise it instead."))
    if request.method == "GET":
        return render_template("talks/remove_attachment.html", talk=talk, attachment=attachment)
    services.remove_attachment(db.session, talk, attachment)
    db.session.commit()
    flash(_("Attachment %(name)s removed.", name=attachment.filename), "success")
    return redirect(url_for("talks.detail", talk_id=talk_id))
