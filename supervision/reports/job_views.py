"""Pages of report jobs: the caller's reports, one job's progress, its status as JSON for
the page's script (static/js/report-job.js), and its file.

A job is its requester's alone: anyone else gets 404. The file is served only after the
report's own grant and scope are checked again (a user who lost the role gets 403), with
its Chinese name, never cached; each download is audited.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from supervision.common import storage
from supervision.common.downloads import FileName, content_disposition
from supervision.common.permissions import requires
from supervision.common.templating import localtime
from supervision.extensions import db
from supervision.org.models import OrgUnit
from supervision.reports import jobs, runner
from supervision.reports.labels import FORMAT_LABELS, JOB_STATUS_LABELS
from supervision.reports.models import ReportJob
from supervision.risks.models import RiskCampaign
from supervision.rotation.labels import ROTATION_STATUS_LABELS
from supervision.talks.labels import TALK_TYPE_LABELS

bp = Blueprint("report_jobs", __name__)

#: How each parameter is called on the job page.
PARAMETER_LABELS = {
    "org_unit_id": _l("Unit"),
    "campaign_id": _l("Campaign"),
    "period": _l("Period"),
    "type": _l("Talk type"),
    "as_of": _l("As of"),
    "status": _l("Status"),
}


def size_label(size: int | None) -> str:
    """A file size as people read it: 395 KB, 2.4 MB."""
    if size is None:
        return ""
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _context(**extra) -> dict:
    """What both job pages show besides the jobs."""
    return {
        "status_labels": JOB_STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "stages": jobs.STAGES,
        "size_label": size_label,
        "retention_days": int(
            current_app.config.get("REPORT_RETENTION_DAYS") or jobs.RETENTION_DAYS
        ),
        **extra,
    }


def _details(job: ReportJob) -> list[tuple[object, object]]:
    """The job's parameters as (label, value), with the names of the unit and campaign."""
    out = []
    for name, value in job.params.items():
        if name == "org_unit_id":
            unit = db.session.get(OrgUnit, value)
            value = unit.name if unit else value
        elif name == "campaign_id":
            campaign = db.session.get(RiskCampaign, value)
            value = f"{campaign.name} ({campaign.year})" if campaign else value
        elif name == "type":
            value = TALK_TYPE_LABELS.get(value, value)
        elif name == "status":
            value = ROTATION_STATUS_LABELS.get(value, value)
        out.append((PARAMETER_LABELS.get(name, name), value))
    return out


def send_job_file(job: ReportJob):
    """The job's stored file as an attachment with its Chinese name (read from disk, not
    loaded whole into memory)."""
    response = send_file(
        storage.path_for(job.sha256),
        mimetype=job.content_type,
        as_attachment=True,
        download_name=job.fallback_filename or "report",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(
        FileName(job.filename, job.fallback_filename)
    )
    return response


def status_of(job: ReportJob) -> dict:
    """The job as the page's script and the API show it, with its file's address when done."""
    out = jobs.describe(job)
    if job.status == "done":
        out["file_url"] = url_for("report_jobs.file", job_id=job.id)
    return out


def _nudge(job: ReportJob) -> None:
    """A queued job wakes this process's runner thread, where there is one (it may have
    been started before a reload)."""
    if job.status == "queued":
        runner.notify(current_app._get_current_object())


@bp.get("/reports/jobs")
@login_required
@requires("reports.read")
def index():
    """The caller's recent reports: state, size, download, why one failed."""
    return render_template(
        "reports/jobs.html",
        **_context(jobs=jobs.recent(db.session, current_user), kinds=jobs.KINDS),
    )


@bp.get("/reports/jobs/<int:job_id>")
@login_required
@requires("reports.read")
def show(job_id: int):
    """One report's progress; its download once it is ready."""
    job = jobs.job_of(db.session, current_user, job_id)
    _nudge(job)
    return render_template(
        "reports/job.html",
        **_context(job=job, kind=jobs.KINDS.get(job.kind), details=_details(job)),
    )


@bp.get("/reports/jobs/<int:job_id>/status")
@login_required
@requires("reports.read")
def status(job_id: int):
    """The job's state as JSON, polled by the job page."""
    job = jobs.job_of(db.session, current_user, job_id)
    _nudge(job)
    body = status_of(job)
    for key in ("created_at", "started_at", "finished_at", "expires_at"):
        body[key] = body[key].isoformat() if body[key] else None
    body["size_label"] = size_label(job.size)
    if job.expires_at is not None:
        body["kept_until"] = _("Kept until %(time)s.", time=localtime(job.expires_at))
    return jsonify(body)


@bp.get("/reports/jobs/<int:job_id>/file")
@login_required
@requires("reports.read")
def file(job_id: int):
    """The report's file (grant and scope checked again; audited)."""
    job = jobs.file_of(db.session, current_user, job_id)
    db.session.commit()
    return send_job_file(job)
