"""The evidence of a measure on a finding's page (SPEC §14): attach a file, link a record
(chosen from the picker of the caller's readable records, or by type and number), remove one,
download a file. The same rules as the other actions of supervision.rectification.
finding_views (whose helpers these routes share): the measure within the caller's scope
first (404), the right to act on it second (403).
"""

from __future__ import annotations

from flask import abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from supervision.common import storage
from supervision.common.errors import ServiceError
from supervision.common.uploads import uploaded_file
from supervision.extensions import db
from supervision.rectification import evidence as evidence_services
from supervision.rectification import forms as f
from supervision.rectification import page_queries
from supervision.rectification.blueprint import bp, member
from supervision.rectification.finding_views import (
    back_to,
    form_action,
    measure_in_scope,
    refused,
    require_acting,
)
from supervision.rectification.models import MeasureEvidence, RectificationMeasure

# ------------------------------------------------------------------ evidence


@bp.post("/measures/<int:measure_id>/evidence/file")
@member
def add_file(measure_id: int):
    """Attach a file of evidence (PDF, JPEG, PNG, DOCX, XLSX)."""
    measure = measure_in_scope(measure_id, lock=True)
    require_acting(measure)
    form = f.EvidenceFileForm(prefix=f"file{measure.id}")

    def call():
        name, data = uploaded_file(f"file{measure.id}-file")
        return evidence_services.add_file(
            db.session, measure, name, data, form.note.data, current_user.id
        )

    form.FIELD_MAP = {f"file{measure.id}-file": "file"}
    return form_action(
        measure.finding_id, form, ("file", measure.id), call, _("The file was attached.")
    )


@bp.post("/measures/<int:measure_id>/evidence/link")
@member
def add_link(measure_id: int):
    """Link a record (a talk, risk point, campaign, rotation plan or deferral) as evidence."""
    measure = measure_in_scope(measure_id, lock=True)
    require_acting(measure)
    form = f.EvidenceLinkForm(prefix=f"link{measure.id}")
    form.set_choices(page_queries.picker(db.session, current_user))

    def call():
        kind, object_id = form.target()
        return evidence_services.add_link(
            db.session, measure, current_user, kind, object_id, form.note.data
        )

    return form_action(
        measure.finding_id, form, ("link", measure.id), call, _("The record was linked.")
    )


def _evidence(measure: RectificationMeasure, evidence_id: int) -> MeasureEvidence:
    found = next((e for e in measure.evidence if e.id == evidence_id), None)
    if found is None:
        abort(404)
    return found


@bp.post("/measures/<int:measure_id>/evidence/<int:evidence_id>/remove")
@member
def remove_evidence(measure_id: int, evidence_id: int):
    """Remove a piece of evidence."""
    measure = measure_in_scope(measure_id, lock=True)
    item = _evidence(measure, evidence_id)
    require_acting(measure)
    finding_id = measure.finding_id
    if not f.ActionForm().validate():
        abort(400)
    try:
        evidence_services.remove(db.session, measure, item)
    except ServiceError as exc:
        return refused(finding_id, exc)
    db.session.commit()
    flash(_("The evidence was removed."), "success")
    return back_to(finding_id)


@bp.get("/measures/<int:measure_id>/evidence/<int:evidence_id>")
@member
def download_evidence(measure_id: int, evidence_id: int):
    """Download an evidence file (audited)."""
    measure = measure_in_scope(measure_id)
    item = _evidence(measure, evidence_id)
    if item.kind != "file" or not storage.exists(item.sha256):
        abort(404)
    evidence_services.record_download(db.session, measure, item)
    db.session.commit()
    return storage.send_stored(item)
