"""The scheduler process for real (SPEC §8, §11): `python -m flask --app wsgi scheduler run`
started as a subprocess on the suite's database (SQLite file or PostgreSQL), mailing a real
SMTP server on loopback (aiosmtpd). It creates and sends each notification once, stops
cleanly on SIGTERM/SIGINT, survives SIGKILL, and two schedulers at once repeat nothing."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from apscheduler.util import obj_to_ref

from supervision import scheduler
from supervision.common import clock
from supervision.reminders.models import Notification, SchedulerJob
from supervision.reminders.settings import update_reminder_settings
from supervision.risks.models import RiskPoint
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
#: Short intervals so that a test takes seconds (the defaults are SPEC's 15 min and 1 min).
INTERVALS = {
    "SCHEDULER_SWEEP_SECONDS": "1",
    "SCHEDULER_DELIVER_SECONDS": "0.5",
    "SCHEDULER_DIGEST_SECONDS": "2",
    "SCHEDULER_REPORTS_SECONDS": "0.5",
}
WAIT = 60  # seconds: generous for a loaded 2-core machine; the usual run takes a few


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler recording the notification id of each message it accepts. It can
    wait `delay` seconds at every RCPT, and hang `hang` seconds at the `hang_at`-th RCPT
    (setting `hung`), so that a test can act while a message is being sent."""

    def __init__(self):
        self.ids: list[int] = []
        self.rcpts = 0
        self.delay = 0.0
        self.hang_at: int | None = None
        self.hang = 0.0
        self.hung = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.rcpts == self.hang_at:
            self.hung.set()
            await asyncio.sleep(self.hang)
        elif self.delay:
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.ids.extend(int(i) for i in msg["X-Supervision-Notifications"].split(","))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """A real SMTP server on loopback; yields (mailbox, port)."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def due(db):
    """Twelve people with an e-mail address, each owning a risk point whose review was due
    60 days ago: the sweep owes each of them one `review_overdue` notification."""
    s = db.session
    unit = factories.unit(s, "法制大队")
    owners = [
        factories.person(s, unit, f"负责人{i}", email=f"owner{i}@example.test") for i in range(12)
    ]
    s.flush()
    review_due = clock.today() - timedelta(days=60)
    for i, owner in enumerate(owners):
        s.add(
            RiskPoint(
                org_unit_id=unit.id,
                title=f"风险点{i}",
                category="duty",
                likelihood=2,
                impact=2,
                department_owner_id=owner.id,
                review_due_on=review_due,
                status="approved",
            )
        )
    # Steps 60 days old are e-mailed only with a backlog window that reaches them.
    update_reminder_settings(s, {"mail_backlog_days": 90})
    s.commit()
    return [o.id for o in owners]


class Launcher:
    """Starts scheduler processes on the suite's database; kills leftovers at the end."""

    def __init__(self, url: str, port: int, folder: Path):
        self.url, self.port, self.folder = url, port, folder
        self.procs: list[tuple[subprocess.Popen, Path, Path]] = []

    def start(self, **extra: str) -> subprocess.Popen:
        """One `scheduler run` process (extra environment variables in `extra`)."""
        n = len(self.procs)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MAIL_", "SCHEDULER_", "SUPERVISION_", "TEST_DATABASE"))
        }
        env.update(
            {
                "SUPERVISION_ENV": "production",
                "SECRET_KEY": "scheduler-test",
                "DATABASE_URL": self.url,
                "SUPERVISION_INSTANCE": str(self.folder / "instance"),
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(self.port),
                "PYTHONUNBUFFERED": "1",
                **INTERVALS,
                **extra,
            }
        )
        out, err = self.folder / f"out{n}.txt", self.folder / f"err{n}.txt"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
                cwd=ROOT,
                env=env,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
            )
        self.procs.append((proc, out, err))
        return proc

    def output(self, proc: subprocess.Popen) -> tuple[str, str]:
        """(stdout, stderr) of a process so far."""
        for p, out, err in self.procs:
            if p is proc:
                return out.read_text(), err.read_text()
        raise KeyError(proc)

    def logs(self) -> str:
        """Every process's output, for a failure message."""
        return "\n".join(
            f"--- process {i} (rc={p.poll()})\n{o.read_text()}{e.read_text()[-3000:]}"
            for i, (p, o, e) in enumerate(self.procs)
        )

    def stop(self, proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 15) -> int:
        """Send `sig` and wait for the exit status."""
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        """SIGKILL whatever still runs."""
        for proc, _out, _err in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def launcher(app, smtp, tmp_path):
    """Starts scheduler processes against the suite's database and the test SMTP server."""
    launch = Launcher(app.config["SQLALCHEMY_DATABASE_URI"], smtp[1], tmp_path)
    yield launch
    launch.cleanup()


def _statuses(db) -> dict[int, str]:
    """{notification id: e-mail status}, read in a short transaction of its own."""
    with db.engine.connect() as conn:
        return dict(conn.execute(sa.select(Notification.id, Notification.email_status)).all())


def wait_for(predicate, launcher: Launcher, what: str, timeout: float = WAIT) -> None:
    """Poll `predicate` until it holds; fail with the processes' output otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{launcher.logs()}")


def _all_sent(db, box: Mailbox, n: int):
    def check() -> bool:
        statuses = _statuses(db)
        return len(statuses) == n and set(statuses.values()) == {"sent"} and len(box.ids) >= n

    return check


def _exactly_once(db, box: Mailbox, owners: list[int]) -> None:
    """One notification per owner, and one message per notification."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                Notification.id,
                Notification.recipient_id,
                Notification.step,
                Notification.email_status,
            )
        ).all()
    assert sorted(r.recipient_id for r in rows) == sorted(owners)
    assert {r.step for r in rows} == {"review_overdue"}
    assert {r.email_status for r in rows} == {"sent"}
    assert sorted(box.ids) == sorted(r.id for r in rows), "a message lost or sent twice"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_runs_the_jobs_and_stops_cleanly_letting_the_running_job_finish(
    db, due, smtp, launcher, sig
):
    box, _port = smtp
    box.hang_at, box.hang = 3, 1.5  # the 3rd message is being sent when the signal comes
    proc = launcher.start()
    wait_for(box.hung.is_set, launcher, "the delivery to reach the 3rd message")
    stopping = time.monotonic()
    assert launcher.stop(proc, sig) == 0, launcher.logs()
    assert time.monotonic() - stopping < 10
    # The running delivery finished its run before the process exited: nothing is left
    # half-sent, and every e-mail went out once.
    _exactly_once(db, box, due)
    out, err = launcher.output(proc)
    assert "Scheduler started" in out and out.rstrip().endswith("Scheduler stopped."), out
    assert "reminders sweep: " in err and "12 notifications created" in err, err
    assert "supervision.audit: audit anchor: " in err, err  # the anchor job ran at start
    assert "calendar sync: " in err, err  # so did the calendar sync
    assert "obligations rebuild: " in err, err  # and the obligations table's rebuild
    with db.engine.connect() as conn:
        jobs = set(conn.scalars(sa.select(SchedulerJob.id)))
    assert jobs == {
        "reminders_sweep",
        "reminders_deliver",
        "reminders_digest",
        "calendar_sync",
        "audit_anchor",
        "orphan_files",
        "rectification_snapshots",
        "obligations_rebuild",
        "tenure_rebuild",
        "report_jobs",
    }


def test_a_killed_scheduler_restarts_without_losing_or_repeating_anything(db, due, smtp, launcher):
    box, _port = smtp
    box.hang_at, box.hang = 5, 30  # SIGKILL while the 5th message is in the middle of SMTP
    first = launcher.start()
    wait_for(box.hung.is_set, launcher, "the delivery to reach the 5th message")
    first.kill()
    assert first.wait(timeout=10) == -signal.SIGKILL
    statuses = _statuses(db)
    assert len(statuses) == len(due)  # the sweep had committed everything
    assert sorted(statuses.values()).count("sent") == 4 == len(box.ids)
    [claimed] = [i for i, status in statuses.items() if status == "sending"]

    # Restarted at once: the sweep creates nothing more, the delivery sends the rest, and
    # leaves the dead process's claimed message alone while its lease runs.
    second = launcher.start()
    wait_for(lambda: len(box.ids) >= len(due) - 1, launcher, "the rest of the messages")
    time.sleep(1.5)  # three more delivery runs
    assert claimed not in box.ids and len(box.ids) == len(due) - 1
    assert _statuses(db)[claimed] == "sending"
    assert launcher.stop(second) == 0, launcher.logs()

    # Restarted after the lease (5 minutes) has run out, simulated by the process's clock:
    # the claimed message is taken over and sent, once.
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    third = launcher.start(SUPERVISION_FAKE_NOW=later)
    wait_for(_all_sent(db, box, len(due)), launcher, "the claimed message")
    time.sleep(1.0)
    assert launcher.stop(third) == 0, launcher.logs()
    _exactly_once(db, box, due)


def test_two_schedulers_at_once_create_and_send_everything_once(db, due, smtp, launcher):
    box, _port = smtp
    box.delay = 0.05  # deliveries of the two processes overlap
    procs = [launcher.start(), launcher.start()]
    wait_for(_all_sent(db, box, len(due)), launcher, "every message")
    time.sleep(1.5)  # both keep sweeping and delivering: still nothing twice
    for proc in procs:
        assert launcher.stop(proc) == 0, launcher.logs()
    _exactly_once(db, box, due)
    for proc in procs:  # both really ran the jobs
        out, err = launcher.output(proc)
        assert "Scheduler started" in out and "reminders sweep: " in err, err


def test_the_scheduler_sends_the_weekly_digest_on_monday_morning(db, make_user, smtp, launcher):
    from supervision.calendar import services as calendar

    box, _port = smtp
    s = db.session
    calendar.sync(s, [2026])
    unit = factories.unit(s, "派出所", kind="station")
    leader = factories.person(s, unit, "所长", email="leader@example.test")
    s.flush()
    s.add(
        RiskPoint(
            org_unit_id=unit.id,
            title="执法风险",
            category="duty",
            likelihood=2,
            impact=2,
            department_owner_id=leader.id,
            review_due_on=date(2026, 9, 1),
            status="approved",
        )
    )
    make_user("leader", ("leader",), person=leader)
    update_reminder_settings(s, {"mail_backlog_days": 60})  # the review step is 40 days old
    s.commit()
    # The process's clock says Monday 12 October 2026, 09:30 in Shanghai.
    proc = launcher.start(SUPERVISION_FAKE_NOW="2026-10-12T09:30:00+08:00")
    wait_for(_all_sent(db, box, 2), launcher, "the review reminder and the digest")
    time.sleep(1.0)
    assert launcher.stop(proc) == 0, launcher.logs()
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(Notification.id, Notification.step, Notification.period, Notification.subject)
        ).all()
    assert sorted(r.step for r in rows) == ["digest", "review_overdue"]
    digest_row = next(r for r in rows if r.step == "digest")
    assert digest_row.period == "2026-W42" and digest_row.subject.startswith("每周待办摘要")
    assert sorted(box.ids) == sorted(r.id for r in rows)


# --- the module itself, without a process -------------------------------------------


def test_the_job_list_has_fixed_ids_and_spec_intervals(monkeypatch):
    for name in INTERVALS:
        monkeypatch.delenv(name, raising=False)
    specs = {s.id: s for s in scheduler.job_specs({})}
    assert set(specs) == {
        "reminders_sweep",
        "reminders_deliver",
        "reminders_digest",
        "calendar_sync",
        "audit_anchor",
        "orphan_files",
        "rectification_snapshots",
        "obligations_rebuild",
        "tenure_rebuild",
        "report_jobs",
    }
    assert specs["reminders_sweep"].trigger_args == {"seconds": 900}
    assert specs["reminders_deliver"].trigger_args == {"seconds": 60}
    # The calendar sync: daily (not monthly) and at every start, so that a new library
    # release or a new installation is right within a day (SPEC §2).
    assert (specs["calendar_sync"].trigger, specs["calendar_sync"].trigger_args) == (
        "cron",
        {"hour": 3, "minute": 30},
    )
    # The anchor: daily (a cron without a day), and at every start.
    assert (specs["audit_anchor"].trigger, specs["audit_anchor"].trigger_args) == (
        "cron",
        {"hour": 23, "minute": 50},
    )
    assert {s.id for s in specs.values() if s.at_start} == {
        "reminders_sweep",
        "reminders_deliver",
        "reminders_digest",
        "calendar_sync",
        "audit_anchor",
        "rectification_snapshots",
        "obligations_rebuild",
        "tenure_rebuild",
    }
    # The obligations table: rebuilt at every start and daily just after midnight, when a
    # new quarter or year changes the open periods.
    assert specs["obligations_rebuild"].trigger_args == {"hour": 0, "minute": 5}
    # Picklable references for the database job store.
    assert obj_to_ref(specs["reminders_sweep"].func) == "supervision.scheduler:sweep_job"
    # The app config wins over the environment, which wins over the default.
    monkeypatch.setenv("SCHEDULER_SWEEP_SECONDS", "30")
    assert scheduler.seconds({}, "SCHEDULER_SWEEP_SECONDS") == 30
    assert scheduler.seconds({"SCHEDULER_SWEEP_SECONDS": 5}, "SCHEDULER_SWEEP_SECONDS") == 5


def test_the_scheduler_process_generates_the_queued_reports(db, launcher):
    from supervision.common import clock
    from supervision.reports.models import ReportJob

    user = factories.user(db.session, "hr", ("hr",))
    job = ReportJob(
        kind="rotation-candidates",
        format="xlsx",
        parameters="{}",
        requested_by_id=user.id,
        status="queued",
        created_at=clock.now(),
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    proc = launcher.start()

    def done() -> bool:
        with db.engine.connect() as conn:
            return conn.scalar(sa.select(ReportJob.status).where(ReportJob.id == job_id)) in (
                "done",
                "failed",
            )

    wait_for(done, launcher, "the report job")
    # The start-up catch-up (calendar sync, sweep) may still run: stopping waits for it.
    assert launcher.stop(proc, timeout=WAIT) == 0, launcher.logs()
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.attempts, job.message) == ("done", 1, ""), job.error
    assert job.claimed_by.split(":")[1] == str(proc.pid) and job.size > 0
    assert "report jobs: 1 reports generated" in launcher.output(proc)[1]


def test_a_failing_job_is_logged_not_fatal(app, monkeypatch, caplog):
    monkeypatch.setattr(scheduler, "_app", app)
    with caplog.at_level(logging.INFO, logger="supervision.scheduler"):
        scheduler._run("broken job", lambda: 1 / 0)
        scheduler._run("fine job", lambda: "done")
    assert "broken job failed" in caplog.text and "ZeroDivisionError" in caplog.text
    assert "fine job: done" in caplog.text


def test_the_anchor_job_logs_the_chain_head_and_changes_nothing(app, db, monkeypatch, caplog):
    from supervision.audit import services as audit

    monkeypatch.setattr(scheduler, "_app", app)
    scheduler.anchor_job()  # an empty log: nothing to anchor, nothing fails
    for i in range(3):
        audit.record(db.session, "update", "thing", i)
    db.session.commit()
    anchor_id, anchor_hash = audit.head(db.session)
    with caplog.at_level(logging.INFO, logger="supervision"):
        scheduler.anchor_job()
        scheduler.anchor_job()  # repeating it is harmless: the same line, no new entry
    lines = [r.getMessage() for r in caplog.records if r.name == "supervision.audit"]
    assert lines == [f"audit anchor: {anchor_id}:{anchor_hash}"] * 2
    assert "audit chain check: 3 entries, intact" in caplog.text
    assert audit.head(db.session) == (anchor_id, anchor_hash)


def test_the_web_app_never_starts_the_scheduler(app, db, client):
    assert client.get("/healthz").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SchedulerJob)) == 0
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]
