"""JSON API of rotation (SPEC §7, §10): policy, eligibility, deferrals, holds and plans."""

from __future__ import annotations

from supervision.common.api import ApiBlueprint

blp = ApiBlueprint("rotation_api", __name__,
                   description="Rotation: policy, tenure and eligibility, deferrals, holds, plans")
