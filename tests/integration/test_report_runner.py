"""The report job runner on a real database (issue 14): two runners racing claim each job
once, a runner that died is taken over (then the job fails), expired files are removed by
the stored-files cleanup while live ones are kept and backed up, and the scheduler lists
the runner among its jobs."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from supervision import scheduler
from supervision.backup import files
from supervision.common import clock, storage
from supervision.reports import jobs
from supervision.reports.models import ReportJob
from tests import factories


def _queued(db, user, count: int) -> list[int]:
    """`count` queued jobs of `user` (as the request would leave them)."""
    rows = [
        ReportJob(
            kind="rotation-candidates",
            format="xlsx",
            parameters="{}",
            requested_by_id=user.id,
            status="queued",
            stage="queued",
            created_at=clock.now(),
        )
        for _ in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def test_two_runners_racing_claim_every_job_exactly_once(app, db):
    user = factories.user(db.session, "hr", ("hr",))
    ids = _queued(db, user, 12)
    start = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def runner(name: str) -> None:
        try:
            with app.app_context():
                start.wait(10)
                while (job_id := jobs.claim(db.session, runner=name)) is not None:
                    claimed[name].append(job_id)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(claimed["a"] + claimed["b"]) == ids  # every job once, none twice
    assert not set(claimed["a"]) & set(claimed["b"])
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ReportJob).order_by(ReportJob.id)).all()
    assert {(r.status, r.attempts) for r in rows} == {("running", 1)}
    owner = {job_id: name for name, got in claimed.items() for job_id in got}
    assert all(r.claimed_by == owner[r.id] for r in rows)


def test_a_job_whose_runner_died_is_queued_again_then_failed(app, db):
    user = factories.user(db.session, "hr", ("hr",))
    (job_id,) = _queued(db, user, 1)
    assert jobs.claim(db.session, runner="dead-runner") == job_id
    assert jobs.recover(db.session) == 0  # its heartbeat is fresh
    job = db.session.get(ReportJob, job_id)
    job.heartbeat_at = clock.now() - timedelta(minutes=jobs.STUCK_MINUTES + 1)
    db.session.commit()
    assert jobs.recover(db.session) == 1
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.stage, job.attempts, job.claimed_by) == ("queued", "requeued", 1, "")

    assert jobs.claim(db.session, runner="second") == job_id
    job = db.session.get(ReportJob, job_id)
    job.heartbeat_at = clock.now() - timedelta(minutes=jobs.STUCK_MINUTES + 1)
    db.session.commit()
    assert jobs.recover(db.session) == 1
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.attempts) == ("failed", 2)
    assert "中断" in job.message and "runner silent" in job.error
    assert jobs.claim(db.session) is None


def test_the_runner_makes_the_report_and_the_cleanup_removes_it_after_the_retention(app, db):
    user = factories.user(db.session, "hr", ("hr",))
    (job_id,) = _queued(db, user, 1)
    assert jobs.run_pending(db.session) == 1
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.progress, job.content_type) == (
        "done",
        100,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    path = storage.path_for(job.sha256)
    assert path.is_file() and path.stat().st_size == job.size
    retention = job.expires_at - job.finished_at
    assert retention == timedelta(days=jobs.RETENTION_DAYS)
    with db.engine.connect() as conn:
        assert job.sha256 in files.referenced(conn)  # backed up, kept from the cleanup
    old = time.time() - 8 * 24 * 3600  # the file is as old as the retention
    os.utime(path, (old, old))

    files.clean_orphans()
    assert path.is_file()  # still within its retention: referenced
    job = db.session.get(ReportJob, job_id)
    job.expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    result = files.clean_orphans()
    assert not path.exists() and result.removed >= 1
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.sha256) == ("expired", None)
    with db.engine.connect() as conn:
        assert None not in files.referenced(conn)


def test_the_scheduler_runs_the_report_jobs_every_few_seconds():
    spec = {s.id: s for s in scheduler.job_specs({})}["report_jobs"]
    assert spec.func is scheduler.reports_job and not spec.at_start
    assert spec.trigger == "interval" and spec.trigger_args == {"seconds": 5}


def test_a_runner_whose_job_was_taken_over_stops_and_writes_nothing(app, db, monkeypatch):
    from supervision.reports import rotation_candidates

    user = factories.user(db.session, "hr", ("hr",))
    (job_id,) = _queued(db, user, 1)
    build = rotation_candidates.build

    def slow_build(session, *args, **kwargs):
        # Meanwhile the job was declared stuck and another runner claimed it.
        session.execute(
            sa.update(ReportJob).where(ReportJob.id == job_id).values(claimed_by="other-runner")
        )
        session.commit()
        return build(session, *args, **kwargs)

    monkeypatch.setattr(rotation_candidates, "build", slow_build)
    assert jobs.claim(db.session, runner="slow-runner") == job_id
    assert jobs.run(db.session, job_id, "slow-runner") == "taken over"
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.claimed_by, job.sha256, job.progress) == (
        "running",
        "other-runner",
        None,
        10,
    )
