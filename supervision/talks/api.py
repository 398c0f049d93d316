"""JSON API of this area (placeholder until built)."""

from supervision.common.api import ApiBlueprint

blp = ApiBlueprint("talks_api", __name__)
