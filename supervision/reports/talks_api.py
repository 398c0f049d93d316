"""JSON API of the talk reports (SPEC §9, §10): the talk record form
GET /talks/{id}/record.{pdf,docx} and the completion report GET /reports/talk-completion.{pdf,xlsx}.

- The record form prints confidential contents: it is 404 for a talk the caller may not
  know about or whose contents they may not read (HR, admins), and each rendering is
  audited as a read of the talk.
- The completion report: the discipline roles see everything, leaders their scope (as
  GET /obligations/summary); other roles 403. Each export is audited.
"""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from supervision.common.api import ApiBlueprint, BaseSchema, Id, binary_response_doc
from supervision.common.downloads import send_download
from supervision.common.pdf import PDF_MIME
from supervision.common.spreadsheet import XLSX_MIME
from supervision.extensions import db
from supervision.obligations import rules
from supervision.obligations.permissions import readable_obligations
from supervision.org.scope import Scope
from supervision.reports import talk_completion, talk_record
from supervision.reports.jobs_api import ASYNC_DOC, respond_async
from supervision.reports.talk_record_docx import DOCX_MIME

blp = ApiBlueprint(
    "talk_reports_api",
    __name__,
    description="Talk reports: the talk record form (谈话记录表) and the "
    "quarterly completion report (通报)",
)


class CompletionQuery(BaseSchema):
    """Which period, type and unit the completion report covers."""

    period = fields.Str(
        required=True,
        validate=validate.Length(max=16),
        metadata={"description": "2025Q3, 2025H2 or 2025"},
    )
    type = fields.Str(
        validate=validate.OneOf(rules.OBLIGATION_TYPES),
        load_default=None,
        metadata={"description": "default: every type owed per this kind of period"},
    )
    org_unit_id = Id(load_default=None, metadata={"description": "the unit and its subtree"})
    as_of = fields.Date(load_default=None, metadata={"description": "default: today (local)"})


def _report_scope() -> Scope:
    """The obligations the caller may read (403 without `obligations.read`)."""
    return readable_obligations()[0]


@blp.route("/talks/<int:talk_id>/record.pdf", methods=["GET"])
@blp.response(200, content_type=PDF_MIME, description="The talk record form as PDF")
@blp.alt_response(404, description="No such talk, or its contents are not readable by the caller")
@blp.doc(**binary_response_doc(PDF_MIME, "The talk record form (谈话记录表), portrait A4"))
def talk_record_pdf(talk_id):
    """The talk record form (谈话记录表) with signature lines; audited as a read of the talk."""
    return _record(talk_id, "pdf")


@blp.route("/talks/<int:talk_id>/record.docx", methods=["GET"])
@blp.response(200, content_type=DOCX_MIME, description="The talk record form as .docx")
@blp.alt_response(404, description="No such talk, or its contents are not readable by the caller")
@blp.doc(**binary_response_doc(DOCX_MIME, "The talk record form (谈话记录表) as a Word document"))
def talk_record_docx(talk_id):
    """The talk record form (谈话记录表) as a Word document for offices that edit it before
    printing; same content and checks as the PDF; audited as a read of the talk."""
    return _record(talk_id, "docx")


def _record(talk_id: int, fmt: str):
    content, mime, filename = talk_record.export(db.session, current_user, talk_id, fmt)
    db.session.commit()
    return send_download(content, mime, filename)


def _completion(fmt: str, query: dict):
    scope = _report_scope()
    queued = respond_async("talk-completion", fmt, query)
    if queued is not None:
        return queued
    content, mime, filename = talk_completion.export(
        db.session,
        scope,
        fmt,
        period=query["period"],
        type_=query.get("type"),
        org_unit_id=query.get("org_unit_id"),
        as_of=query.get("as_of"),
    )
    db.session.commit()
    return send_download(content, mime, filename)


@blp.route("/reports/talk-completion.pdf", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The completion report as PDF")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or bad period, type of another frequency, bad value")
@blp.doc(**binary_response_doc(PDF_MIME, "The talk completion report (通报) as PDF"))
def talk_completion_pdf(query):
    """The talk completion report (通报) as PDF (discipline roles; leaders for their scope)."""
    return _completion("pdf", query)


@blp.route("/reports/talk-completion.xlsx", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The completion report as .xlsx")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or bad period, type of another frequency, bad value")
@blp.doc(**binary_response_doc(XLSX_MIME, "The talk completion report (通报) as an Excel workbook"))
def talk_completion_xlsx(query):
    """The talk completion report (通报) as .xlsx (discipline roles; leaders for their scope)."""
    return _completion("xlsx", query)
