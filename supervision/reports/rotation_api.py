"""Report files of rotation figures: 应轮尽轮 and the candidates list (the JSON figures are
GET /rotation/completion, in supervision.rotation.api).

- GET /reports/rotation-candidates.{pdf,xlsx} — 轮岗交流人选名单 for the party committee.
- GET /reports/rotation-completion.{pdf,xlsx} — the 应轮尽轮 table with its lists.

For the roles that read rotation (admin, hr, the discipline roles); others get 403. Every
export is audited. No hold reason appears anywhere here.
"""

from __future__ import annotations

from marshmallow import fields, validate

from supervision.common.api import ApiBlueprint, BaseSchema, Id, binary_response_doc
from supervision.common.downloads import send_download
from supervision.common.pdf import PDF_MIME
from supervision.common.permissions import require
from supervision.common.spreadsheet import XLSX_MIME
from supervision.extensions import db
from supervision.org.scope import current_scope
from supervision.reports import rotation_candidates, rotation_completion
from supervision.reports.jobs_api import ASYNC_DOC, respond_async
from supervision.rotation import rules
from supervision.rotation.schemas import CompletionQuery

blp = ApiBlueprint(
    "rotation_reports_api",
    __name__,
    description="Rotation reports: candidates for the party committee, 应轮尽轮",
)


class CandidatesQuery(BaseSchema):
    """Which unit, date and status the candidates list covers."""

    org_unit_id = Id(load_default=None, metadata={"description": "the unit and its subtree"})
    as_of = fields.Date(load_default=None, metadata={"description": "default: today (local)"})
    status = fields.Str(
        validate=validate.OneOf(rules.STATUSES),
        load_default=None,
        metadata={
            "description": "only this status; default: due and upcoming, plus a second table of "
            "the deferred, blocked and planned people whose threshold is reached"
        },
    )


def _scope():
    require("rotation.read")
    return current_scope()


def _candidates(fmt: str, query: dict):
    scope = _scope()
    queued = respond_async("rotation-candidates", fmt, query)
    if queued is not None:
        return queued
    content, mime, filename = rotation_candidates.export(db.session, scope, fmt, **query)
    db.session.commit()
    return send_download(content, mime, filename)


@blp.route("/reports/rotation-candidates.pdf", methods=["GET"])
@blp.arguments(CandidatesQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The candidates list as PDF")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Bad date, status or unit id")
@blp.doc(**binary_response_doc(PDF_MIME, "轮岗交流人选名单 as a landscape A4 PDF"))
def rotation_candidates_pdf(query):
    """The rotation candidates (轮岗交流人选名单) as PDF; audited."""
    return _candidates("pdf", query)


@blp.route("/reports/rotation-candidates.xlsx", methods=["GET"])
@blp.arguments(CandidatesQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The candidates list as .xlsx")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Bad date, status or unit id")
@blp.doc(**binary_response_doc(XLSX_MIME, "轮岗交流人选名单 as an Excel workbook"))
def rotation_candidates_xlsx(query):
    """The rotation candidates (轮岗交流人选名单) as .xlsx; audited."""
    return _candidates("xlsx", query)


def _completion(fmt: str, query: dict):
    scope = _scope()
    queued = respond_async("rotation-completion", fmt, query)
    if queued is not None:
        return queued
    content, mime, filename = rotation_completion.export(db.session, scope, fmt, **query)
    db.session.commit()
    return send_download(content, mime, filename)


@blp.route("/reports/rotation-completion.pdf", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The 应轮尽轮 report as PDF")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or malformed period")
@blp.doc(**binary_response_doc(PDF_MIME, "The 应轮尽轮 report as a portrait A4 PDF"))
def rotation_completion_pdf(query):
    """The 应轮尽轮 table per unit with the lists of people, as PDF; audited."""
    return _completion("pdf", query)


@blp.route("/reports/rotation-completion.xlsx", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The 应轮尽轮 report as .xlsx")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or malformed period")
@blp.doc(**binary_response_doc(XLSX_MIME, "The 应轮尽轮 report as an Excel workbook"))
def rotation_completion_xlsx(query):
    """The 应轮尽轮 table per unit with the lists of people, as .xlsx; audited."""
    return _completion("xlsx", query)
