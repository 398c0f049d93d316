"""The integrity file's rectification section (SPEC §14, issue 15 item 3): the findings the
leader answers for as the responsible leader and the measures they own, with status,
deadline and overdue, on the page and in its PDF (text extracted), for the readers of
integrity files; the statements read do not grow with the ledger."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from supervision.common import clock
from supervision.integrity import builder
from supervision.org.models import Person
from supervision.rectification import services as rectification
from supervision.rectification.models import Finding
from tests import factories

TODAY = "2026-01-20T10:00:00+08:00"


@pytest.fixture
def org(app, db, make_user, monkeypatch):
    """The chief answers for finding 1 (deadline passed, not completed) and owns one of
    its measures (past due); the station head owns finding 2's measure, done."""
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", TODAY)
    s = db.session
    rows = factories.small_bureau(s)
    chief, head = rows["chief"], rows["head"]
    inspection = rectification.create_inspection(
        s,
        {
            "name": "十五届市委第五轮巡察",
            "inspector": "市委第八巡察组",
            "org_unit_id": rows["bureau"].id,
            "feedback_on": date(2025, 9, 1),
            "deadline": date(2025, 12, 31),
            "leader_person_id": chief.id,
        },
    )
    first = rectification.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "title": "强化保密工作",
            "responsible_leader_id": chief.id,
            "lead_unit_id": rows["station"].id,
        },
    )
    rectification.create_measure(
        s, first, {"description": "开展涉密载体清查", "owner_person_id": chief.id}
    )
    second = rectification.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "title": "规范执法办案",
            "responsible_leader_id": head.id,
        },
    )
    done = rectification.create_measure(
        s, second, {"description": "修订执法办案流程", "owner_person_id": head.id}
    )
    rectification.mark_done(s, done, date(2025, 12, 1), "已修订")
    secretary = factories.person(s, rows["bureau"], "纪委书记")
    s.commit()
    make_user("sec", ("discipline_secretary",), person=secretary)
    make_user("mem", ("discipline_member",))
    make_user("hr", ("hr",))
    make_user("admin", ("admin",))
    return {"chief": chief.id, "head": head.id, "first": first.id}


def _section(html: str) -> str:
    start = html.index('id="rectification"')
    return html[start : html.index("</section>", start)]


def _pdf_text(data: bytes) -> str:
    return "".join(re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages)


def test_the_section_lists_their_findings_and_measures_on_page_and_pdf(client, org, login):
    login("sec")
    part = _section(client.get(f"/integrity/{org['chief']}").get_data(as_text=True))
    assert "本人负责的巡察整改事项" in part
    assert f'<a href="/rectification/findings/{org["first"]}">强化保密工作</a>' in part
    assert "十五届市委第五轮巡察" in part and "2025-12-31" in part
    assert "已超期限" in part and "已逾期" in part  # the finding and the measure, overdue
    assert "开展涉密载体清查" in part
    assert "规范执法办案" not in part and "修订执法办案流程" not in part  # the head's
    text = _pdf_text(client.get(f"/integrity/{org['chief']}.pdf").data)
    for expected in ("本人负责的巡察整改事项", "强化保密工作", "开展涉密载体清查", "已超期限"):
        assert expected in text, expected
    assert text.index("本人负责的防控措施") < text.index("本人负责的巡察整改事项")


def test_a_done_measure_is_not_overdue_and_empty_parts_say_so(client, db, org, login):
    login("mem")
    part = _section(client.get(f"/integrity/{org['head']}").get_data(as_text=True))
    assert "规范执法办案" in part and "修订执法办案流程" in part
    assert "已逾期" not in part  # done on 2025-12-01, before its due date
    assert "已超期限" in part  # the finding itself is not signed off
    assert 'id="no-rectification-measures"' not in part and 'id="no-findings"' not in part
    s = db.session
    quiet = factories.person(
        s, s.get(Person, org["head"]).org_unit, "新任领导", leadership="department_head"
    )
    s.commit()
    part = _section(client.get(f"/integrity/{quiet.id}").get_data(as_text=True))
    assert 'id="no-findings"' in part and 'id="no-rectification-measures"' in part


@pytest.mark.parametrize("user", ["hr", "admin"])
def test_hr_and_admin_read_no_file(client, org, login, user):
    login(user)
    assert client.get(f"/integrity/{org['chief']}").status_code == 403
    assert client.get(f"/integrity/{org['chief']}.pdf").status_code == 403


def test_the_section_reads_a_fixed_number_of_statements(db, org, make_user, count_statements):
    s = db.session
    reader = make_user("sec2", ("discipline_secretary",))

    def count() -> tuple[int, int]:
        with count_statements() as statements:
            s.expire_all()
            file = builder.gather(s, s.get(Person, org["chief"]), clock.today(), reader)
        return len(statements), len(file.rectification_measures)

    few, listed = count()
    finding = s.get(Finding, org["first"])
    for i in range(5):
        rectification.create_measure(
            s, finding, {"description": f"措施{i}", "owner_person_id": org["chief"]}
        )
    s.commit()
    assert count() == (few, listed + 5)
