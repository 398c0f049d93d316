"""Rotation pages: eligibility list, a person's tenure timeline, plans, deferrals, holds,
and the policy."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rotation", __name__, url_prefix="/rotation")
