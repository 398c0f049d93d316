"""JSON API: POST /imports/roster (multipart .xlsx or CSV) and GET /exports/roster.xlsx
(SPEC §10)."""

from __future__ import annotations

import io

import marshmallow as ma
from flask import request, send_file

from supervision.common import clock
from supervision.common.api import ApiBlueprint, BaseSchema, DryRunQuery
from supervision.common.permissions import require
from supervision.common.spreadsheet import XLSX_MIME
from supervision.common.uploads import finish_import, uploaded_file
from supervision.extensions import db
from supervision.org import roster, roster_export
from supervision.org.roster_io import SHEET_COLUMNS
from supervision.org.scope import current_scope

blp = ApiBlueprint("roster_api", __name__, description="Roster import and export (.xlsx / CSV)")


class RosterUploadSchema(BaseSchema):
    """The multipart form of an import."""

    file = ma.fields.Raw(
        metadata={"type": "string", "format": "binary", "description": ".xlsx workbook or CSV file"}
    )
    kind = ma.fields.String(
        validate=ma.validate.OneOf(list(SHEET_COLUMNS)),
        load_default=None,
        metadata={"description": "The sheet a CSV file holds"},
    )
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "Validate only"})


class SheetSummarySchema(ma.Schema):
    """Counts of one sheet."""

    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()


class RosterSummarySchema(ma.Schema):
    """The result of an import (or of a dry run)."""

    dry_run = ma.fields.Boolean()
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    sheets = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(SheetSummarySchema))
    ignored_columns = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Columns the file has that no sheet knows: {sheet, column}"},
    )


@blp.route("/imports/roster", methods=["POST"])
@blp.arguments(DryRunQuery, location="query")
@blp.arguments(RosterUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(200, RosterSummarySchema)
@blp.alt_response(422, description="Rejected: `errors` lists {sheet, row, column, message}")
def import_roster(query, form):
    """Import units, people, posts and assignments, all or nothing (admin, HR)."""
    require("org.write")
    filename, data = uploaded_file()
    dry_run = query["dry_run"] or form["dry_run"]
    summary = roster.import_roster(db.session, filename, data, kind=form["kind"], dry_run=dry_run)
    finish_import(dry_run, db.session)
    return summary


@blp.route("/exports/roster.xlsx", methods=["GET"])
@blp.response(200, content_type=XLSX_MIME, description="The roster workbook")
@blp.doc(
    responses={
        "200": {
            "description": "The roster workbook",
            "content": {XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def export_roster():
    """Export the roster in the caller's scope as .xlsx (admin, HR); the export is audited.
    `?layout=zh` gives the office layout (Chinese sheets, headers and values, dropdowns)."""
    require("org.write")
    layout = "zh" if request.args.get("layout") == "zh" else "api"
    data = roster_export.export_roster(db.session, current_scope(), layout=layout)
    db.session.commit()
    return send_file(
        io.BytesIO(data),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"roster-{clock.today().isoformat()}.xlsx",
    )
