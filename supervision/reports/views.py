"""Pages of this area (placeholder until built)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("reports", __name__)


@bp.get("/reports-placeholder")
@login_required
def index():
    abort(404)
