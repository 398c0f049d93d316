"""The scheduler process, `flask --app wsgi scheduler run` (SPEC §8, §11): the one list of
scheduled jobs (ARCHITECTURE rule 7).

It runs in its own process, in the foreground, until SIGTERM or SIGINT (exit status 0 after
the running jobs finish). It NEVER starts inside web workers: nothing in create_app starts
it (create_app only registers this module's click group), and gunicorn and `flask run` never
call `scheduler run`. Deploy it as one extra service next to the web workers.

Jobs are thin: each pushes an app context, calls a service that is also a CLI command,
commits and logs; an exception is logged and the next run tries again. Every job is an
idempotent sweep over the data (the notifications' unique constraint, not luck, prevents
duplicates), so:
- a missed run is caught up by the next one: at start the sweep, the delivery and the
  digest check run at once (catch-up after downtime), then on their intervals;
- two scheduler processes at once create nothing twice (they merely do the work twice).

APScheduler keeps the jobs in the app's database (table `apscheduler_jobs`, created by the
migrations) through a SQLAlchemyJobStore; the jobs are re-registered at every start under
fixed ids (replace_existing), and jobs of older versions under other ids are removed.

Intervals (seconds) come from the app config or the environment, defaulting to SPEC §8:
SCHEDULER_SWEEP_SECONDS (900), SCHEDULER_DELIVER_SECONDS (60), SCHEDULER_DIGEST_SECONDS
(900: digest.run itself decides whether the week's digest is due, so a frequent check only
costs two small queries and sends the digest within minutes of 09:00, whatever the send time
configured). The calendar sync runs at every start and daily at 03:30 local time (a new
library release reaches the database within a day; it logs a warning while the current
year, or from 1 November the next one, has only the fallback calendar). The audit
anchor runs daily at 23:50 local time and at every start: it verifies the audit chain and
logs its head as `audit anchor: ID:HASH` (logger "supervision.audit"), a copy outside the
database that `audit verify --anchor` checks later (SPEC §4); repeating it changes nothing.
The orphan cleanup (`files clean-orphans`) runs daily at 04:15 local time: report files past
their retention are let go, then stored files no row refers to, older than a day, are removed.
Report jobs (`report_jobs`, every SCHEDULER_REPORTS_SECONDS, 5) run the reports queued from
the pages and the API, one at a time, outside the web workers (supervision.reports.jobs).
The rectification snapshots (`rectification
snapshots`, SPEC §14) run daily at 06:30 local time and at every start: from the first
working day of a month on, each inspection being rectified gets that month's snapshot once.
The maintained table of obligations is
rebuilt (`obligations rebuild`) at every start and daily at 00:05 local time: a new quarter
or year moves it to the new open periods, and anything written around it is caught up.
The tenure table is rebuilt (`rotation
rebuild`) daily at 00:05 local time and at every start, so today's statuses are read from
it from the first minutes of the day.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

log = logging.getLogger("supervision.scheduler")

DEFAULT_SECONDS = {
    "SCHEDULER_SWEEP_SECONDS": 15 * 60,
    "SCHEDULER_DELIVER_SECONDS": 60,
    "SCHEDULER_DIGEST_SECONDS": 15 * 60,
    "SCHEDULER_REPORTS_SECONDS": 5,
}
#: A run this late (seconds) still happens (coalesced into one); later ones are skipped.
MISFIRE_GRACE_SECONDS = 3600
WORKERS = 4

#: The application the jobs run in: the CLI's own in `scheduler run`, else one built from
#: the environment on first use.
_app: Flask | None = None


def _application() -> Flask:
    global _app
    if _app is None:
        from supervision import create_app

        _app = create_app()
    return _app


def _run(name: str, work: Callable[[], str | None]) -> None:
    """Run `work` in a fresh app context; log its summary (at debug level when it returns
    None: nothing to do, which every idle minute would otherwise repeat), or the exception
    (not fatal: the next run tries again)."""
    from supervision.extensions import db

    with _application().app_context():
        started = time.monotonic()
        try:
            summary = work()
        except Exception:
            db.session.rollback()
            log.exception("%s failed", name)
            return
        elapsed = time.monotonic() - started
        if summary is None:
            log.debug("%s: nothing to do (%.2f s)", name, elapsed)
        else:
            log.info("%s: %s (%.2f s)", name, summary, elapsed)


def sweep_job() -> None:
    """`reminders sweep`: the notifications of every ladder step due by now."""
    from supervision.common import clock
    from supervision.extensions import db
    from supervision.reminders import sweep

    def work() -> str:
        result = sweep.sweep(db.session, clock.now())
        db.session.commit()
        return (
            f"{result.due} steps due, {result.created} notifications created "
            f"({result.queued} e-mails queued)"
        )

    _run("reminders sweep", work)


def deliver_job() -> None:
    """`reminders deliver`: send the queued e-mails (the service commits its progress)."""
    from supervision.common import clock
    from supervision.extensions import db
    from supervision.reminders import delivery

    def work() -> str | None:
        result = delivery.deliver(db.session, clock.now())
        db.session.commit()
        stopped = getattr(result, "stopped", "")  # why the run gave up early, if it did
        if not (result.sent or result.retried or result.failed or stopped):
            return None
        if stopped:
            return (
                f"{result.sent} sent, {result.retried} to retry, {result.failed} failed; "
                f"stopped: {stopped}"
            )
        return f"{result.sent} sent, {result.retried} to retry, {result.failed} failed"

    _run("reminders deliver", work)


def digest_job() -> None:
    """`reminders digest`: this week's digests, if their time has come."""
    from supervision.common import clock
    from supervision.extensions import db
    from supervision.reminders import digest

    def work() -> str | None:
        result = digest.run(db.session, clock.now())
        db.session.commit()
        if not result.created:
            return None
        return f"{result.week}: {result.created} created ({result.queued} e-mails queued)"

    _run("reminders digest", work)


def calendar_job() -> None:
    """`calendar sync`: working days from the library (admin edits are kept)."""
    from supervision.calendar import services
    from supervision.extensions import db

    def work() -> str:
        from supervision.common import clock

        result = services.sync(db.session)
        db.session.commit()
        summary = f"{len(result.years)} years, {result.changed} days changed"
        fallback = services.fallback_years(db.session, clock.today())
        if fallback:
            log.warning(
                "calendar: %s only has the fallback calendar (no official data): import the "
                "State Council's notice (flask calendar import-notice YEAR FILE --apply)",
                ", ".join(map(str, fallback)),
            )
        return summary

    _run("calendar sync", work)


def anchor_job() -> None:
    """The daily audit anchor: verify the chain and log its head outside the database."""
    from supervision.audit import services
    from supervision.extensions import db

    def work() -> str:
        anchor, result = services.log_anchor(db.session)
        db.session.rollback()  # read only
        state = "intact" if result.ok else f"BROKEN at entry {result.first_broken_id}"
        where = services.format_anchor(anchor) if anchor else "empty log"
        return f"{result.entries} entries, {state}; head {where}"

    _run("audit chain check", work)


def obligations_job() -> None:
    """`obligations rebuild`: the maintained table of obligations recomputed (a safety net,
    and the move to a new period)."""
    from supervision.obligations import cli

    _run("obligations rebuild", lambda: cli.describe(cli.rebuild()))


def orphans_job() -> None:
    """`files clean-orphans`: remove stored files that no row refers to (after a day)."""
    from supervision.backup import files

    def work() -> str | None:
        result = files.clean_orphans()
        if not result.removed:
            return None
        return f"{result.removed} orphaned files removed ({result.removed_bytes:,} bytes)"

    _run("stored files cleanup", work)


def snapshots_job() -> None:
    """`rectification snapshots`: the month's snapshot of each inspection being rectified,
    from the first working day of the month on (once a month; a missed day is caught up)."""
    from supervision.common import clock
    from supervision.extensions import db
    from supervision.rectification import figures

    def work() -> str | None:
        taken = figures.monthly_snapshots(db.session, clock.today())
        db.session.commit()
        return f"{taken} rectification snapshots taken" if taken else None

    _run("rectification snapshots", work)


def tenure_job() -> None:
    """`rotation rebuild`: the tenure table recomputed for everyone (the safety net of the
    refreshes made with each change; writes only the rows that differ)."""
    from supervision.extensions import db
    from supervision.rotation import maintained

    def work() -> str:
        counts = maintained.rebuild(db.session)
        db.session.commit()
        return str(counts)

    _run("tenure rebuild", work)


def reports_job() -> None:
    """Run the queued report jobs (and take back those whose runner died)."""
    from supervision.extensions import db
    from supervision.reports import jobs

    def work() -> str | None:
        ran = jobs.run_pending(db.session)
        return f"{ran} reports generated" if ran else None

    _run("report jobs", work)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a fixed id, a module-level function and its trigger."""

    id: str
    func: Callable[[], None]
    trigger: str
    trigger_args: dict
    #: Also run once as soon as the scheduler starts (catch-up after downtime).
    at_start: bool


def job_specs(config) -> list[JobSpec]:
    """Every scheduled job, with the intervals of `config` (the one list, rule 7)."""
    return [
        JobSpec(
            "reminders_sweep",
            sweep_job,
            "interval",
            {"seconds": seconds(config, "SCHEDULER_SWEEP_SECONDS")},
            True,
        ),
        JobSpec(
            "reminders_deliver",
            deliver_job,
            "interval",
            {"seconds": seconds(config, "SCHEDULER_DELIVER_SECONDS")},
            True,
        ),
        JobSpec(
            "reminders_digest",
            digest_job,
            "interval",
            {"seconds": seconds(config, "SCHEDULER_DIGEST_SECONDS")},
            True,
        ),
        JobSpec("calendar_sync", calendar_job, "cron", {"hour": 3, "minute": 30}, True),
        JobSpec("audit_anchor", anchor_job, "cron", {"hour": 23, "minute": 50}, True),
        JobSpec("orphan_files", orphans_job, "cron", {"hour": 4, "minute": 15}, False),
        JobSpec("rectification_snapshots", snapshots_job, "cron", {"hour": 6, "minute": 30}, True),
        JobSpec("obligations_rebuild", obligations_job, "cron", {"hour": 0, "minute": 5}, True),
        JobSpec("tenure_rebuild", tenure_job, "cron", {"hour": 0, "minute": 5}, True),
        JobSpec(
            "report_jobs",
            reports_job,
            "interval",
            {"seconds": seconds(config, "SCHEDULER_REPORTS_SECONDS")},
            False,  # its interval is seconds: no need to crowd the start-up catch-up
        ),
    ]


def seconds(config, name: str) -> float:
    """An interval in seconds from the config, else the environment, else SPEC's default."""
    raw = config.get(name) or os.environ.get(name) or DEFAULT_SECONDS[name]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise click.UsageError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if not value > 0:
        raise click.UsageError(f"{name} must be positive, not {raw!r}.")
    return value


def build(app: Flask):
    """A BlockingScheduler on the app's database and zone with every job registered."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    from supervision.common import clock
    from supervision.extensions import db
    from supervision.reminders.models import SchedulerJob

    specs = job_specs(app.config)
    # Jobs that an older version registered under other ids would otherwise run forever.
    db.session.execute(sa.delete(SchedulerJob).where(SchedulerJob.id.not_in([s.id for s in specs])))
    db.session.commit()
    zone = clock.zone()
    scheduler = BlockingScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=db.engine, tablename=SchedulerJob.__tablename__)
        },
        executors={"default": ThreadPoolExecutor(WORKERS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=zone,
    )
    now = datetime.now(zone)
    for spec in specs:
        extra = {"next_run_time": now} if spec.at_start else {}
        scheduler.add_job(
            spec.func,
            spec.trigger,
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            **spec.trigger_args,
            **extra,
        )
    return scheduler


def _describe(spec: JobSpec) -> str:
    """A job and its schedule in a few words, for the start message."""
    if "seconds" in spec.trigger_args:
        return f"{spec.id} every {spec.trigger_args['seconds']:g} s"
    return f"{spec.id} {'monthly' if 'day' in spec.trigger_args else 'daily'}"


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT to leave the scheduler's loop (a
    BaseException, so that no `except Exception` on the way swallows it)."""


@click.group("scheduler")
def scheduler_group():
    """The scheduler process: runs the reminder jobs."""


@scheduler_group.command("run")
@with_appcontext
def run_command():
    """Run the scheduler in the foreground until SIGTERM or Ctrl+C."""
    global _app
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("supervision").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    _app = current_app._get_current_object()
    scheduler = build(_app)
    stopping = []

    def on_signal(signum, _frame):
        if stopping:  # already stopping: let the running jobs finish
            return
        stopping.append(signum)
        raise _Stop

    specs = ", ".join(_describe(s) for s in job_specs(_app.config))
    previous = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
        click.echo(f"Scheduler started (pid {os.getpid()}, zone {scheduler.timezone}): {specs}.")
        scheduler.start()
    except _Stop:
        pass
    finally:
        stopping.append("finally")
        if scheduler.running:
            scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Scheduler stopped.")


commands = [scheduler_group]
