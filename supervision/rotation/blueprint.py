"""The rotation pages' blueprint, shared by the page modules that add routes to it
(supervision.rotation.views, plan_views): the app imports them all before registering it,
so neither module imports the other."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app
from flask_login import current_user, login_required

from supervision.common import clock
from supervision.common.permissions import can, requires
from supervision.rotation import forms as f
from supervision.rotation import labels

bp = Blueprint("rotation", __name__, url_prefix="/rotation")


def reader(view):
    """Signed in, holding a role that reads rotation (403 otherwise)."""
    return login_required(requires("rotation.read")(view))


@bp.context_processor
def _helpers():
    completion = "rotation_completion.index"
    return {
        "status_labels": labels.ROTATION_STATUS_LABELS,
        "status_classes": f.STATUS_CLASSES,
        "reason_labels": labels.ROTATION_REASON_LABELS,
        "plan_status_labels": labels.PLAN_STATUS_LABELS,
        "plan_status_classes": f.PLAN_STATUS_CLASSES,
        "problem_labels": labels.PLAN_PROBLEM_LABELS,
        "can_plan": can(current_user, "rotation.plan"),
        "can_decide": can(current_user, "rotation.decide"),
        "can_hold": can(current_user, "rotation.hold"),
        "can_policy": can(current_user, "rotation.policy"),
        "completion_endpoint": completion if completion in current_app.view_functions else None,
        "today": clock.today(),
        "day_before": lambda d: d - timedelta(days=1) if d else None,
    }
