"""The background path of the reports for integrations (issue 14):

- POST /report-jobs — queue a report (the checks of its direct download are made at once:
  403 without the grant, 404 for a unit outside the scope, 422 for a bad parameter);
  answers 202 with the job and `Location`.
- GET /report-jobs/{id} — its state: `status` queued, running, done, failed or expired,
  `progress` 0–100, `stage`, and `file_url` once done.
- GET /report-jobs/{id}/file — the file (grant and scope checked again; 409 while it is
  being made, 410 once deleted after the retention period); audited.

A job is its requester's alone (404 for anyone else). The direct GET /reports/….{pdf,xlsx}
keep answering the file itself (SPEC §10); for a large branch this path is the one that no
proxy or worker timeout can cut. A client of the direct addresses may take it without
changing them: with `Prefer: respond-async` (RFC 7240) they answer 202 with the queued job
instead of the file (`respond_async`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, jsonify, request, url_for
from flask.views import MethodView
from flask_login import current_user

from supervision.common.api import (
    ApiBlueprint,
    BaseSchema,
    Id,
    LocalDateTime,
    binary_response_doc,
    labelled,
    one_line,
)
from supervision.common.permissions import require
from supervision.extensions import db
from supervision.reports import export, jobs, runner
from supervision.reports.job_views import send_job_file, status_of
from supervision.reports.labels import JOB_STATUS_LABELS
from supervision.rotation import rules as rotation_rules

blp = ApiBlueprint(
    "report_jobs_api",
    __name__,
    description="Reports generated in the background: queue, follow, download",
)


class ReportParameters(BaseSchema):
    """The report's parameters: those of its direct download (each report takes its own)."""

    org_unit_id = Id(load_default=None, metadata={"description": "the unit and its subtree"})
    campaign_id = Id(load_default=None, metadata={"description": "risk-inventory: a campaign"})
    period = ma.fields.Str(
        load_default=None,
        validate=one_line(16),
        metadata={"description": "talk-completion, rotation-completion: 2025Q3, 2025H2, 2025"},
    )
    type = ma.fields.Str(
        load_default=None,
        validate=one_line(32),
        metadata={"description": "talk-completion: one obligation type"},
    )
    as_of = ma.fields.Date(load_default=None, metadata={"description": "default: today"})
    status = ma.fields.Str(
        load_default=None,
        validate=ma.validate.OneOf(rotation_rules.STATUSES),
        metadata={"description": "rotation-candidates: only this status"},
    )


class ReportJobRequest(BaseSchema):
    """Which report, in which format, with which parameters."""

    kind = ma.fields.Str(required=True, validate=ma.validate.OneOf(list(jobs.KINDS)))
    format = ma.fields.Str(required=True, validate=ma.validate.OneOf(list(export.FORMATS)))
    parameters = ma.fields.Nested(ReportParameters, load_default=dict)


class ReportJobSchema(BaseSchema):
    """A report job as its requester sees it."""

    id = ma.fields.Int()
    kind = ma.fields.Str()
    format = ma.fields.Str()
    parameters = ma.fields.Dict()
    status = ma.fields.Str(metadata=labelled(JOB_STATUS_LABELS))
    progress = ma.fields.Int(metadata={"description": "0–100"})
    stage = ma.fields.Str(metadata={"description": "what the runner is doing, in words"})
    created_at = LocalDateTime()
    started_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    expires_at = LocalDateTime(allow_none=True, metadata={"description": "file kept until"})
    filename = ma.fields.Str(allow_none=True, metadata={"description": "the file's name"})
    size = ma.fields.Int(allow_none=True, metadata={"description": "bytes"})
    message = ma.fields.Str(allow_none=True, metadata={"description": "why it failed"})
    file_url = ma.fields.Str(metadata={"description": "where the file is, once done"})


def _body(job) -> dict:
    body = status_of(job)
    if "file_url" in body:
        body["file_url"] = url_for("report_jobs_api.file", job_id=job.id)
    return body


#: OpenAPI answer of the direct report addresses asked with `Prefer: respond-async`.
ASYNC_DOC = {
    "description": "With the header `Prefer: respond-async`: the report queued as a job "
    "(body as GET /report-jobs/{id}, `Location` its address); follow it and fetch its file"
}


def respond_async(kind: str, fmt: str, query: dict):
    """The 202 answer of a direct report address asked with `Prefer: respond-async`: the
    report queued as a job (checked as the direct download is); None without the header."""
    preferences = request.headers.get("Prefer", "").lower().replace(" ", "").split(",")
    if "respond-async" not in preferences:
        return None
    job = jobs.request_report(db.session, current_user, kind, fmt, query)
    db.session.commit()
    runner.notify(current_app._get_current_object())
    response = jsonify(ReportJobSchema().dump(_body(job)))
    response.status_code = 202
    response.headers["Location"] = url_for("report_jobs_api.job", job_id=job.id)
    response.headers["Preference-Applied"] = "respond-async"
    return response


@blp.route("/report-jobs")
class ReportJobs(MethodView):
    @blp.arguments(ReportJobRequest)
    @blp.response(202, ReportJobSchema)
    @blp.alt_response(403, description="The caller may not produce this report")
    @blp.alt_response(404, description="Unit or campaign not found or outside the caller's scope")
    def post(self, data):
        """Queue a report (discipline roles, leaders, HR and admins as for its direct
        download); follow it at `Location`. Audited."""
        require("reports.read")
        job = jobs.request_report(
            db.session, current_user, data["kind"], data["format"], data["parameters"]
        )
        db.session.commit()
        runner.notify(current_app._get_current_object())
        return _body(job), {"Location": url_for("report_jobs_api.job", job_id=job.id)}


@blp.route("/report-jobs/<int:job_id>", endpoint="job")
class ReportJobItem(MethodView):
    @blp.response(200, ReportJobSchema)
    @blp.alt_response(404, description="No such job of the caller")
    def get(self, job_id):
        """The state of one of the caller's report jobs."""
        require("reports.read")
        return _body(jobs.job_of(db.session, current_user, job_id))


@blp.route("/report-jobs/<int:job_id>/file", endpoint="file")
class ReportJobFile(MethodView):
    @blp.response(200, description="The report's file")
    @blp.alt_response(403, description="The caller no longer holds the report's grant")
    @blp.alt_response(404, description="No such job of the caller, or its unit left the scope")
    @blp.alt_response(409, description="The report is not ready yet")
    @blp.alt_response(410, description="The file was deleted after the retention period")
    @blp.doc(**binary_response_doc("application/octet-stream", "The PDF or Excel file"))
    def get(self, job_id):
        """The report's file with its Chinese name (grant and scope checked again); audited."""
        require("reports.read")
        job = jobs.file_of(db.session, current_user, job_id)
        db.session.commit()
        return send_job_file(job)
