"""Audit log pages: the filtered list, one entry, and the chain check (admin, discipline
secretary)."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from supervision.audit import services
from supervision.audit.labels import (
    AUDIT_ACTION_LABELS,
    AUDIT_OBJECT_LABELS,
    VERIFY_REASON_LABELS,
)
from supervision.audit.models import AuditEntry
from supervision.common.pages import paginate
from supervision.common.permissions import can, requires
from supervision.common.templating import label
from supervision.extensions import db

bp = Blueprint("audit", __name__)

#: Changed fields shown per row in the list before "and N more".
LIST_FIELDS = 4


def _choices(labels: dict[str, object], current: str | None) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("", _l("All"))]
    out += list(labels.items())
    if current and current not in labels:
        out.append((current, current))  # a value recorded by code this page has no label for
    return out


class FilterForm(FlaskForm):
    """The filters of the list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    object = SelectField(_l("Object type"), validate_choice=False)
    object_id = StringField(_l("Object ID"), [Optional(), Length(max=64)])
    action = SelectField(_l("Action"), validate_choice=False)
    actor = StringField(_l("Actor (username)"), [Optional(), Length(max=64)])
    since = DateField(_l("From"), [Optional()])
    until = DateField(_l("To"), [Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.object.choices = _choices(AUDIT_OBJECT_LABELS, self.object.data)
        self.action.choices = _choices(AUDIT_ACTION_LABELS, self.action.data)

    def validate_until(self, field) -> None:
        """The range must not end before it starts."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("The end date is before the start date."))

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for services.entries_select()."""
        return {
            "object_type": self.object.data or None,
            "object_id": (self.object_id.data or "").strip() or None,
            "action": self.action.data or None,
            "actor": (self.actor.data or "").strip() or None,
            "since": self.since.data,
            "until": self.until.data,
        }


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def field_label(object_type: str | None, name: str) -> object:
    """A recorded field's label in the reader's language: the object type's own (from its
    domain's labels.py), else a shared one, else the name as recorded."""
    own = label(f"field:{object_type}", name)
    return own if own != name else label("field:*", name)


def change_rows(entry: AuditEntry) -> list[dict[str, Any]]:
    """The entry's changes as rows {field, name, before, after, pair} for display (values as
    text; `field` is the label, `name` the column as recorded)."""
    confidential_ok = can(current_user, "audit.read_confidential")
    rows = []
    for name, value in services.parsed_changes(entry, confidential_ok).items():
        if isinstance(value, list) and len(value) == 2:
            rows.append(
                {
                    "field": field_label(entry.object_type, name),
                    "name": name,
                    "before": _fmt(value[0]),
                    "after": _fmt(value[1]),
                    "pair": True,
                    "created": value[0] is None,
                    "deleted": value[1] is None,
                }
            )
        else:
            rows.append(
                {
                    "field": field_label(entry.object_type, name),
                    "name": name,
                    "before": "",
                    "after": _fmt(value),
                    "pair": False,
                    "created": False,
                    "deleted": False,
                }
            )
    return rows


@bp.app_template_global("audit_action_label")
def action_label(action: str) -> object:
    """The translated label of an audit action."""
    return AUDIT_ACTION_LABELS.get(action, action)


@bp.app_template_global("audit_object_label")
def object_label(object_type: str) -> object:
    """The translated label of an audited object type."""
    return AUDIT_OBJECT_LABELS.get(object_type, object_type)


@bp.app_template_global("audit_reason_label")
def reason_label(reason: str) -> object:
    """The translated explanation of a verify() failure."""
    return VERIFY_REASON_LABELS.get(reason, reason)


@bp.get("/admin/audit")
@login_required
@requires("audit.read")
def index():
    """The audit log, newest first, with filters and pages."""
    form = FilterForm(request.args)
    page = (
        paginate(services.entries_select(db.session, **form.filters())) if form.validate() else None
    )
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        change_rows=change_rows,
        list_fields=LIST_FIELDS,
        filtered=any(form.filters().values()),
    )


@bp.get("/admin/audit/<int:entry_id>")
@login_required
@requires("audit.read")
def entry(entry_id: int):
    """One entry in full, with its links to the neighbouring entries checked."""
    e = db.session.get(AuditEntry, entry_id)
    if e is None:
        abort(404)
    prev_row = db.session.execute(
        sa.select(AuditEntry.id, AuditEntry.hash)
        .where(AuditEntry.id < e.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    next_id = db.session.scalar(sa.select(sa.func.min(AuditEntry.id)).where(AuditEntry.id > e.id))
    expected_prev = prev_row.hash if prev_row else services.GENESIS
    checks = {
        "content": services.entry_hash(e.prev_hash, e) == e.hash,
        "link": e.prev_hash == expected_prev,
    }
    return render_template(
        "audit/entry.html",
        e=e,
        rows=change_rows(e),
        checks=checks,
        prev_id=prev_row.id if prev_row else None,
        next_id=next_id,
    )


def _anchors(text: str) -> tuple[list[services.Anchor], str]:
    """The anchors typed into the verify page (ID:HASH, separated by spaces, commas or new
    lines) and an error message ("" when every one is well formed)."""
    anchors = []
    for part in re.split(r"[\s,，]+", text.strip()):
        if not part:
            continue
        try:
            anchors.append(services.parse_anchor(part))
        except ValueError:
            return [], _(
                "“%(value)s” is not an anchor: write the entry ID, a colon and its 64-character "
                "hash, as in the weekly digest.",
                value=part[:80],
            )
    return anchors, ""


@bp.get("/admin/audit/verify")
@login_required
@requires("audit.read")
def verify():
    """Check the whole chain (and the anchors given, `?anchor=ID:HASH`) and show the result; a
    break is shown among its neighbours."""
    anchor_text = request.args.get("anchor", "")[:2000]
    anchors, anchor_error = _anchors(anchor_text)
    if anchor_error:
        return render_template(
            "audit/verify.html",
            result=None,
            anchor_text=anchor_text,
            anchor_error=anchor_error,
            anchors=[],
            head=None,
        )
    result = services.verify(db.session, anchors)
    around: list[AuditEntry] = []
    broken_exists = False
    if not result.ok:
        broken = result.first_broken_id or 0
        before = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.id < broken)
            .order_by(AuditEntry.id.desc())
            .limit(2)
        ).all()
        after = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id >= broken).order_by(AuditEntry.id).limit(3)
        ).all()
        around = [*reversed(before), *after]
        broken_exists = any(e.id == broken for e in after)
    head = services.head(db.session)
    return render_template(
        "audit/verify.html",
        result=result,
        around=around,
        broken_exists=broken_exists,
        change_rows=change_rows,
        list_fields=LIST_FIELDS,
        anchor_text=anchor_text,
        anchor_error="",
        anchors=anchors,
        head=services.format_anchor(head) if head and result.ok else None,
    )
