"""HR, the discipline secretary and HR again in real browsers: HR filters the due list, flags
a candidate into a new plan, sets the destination and date and submits it; the secretary
records the party committee's approval with its meeting date and minutes number; HR carries
the plan out; the person's timeline shows the new post with its tenure starting on the
effective date and the old post ended the day before."""

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.org.models import Assignment
from supervision.rotation.models import RotationPlan
from tests import factories
from tests.e2e.conftest import log_in, new_page


@pytest.fixture
def frozen_now(app):
    """The live server (same process) sees 2025-09-20 10:00 local; reset afterwards."""
    app.config["SUPERVISION_FAKE_NOW"] = "2025-09-20T10:00:00+08:00"
    yield
    app.config.pop("SUPERVISION_FAKE_NOW", None)


def test_hr_plans_the_secretary_approves_hr_executes(
    page, browser, live_server, make_user, db, frozen_now
):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    traffic = factories.unit(s, "交警大队", parent=bureau, code="JJ")
    registry = factories.post(s, station, "户籍岗", code="CG-REG", is_sensitive=True)
    accident = factories.post(s, traffic, "事故处理岗", code="JJ-ACC", is_sensitive=True)
    due = factories.person(s, station, "张民警", staff_no="PA01")
    recent = factories.person(s, station, "刘民警", staff_no="PA02")
    factories.assign(s, due, registry, start=date(2019, 3, 1))
    factories.assign(s, recent, registry, start=date(2024, 5, 1))
    s.commit()
    person_id, registry_id, accident_id = due.id, registry.id, accident.id
    make_user("hr", ["hr"])
    make_user("secretary", ["discipline_secretary"])
    page.on("dialog", lambda d: d.accept())

    # HR filters the list down to the people due and flags one into a new plan.
    log_in(page, live_server, "hr", factories.PASSWORD)
    page.click("nav >> text=轮岗交流")
    main = page.inner_text("main #eligibility")
    assert "张民警" in main and "刘民警" in main
    page.click("main #status-chips [data-chip=due]")
    page.wait_for_url("**status=due**")
    rows = page.locator("main #eligibility tbody tr")
    assert rows.count() == 1 and "张民警" in rows.first.inner_text()
    assert "2024-03-01" in rows.first.inner_text()
    rows.first.locator("input[type=checkbox]").check()
    page.fill("#new_plan_name", "2025年第三季度轮岗交流计划")
    page.click("main #add-candidates")
    page.wait_for_selector("main #plan-editor")
    assert "2025年第三季度轮岗交流计划" in page.inner_text("main h1")
    plan_url = page.url

    # Destination by code (with the lookup list) and the effective date; then submit.
    page.fill("#items-0-to_post_code", "JJ-ACC")
    page.fill("#items-0-effective_date", "2025-09-20")
    page.click("main #submit-plan")
    page.wait_for_selector("main [data-plan-status=submitted]")
    assert "事故处理岗" in page.inner_text("main #items")
    assert page.js_errors == []

    # The secretary records the party committee's approval.
    context, sec = new_page(browser)
    try:
        log_in(sec, live_server, "secretary", factories.PASSWORD)
        sec.goto(f"{live_server}/rotation/plans")
        sec.click("main #plans >> text=2025年第三季度轮岗交流计划")
        sec.click("main #approve")  # nothing filled: told what is missing, nothing recorded
        sec.wait_for_selector("main #approve-form .invalid-feedback")
        sec.fill("#meeting_date", "2025-09-19")
        sec.fill("#minutes_no", "〔2025〕12号")
        sec.fill("#comment", "同意")
        sec.click("main #approve")
        sec.wait_for_selector("main [data-plan-status=approved]")
        decision = sec.inner_text("main #decision")
        assert "2025-09-19" in decision and "〔2025〕12号" in decision
        assert sec.js_errors == []
    finally:
        context.close()

    # HR carries the plan out after the confirmation page.
    context, hr = new_page(browser)
    try:
        log_in(hr, live_server, "hr", factories.PASSWORD)
        hr.goto(plan_url)
        hr.click("main #execute")
        move = hr.locator("main #moves tbody tr").first
        assert "2025-09-19" in move.locator(".last-day").inner_text()
        assert "2025-09-20" in move.locator(".first-day").inner_text()
        hr.click("main #confirm")
        hr.wait_for_selector("main [data-plan-status=executed]")
        assert "2019-03-01 至 2025-09-19" in hr.inner_text("main #items .closed")

        # The moved person's timeline: the new post's tenure starts on the effective date,
        # the old post ended the day before.
        hr.click("main #items >> text=张民警")
        hr.wait_for_selector(f"main #tenure-{accident_id}")
        new_post = hr.locator(f"main #tenure-{accident_id}")
        assert new_post.locator(".tenure-start").inner_text() == "2025-09-20"
        assert "2030-09-20" in new_post.locator(".due-on").inner_text()
        old_post = hr.locator(f"main #tenure-{registry_id}")
        assert "目前未担任" in old_post.inner_text()
        assert "2025-09-19" in old_post.locator("tr.stint").last.inner_text()
        ends = hr.locator("main #assignments tbody tr").all_inner_texts()
        assert any("户籍岗" in r and "2019-03-01" in r and "2025-09-19" in r for r in ends)
        assert any("事故处理岗" in r and "2025-09-20" in r and "至今" in r for r in ends)
        assert hr.js_errors == []
    finally:
        context.close()

    db.session.expire_all()
    assert db.session.scalar(sa.select(RotationPlan.status)) == "executed"
    assert db.session.scalars(
        sa.select(Assignment.end_date)
        .where(Assignment.person_id == person_id)
        .order_by(Assignment.start_date)
    ).all() == [date(2025, 9, 19), None]
