"""The 应轮尽轮 page: people rotated in a period against those still due, per unit."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rotation_completion", __name__, url_prefix="/rotation/completion")
