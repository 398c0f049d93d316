"""Pages of this area (placeholder until built)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("risk_import", __name__)


@bp.get("/risk_import-placeholder")
@login_required
def index():
    abort(404)
