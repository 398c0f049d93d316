"""JSON API of the rectification documents (SPEC §10, §14): the progress notice
GET /reports/rectification-notice.{pdf,docx}, the ledger GET /reports/rectification-ledger.xlsx
and its import POST /imports/rectification-ledger (multipart .xlsx, all or nothing).

The discipline roles only, for now ("rectification.documents", "rectification.import");
an inspection outside the caller's scope is 404. Every export and import is audited.
"""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from supervision.common.api import ApiBlueprint, BaseSchema, DryRunQuery, Id, binary_response_doc
from supervision.common.downloads import send_download
from supervision.common.pdf import PDF_MIME
from supervision.common.permissions import require
from supervision.common.spreadsheet import XLSX_MIME
from supervision.common.uploads import finish_import, uploaded_file
from supervision.extensions import db
from supervision.rectification import ledger
from supervision.rectification.notice import readable_inspection
from supervision.reports import rectification_ledger, rectification_notice
from supervision.reports.talk_record_docx import DOCX_MIME

blp = ApiBlueprint(
    "rectification_reports_api",
    __name__,
    description="Rectification documents: the progress notice (整改进展情况通报) and the "
    "ledger (整改台账), its export and import",
)


class DocumentQuery(BaseSchema):
    """Which inspection, as of which day."""

    inspection_id = Id(required=True, metadata={"description": "The inspection"})
    as_of = ma.fields.Date(
        load_default=None,
        metadata={"description": "Progress as of this day (YYYY-MM-DD, default today)"},
    )


class LedgerImportQuery(DryRunQuery):
    """The inspection the ledger is imported into."""

    inspection_id = Id(required=True, metadata={"description": "The inspection"})


class LedgerUploadSchema(BaseSchema):
    """The multipart form of an import."""

    file = ma.fields.Raw(
        metadata={"type": "string", "format": "binary", "description": ".xlsx workbook"}
    )
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "Validate only"})


class CountsSchema(ma.Schema):
    """Rows created, updated, unchanged."""

    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()


class LedgerSummarySchema(ma.Schema):
    """The result of an import (or of a dry run)."""

    dry_run = ma.fields.Boolean()
    findings = ma.fields.Nested(CountsSchema)
    measures = ma.fields.Nested(CountsSchema)
    ignored_columns = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Columns exported but not imported (佐证材料: evidence)"},
    )


def _notice(fmt: str, query: dict):
    require("rectification.documents")
    content, mime, filename = rectification_notice.export(
        db.session, current_user, query["inspection_id"], fmt, query.get("as_of")
    )
    db.session.commit()
    return send_download(content, mime, filename)


@blp.route("/reports/rectification-notice.pdf", methods=["GET"])
@blp.arguments(DocumentQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The notice as PDF")
@blp.alt_response(404, description="No such inspection, or outside the caller's scope")
@blp.alt_response(422, description="inspection_id missing, or a bad value")
@blp.doc(**binary_response_doc(PDF_MIME, "The progress notice (整改进展情况通报), A4"))
def rectification_notice_pdf(query):
    """The progress notice (整改进展情况通报) in the published form, as PDF (discipline
    roles); audited."""
    return _notice("pdf", query)


@blp.route("/reports/rectification-notice.docx", methods=["GET"])
@blp.arguments(DocumentQuery, location="query")
@blp.response(200, content_type=DOCX_MIME, description="The notice as .docx")
@blp.alt_response(404, description="No such inspection, or outside the caller's scope")
@blp.alt_response(422, description="inspection_id missing, or a bad value")
@blp.doc(**binary_response_doc(DOCX_MIME, "The progress notice as a Word document"))
def rectification_notice_docx(query):
    """The progress notice as a Word document for the office to edit before it is
    published (discipline roles); audited."""
    return _notice("docx", query)


@blp.route("/reports/rectification-ledger.xlsx", methods=["GET"])
@blp.arguments(DocumentQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The ledger as .xlsx")
@blp.alt_response(404, description="No such inspection, or outside the caller's scope")
@blp.alt_response(422, description="inspection_id missing, or a bad value")
@blp.doc(**binary_response_doc(XLSX_MIME, "The ledger (整改台账), one row per measure"))
def rectification_ledger_xlsx(query):
    """The ledger (整改台账) as .xlsx, which re-imports unchanged (discipline roles);
    audited."""
    require("rectification.documents")
    content, mime, filename = rectification_ledger.export(
        db.session, current_user, query["inspection_id"], query.get("as_of")
    )
    db.session.commit()
    return send_download(content, mime, filename)


@blp.route("/imports/rectification-ledger", methods=["POST"])
@blp.arguments(LedgerImportQuery, location="query")
@blp.arguments(LedgerUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(200, LedgerSummarySchema)
@blp.alt_response(404, description="No such inspection, or outside the caller's scope")
@blp.alt_response(422, description="Rejected: `errors` lists {sheet, row, column, message}")
def import_rectification_ledger(query, form):
    """Import a ledger workbook into an inspection, all or nothing (discipline roles):
    findings by 序号, measures by their order; created and updated, never deleted."""
    require("rectification.import")
    inspection = readable_inspection(db.session, current_user, query["inspection_id"])
    filename, data = uploaded_file()
    dry_run = query["dry_run"] or form["dry_run"]
    summary = ledger.import_ledger(db.session, inspection, filename, data, dry_run=dry_run)
    finish_import(dry_run, db.session)
    return summary
