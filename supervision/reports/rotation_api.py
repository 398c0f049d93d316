"""JSON API and report files of rotation figures: 应轮尽轮 and the candidates list."""

from __future__ import annotations

from supervision.common.api import ApiBlueprint

blp = ApiBlueprint("rotation_reports_api", __name__,
                   description="Rotation reports: candidates for the party committee, 应轮尽轮")
