"""Helpers for tests that ask the reports pages for a report (queued as a job, issue 14)."""

from __future__ import annotations


def through_the_job(client, resp):
    """Follow a reports page's answer (303 to the job's page): run the queued job as the
    runner would, and download its file."""
    from supervision.extensions import db
    from supervision.reports import jobs

    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    assert jobs.run_pending(db.session) >= 1
    return client.get(resp.headers["Location"] + "/file")
