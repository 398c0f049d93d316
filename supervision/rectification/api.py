"""JSON API: /inspections, /findings, /rectification-measures (SPEC §14, §10).

Permissions (SPEC §4, §14; supervision/rectification/permissions.py):
- Lists answer 403 to roles without any grant of the area (admin, HR); otherwise they hold
  what the caller may know about. A single object outside the caller's scope is 404.
- Create and edit inspections, findings and measures, delete measures, sign off and
  return: `rectification.manage` (the discipline roles); others who see the object 403.
- `GET /inspections/{id}/summary`: the discipline roles and the inspection's leader.
- Mark done, reopen, change `result`, add or remove evidence: the measure's owner, the
  heads of its owner unit and its finding's lead unit, the responsible leader, and the
  discipline roles. A PATCH of any other field by them is 403.
- Notes: the discipline roles and the leaders who read the finding in full; request
  completion: the responsible leader, the lead unit's head and the discipline roles.
- An owner reads a finding's heading and own measures only: the other measures are left
  out, `notes`, `history`, `completion_summary` and `review_comment` are null.

Beyond SPEC §10: `GET /rectification-measures/{id}`, `GET` and `DELETE
/rectification-measures/{id}/evidence/{evidence_id}` (download a file, remove evidence).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from supervision.common import clock, storage
from supervision.common.api import ApiBlueprint, SelectPage
from supervision.common.downloads import FileName, send_download
from supervision.common.errors import Forbidden, Invalid, NotFound
from supervision.common.permissions import require
from supervision.common.uploads import uploaded_file
from supervision.extensions import db
from supervision.rectification import evidence, figures, queries, services
from supervision.rectification.models import Finding, RectificationMeasure
from supervision.rectification.permissions import (
    has_any_grant,
    may_act_on_measure,
    may_note,
    may_request_completion,
    reads_summary,
)
from supervision.rectification.schemas import (
    CompletionRequestSchema,
    EvidenceLinkSchema,
    FindingCommentSchema,
    FindingNoteSchema,
    FindingNoteWriteSchema,
    FindingQuery,
    FindingSchema,
    FindingSummarySchema,
    FindingWriteSchema,
    InspectionSchema,
    InspectionSummaryQuery,
    InspectionSummarySchema,
    InspectionWriteSchema,
    MeasureDoneSchema,
    MeasureEvidenceSchema,
    RectificationMeasureSchema,
    RectificationMeasureWriteSchema,
)

blp = ApiBlueprint(
    "rectification_api",
    __name__,
    description="Inspection rectification (巡察整改): inspections, findings, measures, "
    "evidence, sign-off",
)


def _require_area() -> None:
    """403 for roles that have nothing of the area (admin, HR)."""
    if not current_user.is_authenticated:
        require("rectification.read_all")  # 401
    if not has_any_grant(current_user):
        raise Forbidden(_("You have no access to the rectification ledger."))


def _finding(finding_id: int, lock: bool = False) -> Finding:
    return queries.get_finding(db.session, current_user, finding_id, lock=lock)


def _measure(measure_id: int, lock: bool = False) -> RectificationMeasure:
    return queries.get_measure(db.session, current_user, measure_id, lock=lock)


def _shown(finding: Finding) -> Finding:
    """The finding annotated with what the caller reads of it (see the module docstring)."""
    full = bool(queries.full_ids(db.session, current_user, [finding.id]))
    finding.read_in_full = full
    if full:
        finding.shown_measures = list(finding.measures)
        finding.history = queries.history(db.session, finding.id)
    else:
        mine = queries.visible_measure_ids(db.session, current_user, [finding.id])
        finding.shown_measures = [m for m in finding.measures if m.id in mine]
        finding.history = None
    return finding


def _finding_document(finding_id: int) -> Finding:
    db.session.expire_all()
    stmt = sa.select(Finding).where(Finding.id == finding_id).options(*queries.FINDING_LOADS)
    return _shown(db.session.scalar(stmt))


def _manage() -> None:
    require("rectification.manage")


def _may_act(measure: RectificationMeasure) -> None:
    if not may_act_on_measure(db.session, current_user, measure):
        raise Forbidden(_("You may not change this measure."))


class FindingPage(SelectPage):
    """A page of findings, each marked with whether the caller reads it in full."""

    @property
    def items(self):
        found = list(super().items)
        full = queries.full_ids(db.session, current_user, [f.id for f in found])
        for finding in found:
            finding.read_in_full = finding.id in full
        return found


# ------------------------------------------------------------------ inspections


@blp.route("/inspections")
class Inspections(MethodView):
    @blp.response(200, InspectionSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self):
        """Inspections the caller may know about, newest feedback first."""
        _require_area()
        return queries.inspections(current_user)

    @blp.arguments(InspectionWriteSchema)
    @blp.response(201, InspectionSchema)
    def post(self, data):
        """Record an inspection (`deadline` default: `feedback_on` + 90 days)."""
        _manage()
        inspection = services.create_inspection(db.session, dict(data))
        db.session.commit()
        return inspection


@blp.route("/inspections/<int:inspection_id>")
class InspectionItem(MethodView):
    @blp.response(200, InspectionSchema)
    def get(self, inspection_id):
        """One inspection."""
        return queries.get_inspection(db.session, current_user, inspection_id)

    @blp.arguments(InspectionWriteSchema(partial=True))
    @blp.response(200, InspectionSchema)
    def patch(self, data, inspection_id):
        """Edit an inspection; `status` moves only forward (rectifying → reported → closed)."""
        inspection = queries.get_inspection(db.session, current_user, inspection_id, lock=True)
        _manage()
        services.update_inspection(db.session, inspection, dict(data))
        db.session.commit()
        return inspection


@blp.route("/inspections/<int:inspection_id>/summary")
class InspectionSummary(MethodView):
    @blp.arguments(InspectionSummaryQuery, location="query")
    @blp.response(200, InspectionSummarySchema)
    def get(self, args, inspection_id):
        """Findings by status, overdue findings and measures, measures done, overall and per
        lead unit, as of a date (default today)."""
        inspection = queries.get_inspection(db.session, current_user, inspection_id)
        if not reads_summary(current_user, inspection):
            raise Forbidden(
                _("Only the discipline committee and the inspection's leader read its figures.")
            )
        return figures.summary(db.session, inspection, args.get("as_of") or clock.today())


@blp.route("/inspections/<int:inspection_id>/findings")
class InspectionFindings(MethodView):
    @blp.arguments(FindingQuery, location="query")
    @blp.response(200, FindingSummarySchema(many=True))
    @blp.paginate(FindingPage)
    def get(self, args, inspection_id):
        """The inspection's findings the caller may know about, by number; `overdue` is
        judged as of `as_of` (default today)."""
        queries.get_inspection(db.session, current_user, inspection_id)
        args = dict(args)
        as_of = args.pop("as_of", None) or clock.today()
        return queries.findings(current_user, inspection_id, as_of=as_of, **args)

    @blp.arguments(FindingWriteSchema)
    @blp.response(201, FindingSchema)
    def post(self, data, inspection_id):
        """Add a finding (`number` default: the next; `deadline` default: the inspection's,
        none for long_term)."""
        inspection = queries.get_inspection(db.session, current_user, inspection_id, lock=True)
        _manage()
        finding = services.create_finding(db.session, inspection, dict(data))
        db.session.commit()
        return _finding_document(finding.id)


# ------------------------------------------------------------------ findings


@blp.route("/findings/<int:finding_id>")
class FindingItem(MethodView):
    @blp.response(200, FindingSchema)
    def get(self, finding_id):
        """One finding with its measures, evidence, notes and history."""
        return _finding_document(_finding(finding_id).id)

    @blp.arguments(FindingWriteSchema(partial=True))
    @blp.response(200, FindingSchema)
    def patch(self, data, finding_id):
        """Edit a finding (409 once signed off)."""
        finding = _finding(finding_id, lock=True)
        _manage()
        services.update_finding(db.session, finding, dict(data))
        db.session.commit()
        return _finding_document(finding_id)


@blp.route("/findings/<int:finding_id>/request-completion")
class FindingRequestCompletion(MethodView):
    @blp.arguments(CompletionRequestSchema)
    @blp.response(200, FindingSchema)
    def post(self, data, finding_id):
        """Ask for sign-off with a summary (every measure done; never for long_term)."""
        finding = _finding(finding_id, lock=True)
        if not may_request_completion(db.session, current_user, finding):
            raise Forbidden(
                _("Only the responsible leader or the lead unit's head requests sign-off.")
            )
        services.request_completion(db.session, finding, data["summary"])
        db.session.commit()
        return _finding_document(finding_id)


@blp.route("/findings/<int:finding_id>/complete")
class FindingComplete(MethodView):
    @blp.arguments(FindingCommentSchema)
    @blp.response(200, FindingSchema)
    def post(self, data, finding_id):
        """Sign the finding off (销号) with a comment; 409 while a measure is open."""
        finding = _finding(finding_id, lock=True)
        _manage()
        services.complete(db.session, finding, data["comment"], current_user.id)
        db.session.commit()
        return _finding_document(finding_id)


@blp.route("/findings/<int:finding_id>/return")
class FindingReturn(MethodView):
    @blp.arguments(FindingCommentSchema)
    @blp.response(200, FindingSchema)
    def post(self, data, finding_id):
        """Return a completion request (in progress again) with a comment."""
        finding = _finding(finding_id, lock=True)
        _manage()
        services.return_finding(db.session, finding, data["comment"])
        db.session.commit()
        return _finding_document(finding_id)


@blp.route("/findings/<int:finding_id>/notes")
class FindingNotes(MethodView):
    @blp.arguments(FindingNoteWriteSchema)
    @blp.response(201, FindingNoteSchema)
    def post(self, data, finding_id):
        """Add a dated progress note (an open finding is in progress then)."""
        finding = _finding(finding_id, lock=True)
        if not may_note(db.session, current_user, finding):
            raise Forbidden(_("You may not add notes to this problem."))
        note = services.add_note(db.session, finding, dict(data), author_id=current_user.id)
        db.session.commit()
        return note


@blp.route("/findings/<int:finding_id>/measures")
class FindingMeasures(MethodView):
    @blp.arguments(RectificationMeasureWriteSchema)
    @blp.response(201, RectificationMeasureSchema)
    def post(self, data, finding_id):
        """Add a measure (`due_on` default: the finding's deadline; later only with a
        `due_reason`)."""
        finding = _finding(finding_id, lock=True)
        _manage()
        measure = services.create_measure(db.session, finding, dict(data))
        db.session.commit()
        return measure


# ------------------------------------------------------------------ measures


@blp.route("/rectification-measures/<int:measure_id>")
class MeasureItem(MethodView):
    @blp.response(200, RectificationMeasureSchema)
    def get(self, measure_id):
        """One measure with its evidence."""
        return _measure(measure_id)

    @blp.arguments(RectificationMeasureWriteSchema(partial=True))
    @blp.response(200, RectificationMeasureSchema)
    def patch(self, data, measure_id):
        """Edit a measure (owners and leaders: only `result`)."""
        measure = _measure(measure_id, lock=True)
        _may_act(measure)
        data = dict(data)
        if set(data) - {"result"}:
            _manage()
        services.update_measure(db.session, measure, data)
        db.session.commit()
        return measure

    @blp.response(204)
    def delete(self, measure_id):
        """Remove a measure entered by mistake (409 once its finding is signed off)."""
        measure = _measure(measure_id, lock=True)
        _manage()
        services.delete_measure(db.session, measure)
        db.session.commit()


@blp.route("/rectification-measures/<int:measure_id>/done")
class MeasureDone(MethodView):
    @blp.arguments(MeasureDoneSchema)
    @blp.response(200, RectificationMeasureSchema)
    def post(self, data, measure_id):
        """Mark the measure done (`done_on` default today) with its result."""
        measure = _measure(measure_id, lock=True)
        _may_act(measure)
        services.mark_done(db.session, measure, data.get("done_on"), data.get("result"))
        db.session.commit()
        return measure


@blp.route("/rectification-measures/<int:measure_id>/reopen")
class MeasureReopen(MethodView):
    @blp.response(200, RectificationMeasureSchema)
    def post(self, measure_id):
        """Open a done measure again (409 once its finding is signed off)."""
        measure = _measure(measure_id, lock=True)
        _may_act(measure)
        services.reopen(db.session, measure)
        db.session.commit()
        return measure


@blp.route("/rectification-measures/<int:measure_id>/evidence", methods=["POST"])
@blp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PDF, JPEG, PNG, DOCX or XLSX (checked by content), "
                            "at most 10 MB",
                        },
                        "note": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
            "application/json": {"schema": EvidenceLinkSchema},
        }
    }
)
@blp.response(201, MeasureEvidenceSchema)
@blp.alt_response(413, description="The file is larger than the limit")
def add_evidence(measure_id):
    """Add evidence: a file (multipart `file`, `note`) or a link to a record the caller may
    read (JSON `object_type`, `object_id`, `note`)."""
    measure = _measure(measure_id, lock=True)
    _may_act(measure)
    if request.mimetype == "multipart/form-data":
        filename, data = uploaded_file("file")
        note = request.form.get("note")
        item = evidence.add_file(db.session, measure, filename, data, note, current_user.id)
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            body = {}
        errors = EvidenceLinkSchema().validate(body)
        if errors:
            raise Invalid(_("Invalid %(what)s", what=_("evidence")), errors)
        link = EvidenceLinkSchema().load(body)
        item = evidence.add_link(
            db.session,
            measure,
            current_user,
            link["object_type"],
            link["object_id"],
            link.get("note"),
        )
    db.session.commit()
    return item


def _evidence(measure: RectificationMeasure, evidence_id: int):
    found = next((e for e in measure.evidence if e.id == evidence_id), None)
    if found is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("evidence"), id=evidence_id))
    return found


@blp.route("/rectification-measures/<int:measure_id>/evidence/<int:evidence_id>")
class EvidenceItem(MethodView):
    @blp.response(
        200, description="The file, as a download", content_type="application/octet-stream"
    )
    def get(self, measure_id, evidence_id):
        """Download an evidence file (audited; 404 for a link)."""
        measure = _measure(measure_id)
        item = _evidence(measure, evidence_id)
        if item.kind != "file" or not storage.exists(item.sha256):
            raise NotFound(_("No %(what)s with id %(id)s.", what=_("evidence"), id=evidence_id))
        evidence.record_download(db.session, measure, item)
        db.session.commit()
        _stem, dot, ext = item.filename.rpartition(".")
        name = FileName(item.filename, f"evidence-{item.id}{dot}{ext if dot else ''}")
        return send_download(storage.path_for(item.sha256).read_bytes(), item.content_type, name)

    @blp.response(204)
    def delete(self, measure_id, evidence_id):
        """Remove a piece of evidence (409 once the finding is signed off)."""
        measure = _measure(measure_id, lock=True)
        item = _evidence(measure, evidence_id)
        _may_act(measure)
        evidence.remove(db.session, measure, item)
        db.session.commit()
