"""HR in a real browser tries a rotation policy change before saving it (issue 13): on the
policy page they lower the police threshold to 4 years and press 预览影响; the page shows
how many people change status, by unit and by name, above the save button; nothing is
saved until they press 保存, and the page runs no inline script (CSP)."""

import os
from datetime import date

import pytest

from supervision.rotation.settings import get_rotation_settings
from tests import factories
from tests.e2e.conftest import ARTIFACTS, log_in


@pytest.fixture
def frozen_now(app):
    """The live server (same process) sees 2025-09-20 10:00 local; reset afterwards."""
    app.config["SUPERVISION_FAKE_NOW"] = "2025-09-20T10:00:00+08:00"
    yield
    app.config.pop("SUPERVISION_FAKE_NOW", None)


def test_hr_previews_a_policy_change_then_saves_it(page, live_server, make_user, db, frozen_now):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    traffic = factories.unit(s, "交警大队", parent=bureau, code="JJ")
    registry = factories.post(s, station, "户籍岗", code="CG-REG", is_sensitive=True)
    accident = factories.post(s, traffic, "事故处理岗", code="JJ-ACC", is_sensitive=True)
    # On 2025-09-20, with 5 years: all not due; with 4 years: two due, one upcoming.
    factories.holder(s, registry, "张民警", start=date(2021, 6, 1), staff_no="PA01")
    factories.holder(s, registry, "刘民警", start=date(2021, 11, 1), staff_no="PA02")
    factories.holder(s, accident, "王民警", start=date(2021, 3, 1), staff_no="PB01")
    factories.holder(s, accident, "赵民警", start=date(2024, 1, 1), staff_no="PB02")
    s.commit()
    make_user("hr", ["hr"])

    log_in(page, live_server, "hr", factories.PASSWORD)
    page.goto(f"{live_server}/rotation/policy")
    page.fill("#police_years", "4")
    page.click("main #preview-button")
    page.wait_for_selector("main #policy-effect")
    summary = page.inner_text("main #effect-summary")
    assert "4 人（岗位）中，将有 3 人状态发生变化" in summary
    changes = page.inner_text("main #effect-changes")
    assert "未到期" in changes and "应轮岗" in changes and "即将到期" in changes
    units = page.inner_text("main #effect-units")
    assert "城关派出所" in units and "交警大队" in units
    people = page.inner_text("main #effect-people")
    assert all(n in people for n in ("张民警", "刘民警", "王民警")) and "赵民警" not in people
    assert page.input_value("#police_years") == "4"  # the proposal is still in the form
    # The effect stands above the save button, and nothing has been saved.
    effect_box = page.locator("main #policy-effect").bounding_box()
    save_box = page.locator("main #save-button").bounding_box()
    assert effect_box["y"] + effect_box["height"] <= save_box["y"]
    s.expire_all()
    assert get_rotation_settings(s)["police_years"] == 5
    if os.environ.get("SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rotation-policy-preview.png"), full_page=True)

    page.click("main #save-button")
    page.wait_for_url(f"{live_server}/rotation/policy")
    assert page.input_value("#police_years") == "4"
    s.expire_all()
    assert get_rotation_settings(s)["police_years"] == 4
    assert page.js_errors == []
