"""One label per concept: every enumeration of SPEC has exactly one label table, naming each
value once, in Chinese; the pages and the documents read the same table.

The values below are SPEC's (the contract), written out here on purpose: a value added
to the code but not to the labels, or a label table defined a second time somewhere,
fails here.
"""

from __future__ import annotations

import ast
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from supervision.labels import TABLES
from tests import factories

ROOT = Path(__file__).resolve().parents[2]

#: SPEC's enumerations (§1, §3, §4, §5, §6, §7, §8, §2): label table name -> values.
SPEC_ENUMS: dict[str, set[str]] = {
    "role": {"admin", "discipline_secretary", "discipline_member", "hr", "leader", "staff"},
    "kind": {"bureau", "branch", "department", "station", "team", "other"},
    "personnel_type": {"police", "auxiliary"},
    "leadership": {"team_member", "department_head", "none"},
    "category": {
        "law_enforcement",
        "case_property",
        "detention",
        "finance",
        "procurement",
        "personnel",
        "licensing",
        "traffic",
        "equipment",
        "legal_review",
        "other",
    },
    "risk_category": {"ideology", "duty", "process", "institution", "external"},
    "risk_level": {"high", "medium", "low"},
    "risk_status": {"draft", "submitted", "approved", "returned", "retired"},
    "unit_state": {"not_started", "submitted", "returned", "approved"},
    "measure_status": {"open", "done"},
    "talk_type": {
        "integrity_reminder",
        "supervision",
        "heart_to_heart",
        "admonishment",
        "pre_appointment",
    },
    "talk_status": {"draft", "final"},
    "attachment_kind": {"signed_form", "written_explanation", "other"},
    "obligation_status": {"pending", "done", "done_late", "overdue", "not_required", "waived"},
    "rotation_status": {"blocked", "planned", "deferred", "due", "upcoming", "not_due"},
    "rotation_reason": {
        "near_retirement",
        "probation",
        "under_review",
        "deferred",
        "technical_post",
        "leader_term",
    },
    "plan_status": {"draft", "submitted", "approved", "rejected", "executed"},
    "tenure_mode": {"continuous", "cumulative"},
    "step": {
        "upcoming",
        "overdue",
        "escalated",
        "rotation_upcoming",
        "rotation_due",
        "review_upcoming",
        "review_overdue",
        "digest",
    },
    "email_status": {"queued", "sent", "failed", "none"},
    "day_source": {"library", "admin", "fallback"},
    "inspection_status": {"rectifying", "reported", "closed"},
    "finding_term": {"immediate", "time_limited", "long_term"},
    "finding_status": {"open", "in_progress", "completion_requested", "completed"},
    "evidence_object": {"talk", "risk_point", "risk_campaign", "rotation_plan", "deferral"},
}
#: Values the code has besides SPEC's (internal states), allowed in a table.
EXTRA = {"email_status": {"sending"}, "step": {"account"}}
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("name", sorted(SPEC_ENUMS))
def test_every_spec_value_has_one_chinese_label(app, name):
    table = TABLES[name]
    assert set(table) - EXTRA.get(name, set()) == SPEC_ENUMS[name]
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = {value: str(label) for value, label in table.items()}
    for value, text in chinese.items():
        assert _CJK.search(text), f"{name}.{value} reads {text!r}, not Chinese"
    assert len(set(chinese.values())) == len(chinese), f"two values of {name} read the same"


def _label_dicts() -> list[tuple[str, int, frozenset[str]]]:
    """(file, line, keys) of every dict literal in the code whose values are all lazy
    translations (`_l(...)`): the label tables."""
    found = []
    for path in sorted((ROOT / "supervision").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict) or len(node.keys) < 2:
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            lazy = all(
                isinstance(v, ast.Call) and getattr(v.func, "id", "") == "_l" for v in node.values
            )
            if lazy and len(keys) == len(node.keys):
                found.append((str(path.relative_to(ROOT)), node.lineno, frozenset(keys)))
    return found


_TEMPLATE_DICT = re.compile(r"\{%-?\s*set\s+\w+\s*=\s*\{(.*?)\}\s*-?%\}", re.S)
_TEMPLATE_ENTRY = re.compile(r"""['"]([a-z_]+)['"]\s*:\s*_\(""")


def _template_label_dicts() -> list[tuple[str, frozenset[str]]]:
    """(file, keys) of every `{% set x = {'value': _('...'), ...} %}` in the templates."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for body in _TEMPLATE_DICT.findall(path.read_text(encoding="utf-8")):
            keys = _TEMPLATE_ENTRY.findall(body)
            if len(keys) >= 2:
                found.append((str(path.relative_to(ROOT)), frozenset(keys)))
    return found


@pytest.mark.parametrize("name", sorted(SPEC_ENUMS))
def test_each_label_table_is_defined_once(name):
    """No second dict of translated labels for the same values anywhere in the code, and
    none in a template (templates ask `label(kind, value)`)."""
    values = SPEC_ENUMS[name] | EXTRA.get(name, set())
    same = [(f, line) for f, line, keys in _label_dicts() if keys == values]
    assert len(same) == 1, f"{name} is defined {len(same)} times: {same}"
    in_templates = [f for f, keys in _template_label_dicts() if len(keys & values) >= 2]
    assert not in_templates, f"{name} labelled again in {in_templates}"


def test_the_talk_page_and_the_talk_record_pdf_name_the_type_alike(
    client, db, make_user, login, token_for
):
    """The talk type reads the same on the page and in the 谈话记录表 (PDF and the
    completion report): one table, TALK_TYPE_LABELS."""
    s = db.session
    unit = factories.unit(s, "纪委")
    secretary = factories.person(s, unit, "王书记")
    leader = factories.person(s, unit, "李局长", leadership="team_member")
    talk = factories.draft_talk(
        s,
        leader,
        [secretary],
        type="supervision",
        held_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
        location="谈话室",
        content="提醒内容",
    )
    s.commit()
    user = make_user("secretary", ["discipline_secretary"], person=secretary)
    with client.application.test_request_context(), force_locale("zh_CN"):
        expected = str(TABLES["talk_type"]["supervision"])
    assert expected == "关键少数日常提醒谈话"

    login("secretary")
    page = client.get(f"/talks/{talk.id}").get_data(as_text=True)
    assert expected in page
    pdf = client.get(f"/api/v1/talks/{talk.id}/record.pdf", headers=token_for(user))
    assert pdf.status_code == 200
    text = "".join(
        re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(pdf.data)).pages
    )
    assert expected in text


def test_the_risk_page_and_the_inventory_pdf_name_the_level_alike(
    client, db, make_user, login, token_for
):
    """The risk level reads the same on the inventory page and in the 排查清单 PDF."""
    s = db.session
    unit = factories.unit(s, "派出所", kind="station")
    post = factories.post(s, unit, "案件审核岗", is_sensitive=True)
    head = factories.person(s, unit, "李所长", leadership="department_head")
    factories.risk_point(s, unit, head, post=post, due_on=date(2030, 1, 1), likelihood=5, impact=4)
    s.commit()
    user = make_user("secretary", ["discipline_secretary"])
    with client.application.test_request_context(), force_locale("zh_CN"):
        expected = str(TABLES["risk_level"]["high"])
    login("secretary")
    page = client.get(f"/risks/?org_unit_id={unit.id}").get_data(as_text=True)
    assert expected in page
    pdf = client.get(
        f"/api/v1/reports/risk-inventory.pdf?org_unit_id={unit.id}", headers=token_for(user)
    )
    assert pdf.status_code == 200
    text = "".join(
        re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(pdf.data)).pages
    )
    assert "违规处置涉案财物" in text and expected in text
