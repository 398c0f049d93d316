"""Pages of this area (placeholder until built)."""

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("org", __name__)


@login_required
def placeholder():
    abort(404)


for _name in ("units", "people", "posts", "assignments"):
    bp.add_url_rule(f"/org/{_name}", _name, placeholder)
