"""The one display label of each audit-log value: actions, object types (SPEC §1
vocabulary) and the reasons `verify` gives."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Labels of the actions the services record; unknown actions are shown as recorded.
AUDIT_ACTION_LABELS: dict[str, object] = {
    "create": _l("Create"),
    "update": _l("Update"),
    "delete": _l("Delete"),
    "login": _l("Log in"),
    "login_failed": _l("Failed login"),
    "login_locked": _l("Login locked"),
    "read": _l("Read"),
    "export": _l("Export"),
    "import": _l("Import"),
    "revoke": _l("Revoke"),
    "submit": _l("Submit"),
    "approve": _l("Approve"),
    "return": _l("Return"),
    "reject": _l("Reject"),
    "retire": _l("Retire"),
    "finalize": _l("Finalise"),
    "sign": _l("Sign"),
    "waive": _l("Waive"),
    "execute": _l("Execute"),
    "release": _l("Release"),
    "retry": _l("Retry"),
    "sweep": _l("Reminder sweep"),
    "read_all": _l("Mark all read"),
    "digest": _l("Weekly digest"),
    "logout": _l("Log out"),
    "sync": _l("Sync"),
    "reset": _l("Reset"),
    "demo_load": _l("Load demo data"),
    "backup": _l("Backup"),
    "restore": _l("Restore"),
    "rechain": _l("Re-chain"),
    # the rectification ledger (SPEC §14)
    "progress": _l("Rectification started"),
    "request_completion": _l("Request sign-off"),
    "complete": _l("Sign off"),
    "done": _l("Mark done"),
    "reopen": _l("Reopen"),
    "note": _l("Add a progress note"),
    "snapshot": _l("Monthly snapshot"),
    "attach": _l("Attach a file"),
    "detach": _l("Remove a file"),
    "link": _l("Link a record"),
    # report jobs (supervision.reports.jobs)
    "request": _l("Report requested"),
    "download": _l("Report downloaded"),
    "fail": _l("Report failed"),
    "recover": _l("Report jobs taken back"),
    "expire": _l("Report files expired"),
}
#: Labels of the object types (SPEC §1 vocabulary); unknown types are shown as recorded.
AUDIT_OBJECT_LABELS: dict[str, object] = {
    "user": _l("User"),
    "api_token": _l("API token"),
    "org_unit": _l("Org unit"),
    "person": _l("Person"),
    "post": _l("Post"),
    "assignment": _l("Assignment"),
    "roster": _l("Roster"),
    "calendar": _l("Calendar"),
    "calendar_day": _l("Calendar day"),
    "risk_point": _l("Integrity-risk point"),
    "measure": _l("Control measure"),
    "risk_campaign": _l("Screening campaign"),
    "talk": _l("Talk"),
    "obligation": _l("Talk obligation"),
    "obligation_waiver": _l("Waiver"),
    "integrity_note": _l("Integrity file note"),
    "rotation_deferral": _l("Deferral"),
    "rotation_hold": _l("Hold"),
    "rotation_plan": _l("Rotation plan"),
    "notification": _l("Notification"),
    "mail_message": _l("Reminder e-mail"),
    "calendar_feed": _l("Calendar feed"),
    "integrity_file": _l("Integrity file"),
    "settings": _l("Settings"),
    "demo": _l("Demo data"),
    "report": _l("Report"),
    "report_job": _l("Report job"),
    "database": _l("Database"),
    "audit": _l("Audit log"),
    "inspection": _l("Inspection"),
    "finding": _l("Inspection finding"),
    "rectification_measure": _l("Rectification measure"),
}
#: Explanations of verify()'s reasons.
VERIFY_REASON_LABELS: dict[str, object] = {
    "link to the previous entry is broken": _l(
        "It does not link to the entry before it: an entry was removed or changed."
    ),
    "entry content does not match its hash": _l(
        "Its content does not match its hash: it was changed after it was written."
    ),
    "entries missing at the end": _l(
        "Entries are missing at the end of the log (it was cut short)."
    ),
    "entries not counted by the chain head": _l(
        "Entries were added to the table without going through the application."
    ),
    "anchored entry is missing": _l(
        "The anchored entry is no longer in the log: entries were removed since the anchor."
    ),
    "entry differs from its anchor": _l(
        "The entry's hash differs from the anchor kept earlier: the log was rewritten."
    ),
    "chain is not keyed with the audit key": _l(
        "The chain is not keyed with the audit key: run the database migrations (flask db upgrade)."
    ),
}
#: Labels of fields recorded for many object types; each domain's labels.py names the
#: fields of its own objects (supervision.labels indexes them as "field:<object type>").
AUDIT_FIELD_LABELS: dict[str, object] = {
    "status": _l("Status"),
    "reason": _l("Reason"),
    "person_id": _l("Person"),
    "roles": _l("Roles"),
    "username": _l("Username"),
    "rows": _l("Rows"),
    "layout": _l("Layout"),
}
