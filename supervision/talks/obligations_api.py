"""JSON API of this area (placeholder until built)."""

from supervision.common.api import ApiBlueprint

blp = ApiBlueprint("obligations_api", __name__)
