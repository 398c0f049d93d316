"""JSON API: POST /imports/risk-inventory (multipart .xlsx or CSV; issue 3, SPEC §5/§9)."""

from __future__ import annotations

import marshmallow as ma

from supervision.common.api import ApiBlueprint, BaseSchema, DryRunQuery
from supervision.common.permissions import require
from supervision.common.uploads import finish_import, uploaded_file
from supervision.extensions import db
from supervision.org.scope import current_risk_scope
from supervision.risks import importer

blp = ApiBlueprint(
    "risk_import_api", __name__, description="Import of an existing risk inventory (排查清单)"
)


class InventoryUploadSchema(BaseSchema):
    """The multipart form of an inventory import."""

    file = ma.fields.Raw(
        metadata={
            "type": "string",
            "format": "binary",
            "description": ".xlsx workbook or CSV file with the 排查清单 columns",
        }
    )
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "Validate only"})


class ImportedRowSchema(ma.Schema):
    """What one row of the file did."""

    sheet = ma.fields.String()
    row = ma.fields.Integer()
    action = ma.fields.String(metadata={"enum": ["created", "updated", "unchanged"]})
    risk_point_id = ma.fields.Integer(allow_none=True)
    org_unit = ma.fields.String()
    post = ma.fields.String()
    title = ma.fields.String()
    likelihood = ma.fields.Integer()
    impact = ma.fields.Integer()
    level = ma.fields.String()
    changed = ma.fields.List(ma.fields.String())


class InventorySummarySchema(ma.Schema):
    """The result of an import (or of a dry run)."""

    dry_run = ma.fields.Boolean()
    rows = ma.fields.Integer()
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    sheets = ma.fields.List(ma.fields.String(), metadata={"description": "Sheets read"})
    ignored_columns = ma.fields.List(
        ma.fields.String(), metadata={"description": "Unknown headers"}
    )
    derived_pairs = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Integer()),
        metadata={"description": "(likelihood, impact) used for rows that gave only 风险等级"},
    )
    items = ma.fields.List(ma.fields.Nested(ImportedRowSchema))


@blp.route("/imports/risk-inventory", methods=["POST"])
@blp.arguments(DryRunQuery, location="query")
@blp.arguments(InventoryUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(200, InventorySummarySchema)
@blp.alt_response(422, description="Rejected: `errors` lists {sheet, row, column, message}")
def import_inventory(query, form):
    """Import a risk inventory, all or nothing (discipline roles; leaders into their units)."""
    require("risks.edit")
    filename, data = uploaded_file()
    dry_run = query["dry_run"] or form["dry_run"]
    summary = importer.import_inventory(
        db.session, filename, data, current_risk_scope(), dry_run=dry_run
    )
    finish_import(dry_run, db.session)
    return summary
