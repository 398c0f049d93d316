"""Pages of this area (placeholder until built)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("risks", __name__)


@bp.get("/risks-placeholder")
@login_required
def index():
    abort(404)
