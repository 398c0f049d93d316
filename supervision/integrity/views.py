"""Integrity file pages (廉政档案, SPEC §6): the list of leaders, one leader's file (audited
read), supervision notes with attachments, and the file as a PDF. The discipline roles and
HR read files (`integrity.read`); the discipline roles add notes (`integrity.write`). The
page and the PDF render the same sections from one builder (supervision.integrity.builder).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from supervision.common import clock, pdf, storage
from supervision.common.downloads import FileName, send_download
from supervision.common.errors import ServiceError
from supervision.common.forms import add_errors, save_form
from supervision.common.pages import paginate
from supervision.common.permissions import can, requires
from supervision.common.uploads import uploaded_file
from supervision.extensions import db
from supervision.integrity import builder
from supervision.integrity import services as integrity_services
from supervision.integrity.labels import NOTE_KIND_LABELS, RISK_ROLE_LABELS
from supervision.obligations.labels import OBLIGATION_STATUS_LABELS
from supervision.org.forms import options
from supervision.org.labels import LEADERSHIP_LABELS
from supervision.org.scope import current_scope
from supervision.rectification import labels as rectification_labels
from supervision.risks.labels import MEASURE_STATUS_LABELS, RISK_LEVEL_LABELS, RISK_STATUS_LABELS
from supervision.rotation import labels as rotation_labels
from supervision.talks.labels import TALK_STATUS_LABELS, TALK_TYPE_LABELS

bp = Blueprint("integrity", __name__, url_prefix="/integrity")


class NoteForm(FlaskForm):
    """A supervision note of the committee (函询, 述责述廉, other)."""

    kind = SelectField(
        _l("Note kind"),
        choices=options(NOTE_KIND_LABELS.items()),
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    noted_on = DateField(_l("Date"), validators=[InputRequired()])
    body = TextAreaField(_l("Details"), validators=[Optional(), Length(max=20000)])


class UploadForm(FlaskForm):
    """One file (PDF, JPEG or PNG; checked by the service) for a note."""

    file = FileField(_l("File"))


def _labels() -> dict:
    return {
        "type_labels": TALK_TYPE_LABELS,
        "leadership_labels": LEADERSHIP_LABELS,
        "talk_status_labels": TALK_STATUS_LABELS,
        "risk_status_labels": RISK_STATUS_LABELS,
        "obligation_status_labels": OBLIGATION_STATUS_LABELS,
        "kind_labels": NOTE_KIND_LABELS,
        "local": clock.local,
        "rotation_status_labels": rotation_labels.ROTATION_STATUS_LABELS,
        "rotation_reason_labels": rotation_labels.ROTATION_REASON_LABELS,
        "risk_role_labels": RISK_ROLE_LABELS,
        "risk_level_labels": RISK_LEVEL_LABELS,
        "measure_status_labels": MEASURE_STATUS_LABELS,
        "finding_status_labels": rectification_labels.FINDING_STATUS_LABELS,
        "rectification_status_labels": rectification_labels.MEASURE_STATUS_LABELS,
        "can_write": can(current_user, "integrity.write"),
    }


@bp.get("/")
@requires("integrity.read")
def index():
    """The leaders whose integrity files the caller may read."""
    page = paginate(integrity_services.leaders_select(current_scope()))
    return render_template("integrity/index.html", page=page, **_labels())


def _file_page(
    person_id: int,
    form: NoteForm | None = None,
    upload: UploadForm | None = None,
    status: int = 200,
    audit: bool = True,
):
    person = integrity_services.get_person(db.session, current_scope(), person_id)
    file = builder.gather(db.session, person, clock.today(), current_user)
    if audit:
        integrity_services.record_read(db.session, person.id)
        db.session.commit()
    if form is None:
        form = NoteForm()
        form.noted_on.data = form.noted_on.data or clock.today()
    return render_template(
        "integrity/file.html", file=file, form=form, upload=upload or UploadForm(), **_labels()
    ), status


@bp.get("/<int:person_id>")
@requires("integrity.read")
def file(person_id: int):
    """One leader's integrity file (the read is audited)."""
    return _file_page(person_id)


@bp.post("/<int:person_id>/notes")
@requires("integrity.write")
def add_note(person_id: int):
    """Add a supervision note to the file."""
    person = integrity_services.get_person(db.session, current_scope(), person_id)
    form = NoteForm()
    saved, status = save_form(
        form,
        lambda: integrity_services.create_note(
            db.session,
            person,
            {
                "kind": form.kind.data,
                "title": form.title.data,
                "body": form.body.data,
                "noted_on": form.noted_on.data,
            },
            created_by_id=current_user.id,
        ),
        success=_("Note added."),
    )
    if saved is None:
        return _file_page(person_id, form=form, status=status, audit=False)
    return redirect(url_for("integrity.file", person_id=person_id))


@bp.post("/<int:person_id>/notes/<int:note_id>/attachments")
@requires("integrity.write")
def attach(person_id: int, note_id: int):
    """Upload a file to a note."""
    integrity_services.get_person(db.session, current_scope(), person_id)
    note = integrity_services.get_note(db.session, person_id, note_id)
    upload = UploadForm()
    if not upload.validate_on_submit():
        flash(_("The upload could not be read."), "danger")
        return _file_page(person_id, upload=upload, status=422, audit=False)
    try:
        filename, data = uploaded_file("file")
        integrity_services.add_attachment(
            db.session, note, filename, data, uploaded_by_id=current_user.id
        )
    except ServiceError as exc:
        db.session.rollback()
        add_errors(upload.file, (exc.errors or {}).get("file", []))
        flash(str(exc.message), "danger")
        return _file_page(person_id, upload=upload, status=exc.status, audit=False)
    db.session.commit()
    flash(_("Attachment uploaded."), "success")
    return redirect(url_for("integrity.file", person_id=person_id))


@bp.get("/<int:person_id>/notes/<int:note_id>/attachments/<int:attachment_id>")
@requires("integrity.read")
def download(person_id: int, note_id: int, attachment_id: int):
    """Download a note's attachment (audited)."""
    integrity_services.get_person(db.session, current_scope(), person_id)
    attachment = integrity_services.get_attachment(db.session, person_id, note_id, attachment_id)
    if not storage.exists(attachment.sha256):
        abort(404)
    integrity_services.record_attachment_read(db.session, note_id, attachment.id)
    db.session.commit()
    return storage.send_stored(attachment)


@bp.get("/<int:person_id>.pdf")
@requires("integrity.read")
def file_pdf(person_id: int):
    """The integrity file as a PDF (the read is audited)."""
    person = integrity_services.get_person(db.session, current_scope(), person_id)
    today = clock.today()
    data = builder.gather(db.session, person, today, current_user)
    content = pdf.render_pdf(
        "pdf/integrity_file.html",
        title=_("Integrity file"),
        file=data,
        generated_at=clock.now(),
        **_labels(),
    )
    integrity_services.record_read(db.session, person.id)
    db.session.commit()
    name = _("Integrity file of %(name)s", name=person.name)
    return send_download(
        content,
        "application/pdf",
        FileName(f"{name}-{today.isoformat()}", f"integrity-file-{person.id}-{today}").with_suffix(
            ".pdf"
        ),
    )
