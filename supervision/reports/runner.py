"""The report runner inside a web process, for where no scheduler process runs (`make run`).

REPORT_RUNNER (config) says who runs report jobs: "scheduler" (the default outside
development: the scheduler process's `report_jobs` job, so that no web worker spends its
memory on a province's PDF) or "thread" (the default in development: a daemon thread of the
web process, started when the first job is queued, which runs queued jobs one at a time and
looks for more every POLL_SECONDS). Both may run at once, on several servers: claiming a job
is safe (`jobs.claim`).
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from supervision.extensions import db
from supervision.reports import jobs

log = logging.getLogger("supervision.reports")

#: How often an idle runner thread looks for jobs queued by other processes.
POLL_SECONDS = 5.0


class _Runner:
    """One app's runner thread and the event that wakes it."""

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.stopping = False
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self.loop, name="report-runner", daemon=True)

    def loop(self) -> None:
        """Run queued jobs until stopped, sleeping between rounds until woken."""
        while not self.stopping:
            with self.app.app_context():
                try:
                    jobs.run_pending(db.session)
                except Exception:  # noqa: BLE001 - logged; the next round tries again
                    log.exception("report runner round failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
            self.wake.wait(POLL_SECONDS)
            self.wake.clear()


_lock = threading.Lock()
_runners: dict[int, _Runner] = {}


def mode(app: Flask) -> str:
    """Who runs report jobs for `app`: "thread" or "scheduler"."""
    configured = app.config.get("REPORT_RUNNER")
    if configured:
        return str(configured)
    return "thread" if app.config.get("ENV_NAME") == "development" else "scheduler"


def notify(app: Flask) -> None:
    """A job was queued: wake this process's runner thread (started on first use) when
    jobs run in the web process; otherwise the scheduler process picks it up."""
    if mode(app) != "thread":
        return
    with _lock:
        runner = _runners.get(id(app))
        if runner is None or runner.pid != os.getpid() or not runner.thread.is_alive():
            runner = _runners[id(app)] = _Runner(app)
            runner.thread.start()
    runner.wake.set()


def stop(app: Flask, timeout: float = 60.0) -> None:
    """Stop `app`'s runner thread after the job it is running (tests, shutdown)."""
    with _lock:
        runner = _runners.pop(id(app), None)
    if runner is not None:
        runner.stopping = True
        runner.wake.set()
        runner.thread.join(timeout)
