"""The complete integrity file (issue 13, SPEC §6): for a leader with data, the page and the
PDF show every section in the same order (one builder); the risk points where they are the
responsible leader or the department head, the measures they own, talks received and
held, the talks they owe (done and overdue), rotation and notes; a member reads contents
only of the talks they reach (HR has no integrity files: test_integrity_file); empty
sections say so."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from supervision.integrity import services as integrity
from supervision.org.models import Person
from supervision.rotation import services as rotation
from tests import factories


@pytest.fixture
def org(db, make_user):
    """The chief (team member, heads the bureau) with risk points in both roles, an overdue
    measure, a talk received and one held, an officer whose reminder talk he owes and
    has not held last quarter, a leadership post, a hold and a note."""
    s = db.session
    rows = factories.small_bureau(s)
    chief, head = rows["chief"], rows["head"]
    secretary = factories.person(s, rows["bureau"], "纪委书记")
    window = factories.post(s, rows["bureau"], "审批窗口岗", is_sensitive=True)
    late = factories.holder(s, window, "未谈民警", start=date(2020, 1, 1))
    talked = factories.holder(s, window, "已谈民警", start=date(2020, 1, 1))
    chair = factories.post(s, rows["bureau"], "局长岗", is_leadership=True)
    factories.assign(s, chief, chair, date(2016, 5, 1))
    now = datetime.now(UTC)
    factories.final_talk(
        s,
        chief,
        [secretary],
        now - timedelta(hours=2),
        type="supervision",
        content="领导接受的谈话内容甲",
        response="局长表态乙",
    )
    factories.final_talk(
        s,
        talked,
        [chief],
        now - timedelta(hours=1),
        content="局长开展的谈话内容丙",
        response="民警表态丁",
    )
    factories.risk_point(
        s,
        rows["station"],
        head,
        "违规处置涉案财物",
        measure=None,
        responsible_leader_id=chief.id,
    )
    factories.risk_point(
        s,
        rows["bureau"],
        chief,
        "审批把关不严",
        measure="集体研究审批事项",
        due_on=date(2020, 6, 30),
    )
    rotation.create_hold(s, {"person_id": chief.id, "reason": "问题线索初核中"}, None)
    integrity.create_note(
        s,
        chief,
        {"kind": "inquiry", "title": "关于信访反映问题的函询", "noted_on": date(2025, 3, 1)},
    )
    s.commit()
    make_user("sec", ("discipline_secretary",), person=secretary)
    make_user("hr", ("hr",))
    make_user("mem", ("discipline_member",))
    return {"chief": chief.id, "head": head.id, "late": late.id}


def _pdf_text(data: bytes) -> str:
    return "".join(re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages)


def _headings(html: str) -> list[str]:
    """The section headings of the page, in order."""
    return re.findall(r'<section class="mb-4" id="[a-z-]+">\s*<h2 class="h5">([^<]+)</h2>', html)


def test_page_and_pdf_show_every_section_in_the_same_order(client, org, login):
    login("sec")
    html = client.get(f"/integrity/{org['chief']}").get_data(as_text=True)
    ids = re.findall(r'<section class="mb-4" id="([a-z-]+)"', html)
    assert ids == [
        "basic",
        "posts",
        "risks",
        "measures",
        "rectification",
        "talks",
        "obligations",
        "rotation",
        "notes",
        "add-note",
    ]
    headings = _headings(html)[:-1]  # the add-note form is the page's own
    assert "本人负责的防控措施" in headings and "轮岗交流情况" in headings
    resp = client.get(f"/integrity/{org['chief']}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert "%E5%BB%89%E6%94%BF%E6%A1%A3%E6%A1%88" in resp.headers["Content-Disposition"]  # 廉政档案
    text = _pdf_text(resp.data)
    positions = [text.find(re.sub(r"\s+", "", h)) for h in headings]
    assert -1 not in positions, dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions)
    assert "添加监督记录" not in text  # the page's form is not part of the document


def test_each_section_holds_the_leaders_data_in_page_and_pdf(client, org, login):
    login("sec")
    html = client.get(f"/integrity/{org['chief']}").get_data(as_text=True)
    text = _pdf_text(client.get(f"/integrity/{org['chief']}.pdf").data)

    def section(name: str) -> str:
        start = html.index(f'id="{name}"')
        return html[start : html.index("</section>", start)]

    risks = section("risks")
    assert "违规处置涉案财物" in risks and "责任领导" in risks
    assert "审批把关不严" in risks and "部门负责人" in risks
    measures = section("measures")
    assert "集体研究审批事项" in measures and "已逾期" in measures
    talks = section("talks")
    assert "领导接受的谈话内容甲" in talks and "局长表态乙" in talks  # received
    # The talks held are an index linking to each talk: their contents are the
    # interviewee's record, not the leader's.
    assert re.search(r'<a href="/talks/\d+">已谈民警</a>', talks)
    assert "局长开展的谈话内容丙" not in talks
    owed = section("obligations")
    assert 'id="owed"' in owed and "未谈民警" in owed and "逾期未谈" in owed
    assert re.search(r"逾期未谈 [1-9]\d* 人次", owed)
    rotation_part = section("rotation")
    assert "局长岗" in rotation_part and "问题线索初核中" in rotation_part
    assert "关于信访反映问题的函询" in section("notes")
    for expected in (
        "违规处置涉案财物",
        "集体研究审批事项",
        "领导接受的谈话内容甲",
        "已谈民警",
        "未谈民警",
        "局长岗",
        "问题线索初核中",
        "关于信访反映问题的函询",
    ):
        assert expected in text, expected


def test_empty_sections_say_so(client, db, org, login):
    s = db.session
    bureau = s.get(Person, org["chief"]).org_unit
    quiet = factories.person(s, bureau, "新任领导", leadership="department_head")
    s.commit()
    login("sec")
    html = client.get(f"/integrity/{quiet.id}").get_data(as_text=True)
    for marker in ("no-risks", "no-measures", "no-owed", "no-notes"):
        assert f'id="{marker}"' in html, marker
    for message in (
        "未作为谈话人开展谈话",
        "没有由本人负责的防控措施",
        "近期没有应由本人开展的谈话",
    ):
        assert message in html, message
    text = _pdf_text(client.get(f"/integrity/{quiet.id}.pdf").data)
    assert "没有由本人负责的防控措施" in text and "近期没有应由本人开展的谈话" in text


def test_a_member_sees_every_talk_but_the_contents_only_of_talks_they_reach(client, org, login):
    """A discipline member reads contents of the talks they take part in or logged (SPEC §4,
    as on the talk pages); the file still lists every talk the leader received."""
    login("mem")
    html = client.get(f"/integrity/{org['chief']}").get_data(as_text=True)
    talks = html[html.index('id="talks"') : html.index('id="obligations"')]
    assert "纪委书记" in talks  # the talk is listed, with its interviewer ...
    assert "领导接受的谈话内容甲" not in talks and 'id="contents-hidden"' in talks  # ... not read
