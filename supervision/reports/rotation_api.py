"""JSON API and report files of rotation figures: 应轮尽轮 and the candidates list.

- GET /rotation/completion?period=&org_unit_id= — the 应轮尽轮 figures (SPEC §7).
- GET /reports/rotation-candidates.{pdf,xlsx} — 轮岗交流人选名单 for the party committee.
- GET /reports/rotation-completion.{pdf,xlsx} — the 应轮尽轮 table with its lists.

For the roles that read rotation (admin, hr, the discipline roles); others get 403. Every
export is audited. No hold reason appears anywhere here.
"""

from __future__ import annotations

import io

from flask import send_file
from marshmallow import fields, validate

from supervision.common.api import ApiBlueprint, BaseSchema, Id, binary_response_doc
from supervision.common.pdf import PDF_MIME
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.org.scope import current_scope
from supervision.reports import rotation_candidates, rotation_completion
from supervision.reports.rotation_candidates import XLSX_MIME
from supervision.rotation import completion, rules

blp = ApiBlueprint(
    "rotation_reports_api",
    __name__,
    description="Rotation reports: candidates for the party committee, 应轮尽轮",
)


class CompletionQuery(BaseSchema):
    """Which period and unit the 应轮尽轮 figures cover."""

    period = fields.Str(
        required=True,
        validate=validate.Length(max=16),
        metadata={"description": "2025, 2025H1 or 2025Q3"},
    )
    org_unit_id = Id(
        load_default=None,
        metadata={"description": "the unit and its subtree (default: everything in scope)"},
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


class CompletionRowSchema(BaseSchema):
    """Counts of one unit (or of the total)."""

    org_unit_id = fields.Int(allow_none=True)
    org_unit_name = fields.Str(allow_none=True)
    rotated = fields.Int(metadata={"description": "people who left a post after its threshold"})
    due = fields.Int(
        metadata={
            "description": "still due at the cutoff (approved plans not executed count as due)"
        }
    )
    deferred = fields.Int(metadata={"description": "deferred, threshold reached (not in the rate)"})
    blocked = fields.Int(
        metadata={"description": "under a discipline hold, threshold reached (not in the rate)"}
    )
    rate = fields.Float(
        allow_none=True,
        metadata={"description": "rotated ÷ (rotated + due), a fraction 0–1; null when both are 0"},
    )


class CompletionPersonSchema(BaseSchema):
    """One person in one of the lists."""

    person_id = fields.Int()
    name = fields.Str()
    staff_no = fields.Str()
    org_unit_id = fields.Int()
    org_unit_name = fields.Str()
    post_id = fields.Int()
    post_name = fields.Str()
    due_on = fields.Date(metadata={"description": "the day the threshold was (or is) reached"})
    left_on = fields.Date(
        metadata={"description": "rotated people: the day after their last day in the post"}
    )


class CompletionPeopleSchema(BaseSchema):
    """The four lists."""

    rotated = fields.List(fields.Nested(CompletionPersonSchema))
    due = fields.List(fields.Nested(CompletionPersonSchema))
    deferred = fields.List(fields.Nested(CompletionPersonSchema))
    blocked = fields.List(fields.Nested(CompletionPersonSchema))


class CompletionSchema(BaseSchema):
    """The 应轮尽轮 figures of a period."""

    period = fields.Str()
    as_of = fields.Date(metadata={"description": "the cutoff: the period's end or today"})
    total = fields.Nested(
        CompletionRowSchema,
        metadata={"description": "the requested unit's subtree, or everything in scope"},
    )
    units = fields.List(
        fields.Nested(CompletionRowSchema),
        metadata={
            "description": "per direct child unit (without a unit: of the single root, else the "
            "roots)"
        },
    )
    own_unit = fields.Nested(
        CompletionRowSchema,
        allow_none=True,
        metadata={
            "description": "people attached to the broken-down unit itself rather than to a "
            "child; null when none"
        },
    )
    people = fields.Nested(CompletionPeopleSchema)


def _scope():
    require("rotation.read")
    return current_scope()


def _send(content: bytes, mime: str, filename: str):
    return send_file(io.BytesIO(content), mimetype=mime, as_attachment=True, download_name=filename)


@blp.route("/rotation/completion", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, CompletionSchema)
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or malformed period")
def completion_figures(query):
    """应轮尽轮 for a period: rotated vs still due per unit, with the lists of people."""
    scope = _scope()
    period = completion.parse_period(query["period"])
    unit = completion.get_unit(db.session, scope, query.get("org_unit_id"))
    return completion.compute(db.session, period, unit=unit, scope=scope)


def _candidates(fmt: str, query: dict):
    content, mime, filename = rotation_candidates.export(db.session, _scope(), fmt, **query)
    db.session.commit()
    return _send(content, mime, filename)


@blp.route("/reports/rotation-candidates.pdf", methods=["GET"])
@blp.arguments(CandidatesQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The candidates list as PDF")
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Bad date, status or unit id")
@blp.doc(**binary_response_doc(PDF_MIME, "轮岗交流人选名单 as a landscape A4 PDF"))
def rotation_candidates_pdf(query):
    """The rotation candidates (轮岗交流人选名单) as PDF; audited."""
    return _candidates("pdf", query)


@blp.route("/reports/rotation-candidates.xlsx", methods=["GET"])
@blp.arguments(CandidatesQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The candidates list as .xlsx")
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Bad date, status or unit id")
@blp.doc(**binary_response_doc(XLSX_MIME, "轮岗交流人选名单 as an Excel workbook"))
def rotation_candidates_xlsx(query):
    """The rotation candidates (轮岗交流人选名单) as .xlsx; audited."""
    return _candidates("xlsx", query)


def _completion(fmt: str, query: dict):
    content, mime, filename = rotation_completion.export(db.session, _scope(), fmt, **query)
    db.session.commit()
    return _send(content, mime, filename)


@blp.route("/reports/rotation-completion.pdf", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The 应轮尽轮 report as PDF")
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or malformed period")
@blp.doc(**binary_response_doc(PDF_MIME, "The 应轮尽轮 report as a portrait A4 PDF"))
def rotation_completion_pdf(query):
    """The 应轮尽轮 table per unit with the lists of people, as PDF; audited."""
    return _completion("pdf", query)


@blp.route("/reports/rotation-completion.xlsx", methods=["GET"])
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The 应轮尽轮 report as .xlsx")
@blp.alt_response(404, description="Unit not found or outside the caller's scope")
@blp.alt_response(422, description="Missing or malformed period")
@blp.doc(**binary_response_doc(XLSX_MIME, "The 应轮尽轮 report as an Excel workbook"))
def rotation_completion_xlsx(query):
    """The 应轮尽轮 table per unit with the lists of people, as .xlsx; audited."""
    return _completion("xlsx", query)
