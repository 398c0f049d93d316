"""Risk points on a real database: workflow, versions frozen per campaign, unit states."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common.errors import Conflict, Invalid
from supervision.org.scope import Scope
from supervision.risks import services
from supervision.risks.models import RiskApproval, RiskPoint
from supervision.risks.settings import get_risk_settings, update_risk_settings
from tests import factories

EVERYTHING = Scope(everything=True)


@pytest.fixture
def org(db):
    s = db.session
    root = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=root)
    other = factories.unit(s, "交警大队", parent=root)
    head = factories.person(s, station, "所长", leadership="department_head")
    post = factories.post(s, station, "案件审核岗", is_sensitive=True)
    other_post = factories.post(s, other, "事故处理岗", is_sensitive=True)
    s.commit()
    return {
        "root": root,
        "station": station,
        "other": other,
        "head": head,
        "post": post,
        "other_post": other_post,
    }


def _point(s, org, **extra):
    extra.setdefault("manifestation", "私自截留、挪用涉案财物")
    return factories.risk_point(
        s,
        org["station"],
        org["head"],
        post=org["post"],
        measure="涉案财物集中管理，双人保管",
        **extra,
    )


def test_create_validates_everything_at_once(db, org):
    with pytest.raises(Invalid) as exc:
        services.create_point(
            db.session,
            {
                "org_unit_id": org["station"].id,
                "post_id": org["other_post"].id,
                "title": " ",
                "category": "weather",
                "likelihood": 6,
                "impact": 0,
                "measures": [{"description": ""}],
            },
        )
    assert {"post_id", "title", "category", "likelihood", "impact", "measures"} <= set(
        exc.value.errors
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskPoint)) == 0


def test_workflow_and_freezing(db, org):
    s = db.session
    campaign = services.open_campaign(
        s, {"name": "2026年廉政风险排查", "year": 2026, "deadline": date(2026, 12, 31)}
    )
    point = _point(s, org)
    assert point.status == "draft" and point.version == 1

    services.submit(s, point)  # to the open campaign
    assert point.campaign_id == campaign.id
    with pytest.raises(Conflict):
        services.update_point(s, point, {"title": "改"})  # under review
    services.return_point(s, point, "防控措施不具体")
    assert point.status == "returned" and point.return_comment == "防控措施不具体"
    services.update_point(s, point, {"measures": [{"description": "每月盘点并登记台账"}]})
    services.submit(s, point)
    services.approve(s, point, approver_id=None)
    assert point.status == "approved" and point.last_reviewed_on is not None
    s.commit()

    frozen = s.scalars(sa.select(RiskApproval)).one()
    assert frozen.campaign_id == campaign.id and frozen.version == 1
    assert json.loads(frozen.data)["measures"][0]["description"] == "每月盘点并登记台账"

    # A later edit is the next version; the campaign's frozen text does not move.
    services.update_point(s, point, {"title": "新标题", "measures": []})
    assert point.status == "draft" and point.version == 2 and point.campaign_id is None
    s.commit()
    frozen = s.scalars(sa.select(RiskApproval)).one()
    assert json.loads(frozen.data)["title"] == "违规处置涉案财物"

    actions = s.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_type == "risk_point")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "submit", "return", "update", "submit", "approve", "update"]


def test_return_needs_a_comment_and_transitions_are_guarded(db, org):
    s = db.session
    point = _point(s, org)
    with pytest.raises(Conflict):
        services.approve(s, point, None)  # a draft is not approved directly
    services.submit(s, point)
    with pytest.raises(Invalid):
        services.return_point(s, point, "  ")
    with pytest.raises(Conflict):
        services.retire(s, point)  # not while under review
    services.approve(s, point, None)
    services.retire(s, point)
    with pytest.raises(Conflict):
        services.update_point(s, point, {"title": "x"})


def test_unit_states_in_a_campaign(db, org):
    s = db.session
    campaign = services.open_campaign(
        s, {"name": "排查", "year": 2026, "deadline": date(2026, 12, 31)}
    )
    units = sa.select(sa.literal_column("id")).select_from(sa.table("org_units"))

    def states():
        return {
            r["org_unit_id"]: r["state"] for r in services.campaign_unit_states(s, campaign, units)
        }

    a, b = _point(s, org), _point(s, org, title="第二个风险点")
    assert states() == {org["station"].id: "not_started", org["other"].id: "not_started"}
    services.submit(s, a)
    assert states()[org["station"].id] == "submitted"
    services.submit(s, b)
    services.return_point(s, b, "补充表现形式")
    assert states()[org["station"].id] == "returned"
    services.update_point(s, b, {"manifestation": "补充"})
    services.submit(s, b)
    services.approve(s, a, None)
    assert states()[org["station"].id] == "submitted"
    services.approve(s, b, None)
    assert states()[org["station"].id] == "approved"
    # Units without sensitive posts are not listed.
    assert org["root"].id not in states()


def test_only_one_open_campaign_and_closed_campaigns_refuse_submissions(db, org):
    s = db.session
    first = services.open_campaign(s, {"name": "一", "year": 2026, "deadline": date(2026, 6, 30)})
    with pytest.raises(Conflict):
        services.open_campaign(s, {"name": "二", "year": 2026, "deadline": date(2026, 12, 31)})
    services.close_campaign(s, first)
    point = _point(s, org)
    with pytest.raises(Conflict):
        services.submit(s, point, campaign_id=first.id)
    services.submit(s, point)  # no open campaign: submitted outside any campaign
    assert point.campaign_id is None


def test_settings_change_levels_and_review_cycle(db, org):
    s = db.session
    point = _point(s, org, likelihood=3, impact=5, last_reviewed_on=date(2025, 1, 1))
    assert point.review_due_on == date(2025, 6, 30)  # high: 180 days
    update_risk_settings(s, {"high_min_score": 16})
    services.update_point(s, point, {"impact": 5})
    assert point.review_due_on == date(2026, 1, 1)  # now medium: 365 days
    with pytest.raises(Invalid):
        update_risk_settings(s, {"medium_min_score": 16})
    with pytest.raises(Invalid):
        update_risk_settings(s, {"colour": 1})
    assert get_risk_settings(s).high_min_score == 16


def test_measure_ids_must_belong_to_the_point(db, org):
    s = db.session
    a, b = _point(s, org), _point(s, org, title="另一个")
    foreign = b.measures[0].id
    with pytest.raises(Invalid) as exc:
        services.update_point(s, a, {"measures": [{"id": foreign, "description": "偷换"}]})
    assert exc.value.errors["measures"][0]["id"]
    own = a.measures[0].id
    with pytest.raises(Invalid) as exc:
        services.update_point(
            s, a, {"measures": [{"id": own, "description": "一"}, {"id": own, "description": "二"}]}
        )
    assert exc.value.errors["measures"][1]["id"]
    services.update_point(
        s, a, {"measures": [{"id": own, "description": "改写"}, {"description": "新"}]}
    )
    assert [m.description for m in a.measures] == ["改写", "新"] and a.measures[0].id == own
