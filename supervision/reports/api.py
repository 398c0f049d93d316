"""JSON API of the reports: GET /reports/risk-inventory.{pdf,xlsx} (SPEC §9, §10)."""

from __future__ import annotations

import marshmallow as ma

from supervision.common.api import ApiBlueprint, BaseSchema, Id, binary_response_doc
from supervision.common.downloads import send_download
from supervision.common.pdf import PDF_MIME
from supervision.common.permissions import require
from supervision.common.spreadsheet import XLSX_MIME
from supervision.extensions import db
from supervision.org.scope import current_risk_scope
from supervision.reports import risk_inventory
from supervision.reports.jobs_api import ASYNC_DOC, respond_async

blp = ApiBlueprint("reports_api", __name__, description="Reports (PDF and Excel)")


class RiskInventoryQuery(BaseSchema):
    """Which inventory: a unit's current one, or the one approved in a campaign."""

    org_unit_id = Id(
        load_default=None,
        metadata={
            "description": "The unit (with its subtree). Alone: its current inventory; with "
            "campaign_id: narrows the campaign's inventory to this subtree."
        },
    )
    campaign_id = Id(
        load_default=None,
        metadata={"description": "The inventory as approved in this campaign (frozen text)."},
    )
    as_of = ma.fields.Date(
        load_default=None,
        metadata={
            "description": "Reference date (YYYY-MM-DD, default today): open measures due "
            "before it are marked overdue."
        },
    )


def _send(fmt: str, query: dict):
    require("risks.edit")
    queued = respond_async("risk-inventory", fmt, query)
    if queued is not None:
        return queued
    content, mime, filename = risk_inventory.export(db.session, current_risk_scope(), fmt, **query)
    db.session.commit()
    return send_download(content, mime, filename)


@blp.route("/reports/risk-inventory.pdf", methods=["GET"])
@blp.arguments(RiskInventoryQuery, location="query")
@blp.response(200, content_type=PDF_MIME, description="The inventory as PDF")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit or campaign not found or outside the caller's scope")
@blp.alt_response(422, description="Neither org_unit_id nor campaign_id given, or a bad value")
@blp.doc(**binary_response_doc(PDF_MIME, "The inventory (排查清单) as a landscape A4 PDF"))
def risk_inventory_pdf(query):
    """The risk inventory (排查清单) as PDF (discipline roles; leaders for their units); audited."""
    return _send("pdf", query)


@blp.route("/reports/risk-inventory.xlsx", methods=["GET"])
@blp.arguments(RiskInventoryQuery, location="query")
@blp.response(200, content_type=XLSX_MIME, description="The inventory as .xlsx")
@blp.alt_response(202, **ASYNC_DOC)
@blp.alt_response(404, description="Unit or campaign not found or outside the caller's scope")
@blp.alt_response(422, description="Neither org_unit_id nor campaign_id given, or a bad value")
@blp.doc(**binary_response_doc(XLSX_MIME, "The inventory (排查清单) as an Excel workbook"))
def risk_inventory_xlsx(query):
    """The risk inventory (排查清单) as .xlsx (discipline roles; leaders for their units);
    audited."""
    return _send("xlsx", query)
