"""JSON API of this area (placeholder until built)."""

from supervision.common.api import ApiBlueprint

blp = ApiBlueprint("reports_api", __name__)
