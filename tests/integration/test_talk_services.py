"""Talk record services on a real database: periods, drafts, signatures, finalising,
attachments and revisions (SPEC §2, §6)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.common import clock, storage
from supervision.common.errors import Conflict, Forbidden, Invalid
from supervision.talks import services
from supervision.talks.models import Talk
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def process_in_utc(monkeypatch):
    """Run with the process's own zone set to UTC: periods must still follow clock.zone()."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    """Attachments in a directory of this test."""
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    return tmp_path / "files"


@pytest.fixture
def people(db):
    """A unit with an interviewee, two interviewers and a recorder."""
    s = db.session
    unit = factories.unit(s, "派出所", kind="station")
    out = {
        "interviewee": factories.person(s, unit, "张三"),
        "chief": factories.person(s, unit, "李四", leadership="department_head"),
        "member": factories.person(s, unit, "王五"),
        "recorder": factories.person(s, unit, "赵六"),
    }
    s.commit()
    return out


def local(*args) -> datetime:
    """A local instant in the configured zone."""
    return datetime(*args, tzinfo=clock.zone())


def complete(people, **extra) -> dict:
    data = {
        "type": "integrity_reminder",
        "held_at": local(2025, 9, 10, 9, 30),
        "location": "谈话室",
        "interviewee_id": people["interviewee"].id,
        "interviewer_ids": [people["chief"].id, people["member"].id],
        "recorder_id": people["recorder"].id,
        "reason": "季度廉政提醒",
        "content": "提醒遵守廉洁纪律",
        "response": "坚决遵守",
        "follow_up": "",
    }
    data.update(extra)
    return data


def minimal(people, **extra) -> dict:
    """The least a draft holds: a type, the interviewee and the date."""
    return {
        "type": "integrity_reminder",
        "interviewee_id": people["interviewee"].id,
        "held_at": local(2025, 9, 10, 9, 30),
        **extra,
    }


def signed_talk(db, people, **extra) -> Talk:
    talk = services.create_talk(db.session, complete(people, **extra))
    for who in ("interviewee", "chief", "member"):
        services.sign(db.session, talk, people[who].id, None)
    return talk


def actions(db, talk_id) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "talk", AuditEntry.object_id == str(talk_id))
            .order_by(AuditEntry.id)
        )
    )


# ------------------------------------------------------------------ periods


@pytest.mark.parametrize(
    ("talk_type", "held", "period"),
    [
        ("integrity_reminder", (2025, 6, 30, 23, 30), "2025Q2"),
        ("integrity_reminder", (2025, 7, 1, 0, 10), "2025Q3"),
        ("supervision", (2025, 6, 30, 23, 30), "2025H1"),
        ("supervision", (2025, 7, 1, 0, 10), "2025H2"),
        ("heart_to_heart", (2024, 12, 31, 23, 30), "2024"),
        ("heart_to_heart", (2025, 1, 1, 0, 10), "2025"),
        ("admonishment", (2025, 7, 1, 0, 10), None),
        ("pre_appointment", (2025, 7, 1, 0, 10), None),
    ],
)
def test_default_period_is_that_of_the_local_date(
    db, people, process_in_utc, talk_type, held, period
):
    held_at = local(*held)
    if held[3] == 0:
        # The process's own zone (UTC) puts 00:10 local on the day before.
        assert datetime.fromtimestamp(held_at.timestamp()).date() < held_at.date()
    talk = services.create_talk(db.session, minimal(people, type=talk_type, held_at=held_at))
    db.session.commit()
    assert db.session.get(Talk, talk.id).period == period


def test_period_follows_the_configured_zone(app, db, people, monkeypatch):
    held = datetime(2025, 7, 1, 0, 10, tzinfo=clock.zone())
    monkeypatch.setitem(app.config, "SUPERVISION_TIMEZONE", "UTC")
    talk = services.create_talk(db.session, minimal(people, held_at=held))
    assert talk.period == "2025Q2"


def test_a_talk_signed_after_its_period_keeps_the_period_of_its_held_date(db, people):
    talk = services.create_talk(db.session, complete(people, held_at=local(2025, 9, 30, 16, 0)))
    with clock.frozen(local(2025, 10, 9, 10, 0)):
        for who in ("interviewee", "chief", "member"):
            services.sign(db.session, talk, people[who].id, None)
        services.finalize(db.session, talk)
    db.session.commit()
    talk = db.session.get(Talk, talk.id)
    assert (talk.status, talk.period) == ("final", "2025Q3")
    assert clock.local(talk.signatures[0].signed_at).date().isoformat() == "2025-10-09"


def test_a_later_period_is_refused_and_an_earlier_one_is_a_make_up_talk(db, people):
    with pytest.raises(Invalid) as exc:
        services.create_talk(db.session, complete(people, period="2025Q4"))
    assert "2025Q3" in exc.value.errors["period"][0]
    talk = signed_talk(db, people, period=" 2025q2 ")
    services.finalize(db.session, talk)
    db.session.commit()
    assert db.session.get(Talk, talk.id).period == "2025Q2"


@pytest.mark.parametrize(
    ("talk_type", "period"),
    [
        ("integrity_reminder", "2025H1"),  # a half-year for a quarterly talk
        ("supervision", "2025Q1"),
        ("heart_to_heart", "2025Q1"),
        ("admonishment", "2025Q1"),  # no obligation, no period
        ("integrity_reminder", "2025Q5"),
        ("integrity_reminder", "last quarter"),
    ],
)
def test_a_period_of_the_wrong_kind_is_refused(db, people, talk_type, period):
    with pytest.raises(Invalid) as exc:
        services.create_talk(
            db.session, minimal(people, type=talk_type, held_at=local(2025, 9, 1, 9), period=period)
        )
    assert list(exc.value.errors) == ["period"]


def test_the_default_period_follows_held_at_but_a_chosen_one_stays(db, people):
    talk = services.create_talk(db.session, minimal(people, held_at=local(2025, 5, 1, 9)))
    assert talk.period == "2025Q2"
    services.update_talk(db.session, talk, {"held_at": local(2025, 8, 1, 9)})
    assert talk.period == "2025Q3"
    services.update_talk(db.session, talk, {"type": "supervision"})
    assert talk.period == "2025H2"
    services.update_talk(db.session, talk, {"period": "2025H1"})
    services.update_talk(db.session, talk, {"held_at": local(2025, 9, 1, 9)})
    assert talk.period == "2025H1"
    # The chosen period must stay valid whatever changes: back in H1 it would be after its own.
    with pytest.raises(Invalid) as exc:
        services.update_talk(db.session, talk, {"held_at": local(2024, 12, 1, 9)})
    assert "period" in exc.value.errors


# ------------------------------------------------------------------ drafts and validation


def test_a_draft_may_be_incomplete_and_is_audited(db, people):
    talk = services.create_talk(db.session, minimal(people, type="supervision"))
    db.session.commit()
    assert (talk.status, talk.location, talk.content, talk.interviewers) == ("draft", "", "", [])
    assert actions(db, talk.id) == ["create"]


def test_interviewers_keep_their_order_and_people_must_exist(db, people):
    ids = [people["member"].id, people["chief"].id]
    talk = services.create_talk(db.session, complete(people, interviewer_ids=ids))
    assert [i.person_id for i in talk.interviewers] == ids
    services.update_talk(db.session, talk, {"interviewer_ids": list(reversed(ids))})
    db.session.commit()
    assert [i.person_id for i in db.session.get(Talk, talk.id).interviewers] == list(reversed(ids))
    with pytest.raises(Invalid) as exc:
        services.create_talk(
            db.session,
            complete(
                people,
                interviewer_ids=[ids[0], ids[0], 999999],
                recorder_id=people["interviewee"].id,
            ),
        )
    assert len(exc.value.errors["interviewer_ids"]) == 2
    assert "recorder_id" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        services.create_talk(
            db.session, complete(people, interviewer_ids=[people["interviewee"].id])
        )
    assert "interviewer_ids" in exc.value.errors


def test_a_final_talk_is_not_edited(db, people):
    talk = signed_talk(db, people)
    services.finalize(db.session, talk)
    with pytest.raises(Conflict):
        services.update_talk(db.session, talk, {"content": "改"})
    with pytest.raises(Conflict):
        services.finalize(db.session, talk)


def test_changing_the_text_of_a_signed_draft_clears_the_signatures(db, people):
    talk = signed_talk(db, people)
    services.update_talk(db.session, talk, {"period": "2025Q2", "reported_to_higher_at": None})
    assert len(talk.signatures) == 3  # not the text the signers confirmed
    services.update_talk(db.session, talk, {"content": "提醒遵守廉洁纪律。"})
    db.session.commit()
    talk = db.session.get(Talk, talk.id)
    assert talk.signatures == []
    update = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.id.desc())
    ).first()
    assert '"signatures"' in update.changes


# ------------------------------------------------------------------ signatures


def test_signing_is_for_the_interviewee_and_interviewers_and_is_idempotent(db, people):
    talk = services.create_talk(db.session, complete(people))
    with clock.frozen(datetime(2025, 9, 10, 3, 0, tzinfo=UTC)):
        first = services.sign(db.session, talk, people["interviewee"].id, None)
    with clock.frozen(datetime(2025, 9, 11, 3, 0, tzinfo=UTC)):
        again = services.sign(db.session, talk, people["interviewee"].id, None)
    assert again.signed_at == first.signed_at == datetime(2025, 9, 10, 3, 0, tzinfo=UTC)
    assert services.sign(db.session, talk, people["chief"].id, None).role == "interviewer"
    assert first.role == "interviewee"
    with pytest.raises(Forbidden):
        services.sign(db.session, talk, people["recorder"].id, None)
    with pytest.raises(Forbidden):
        services.sign(db.session, talk, None, None)
    db.session.commit()
    assert actions(db, talk.id).count("sign") == 2


def test_a_final_talk_takes_no_new_signature(db, people, store):
    signed = signed_talk(db, people)
    services.finalize(db.session, signed)
    assert (
        services.sign(db.session, signed, people["chief"].id, None).person_id == people["chief"].id
    )
    on_paper = services.create_talk(db.session, complete(people))
    services.add_attachment(db.session, on_paper, "signed_form", "签字页.pdf", PDF)
    services.finalize(db.session, on_paper)
    with pytest.raises(Conflict):
        services.sign(db.session, on_paper, people["chief"].id, None)


# ------------------------------------------------------------------ finalising


def test_finalize_lists_everything_missing(db, people):
    talk = services.create_talk(db.session, minimal(people))
    with pytest.raises(Invalid) as exc:
        services.finalize(db.session, talk)
    assert set(exc.value.errors) == {
        "location",
        "signatures",  # the interviewee's
        "interviewer_ids",
        "recorder_id",
        "content",
        "response",
    }
    services.update_talk(db.session, talk, complete(people))
    services.sign(db.session, talk, people["chief"].id, None)
    with pytest.raises(Invalid) as exc:
        services.finalize(db.session, talk)
    # Chinese is the default language.
    assert exc.value.errors == {
        "signatures": ["缺少签字：张三（被谈话人）", "缺少签字：王五（谈话人）"]
    }
    assert talk.status == "draft"


def test_finalize_sets_status_time_and_is_audited(db, people):
    talk = signed_talk(db, people)
    moment = datetime(2025, 9, 12, 1, 0, tzinfo=UTC)
    with clock.frozen(moment):
        services.finalize(db.session, talk)
    db.session.commit()
    talk = db.session.get(Talk, talk.id)
    assert (talk.status, talk.finalized_at, talk.period) == ("final", moment, "2025Q3")
    assert actions(db, talk.id)[-1] == "finalize"


def test_a_talk_not_yet_held_cannot_be_final(db, people):
    talk = signed_talk(db, people, held_at=clock.now() + timedelta(days=2))
    with pytest.raises(Invalid) as exc:
        services.finalize(db.session, talk)
    assert list(exc.value.errors) == ["held_at"]


def test_admonishment_needs_a_written_explanation_and_a_report(db, people, store):
    talk = signed_talk(db, people, type="admonishment")
    with pytest.raises(Invalid) as exc:
        services.finalize(db.session, talk)
    assert set(exc.value.errors) == {"attachments", "reported_to_higher_at"}
    services.add_attachment(db.session, talk, "written_explanation", "检讨.pdf", PDF)
    services.update_talk(db.session, talk, {"reported_to_higher_at": local(2025, 9, 11, 9)})
    services.finalize(db.session, talk)
    assert (talk.status, talk.period) == ("final", None)
    with pytest.raises(Invalid):
        services.create_talk(
            db.session,
            complete(people, type="admonishment", reported_to_higher_at=local(2025, 9, 1, 9)),
        )


def test_a_signed_form_replaces_the_signatures(db, people, store):
    talk = services.create_talk(db.session, complete(people))
    services.add_attachment(db.session, talk, "other", "photo.png", PNG)
    with pytest.raises(Invalid):
        services.finalize(db.session, talk)
    services.add_attachment(db.session, talk, "signed_form", "签字页.pdf", PDF)
    services.finalize(db.session, talk)
    assert talk.status == "final" and talk.signatures == []
    with pytest.raises(Conflict):
        services.add_attachment(db.session, talk, "other", "more.pdf", PDF)


# ------------------------------------------------------------------ attachments


def test_attachments_are_typed_by_content_and_stored_by_hash(db, people, store):
    talk = services.create_talk(db.session, complete(people))
    png = services.add_attachment(db.session, talk, "other", "../../etc/scan.pdf", PNG)
    assert (png.content_type, png.filename, png.size) == ("image/png", "scan.png", len(PNG))
    assert storage.path_for(png.sha256).read_bytes() == PNG
    assert storage.path_for(png.sha256).is_relative_to(store)
    jpeg = services.add_attachment(
        db.session, talk, "other", "C:\\docs\\照片.JPEG", b"\xff\xd8\xff\xe0rest"
    )
    assert (jpeg.content_type, jpeg.filename) == ("image/jpeg", "照片.jpeg")
    with pytest.raises(Invalid) as exc:
        services.add_attachment(db.session, talk, "other", "setup.pdf", EXE)
    assert "file" in exc.value.errors
    with pytest.raises(Invalid):
        services.add_attachment(db.session, talk, "other", "empty.pdf", b"")
    with pytest.raises(Invalid) as exc:
        services.add_attachment(db.session, talk, "photo", "x.png", PNG)
    assert "kind" in exc.value.errors
    db.session.commit()
    assert actions(db, talk.id).count("attach") == 2


def test_attachments_over_the_limit_are_refused(app, db, people, store, monkeypatch):
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_MAX_BYTES", 1000)
    talk = services.create_talk(db.session, complete(people))
    with pytest.raises(storage.TooLarge) as exc:
        services.add_attachment(db.session, talk, "other", "big.pdf", PDF + b"\x00" * 1000)
    assert exc.value.status == 413
    assert services.add_attachment(db.session, talk, "other", "ok.pdf", PDF).size == len(PDF)


# ------------------------------------------------------------------ revisions


def test_a_revision_is_a_new_draft_and_supersedes_once_final(db, people, store):
    talk = signed_talk(db, people)
    services.add_attachment(db.session, talk, "written_explanation", "说明.pdf", PDF)
    services.finalize(db.session, talk)
    with pytest.raises(Conflict):
        services.revise(db.session, services.create_talk(db.session, minimal(people)))
    revision = services.revise(db.session, talk)
    assert (revision.status, revision.revision_of_id, revision.content) == (
        "draft",
        talk.id,
        talk.content,
    )
    assert [i.person_id for i in revision.interviewers] == [i.person_id for i in talk.interviewers]
    assert revision.signatures == [] and [a.kind for a in revision.attachments] == [
        "written_explanation"
    ]
    with pytest.raises(Conflict):
        services.revise(db.session, talk)  # a draft revision is already under way
    db.session.commit()
    counted = sa.select(Talk.id).where(services.counted_clause())
    assert set(db.session.scalars(counted)) == {talk.id}
    assert services.revised_by_map(db.session, [talk.id, revision.id]) == {talk.id: revision.id}

    services.update_talk(db.session, revision, {"content": "更正后的谈话内容"})
    for who in ("interviewee", "chief", "member"):
        services.sign(db.session, revision, people[who].id, None)
    services.finalize(db.session, revision)
    db.session.commit()
    assert set(db.session.scalars(services.superseded_ids_select())) == {talk.id}
    assert set(db.session.scalars(counted)) == {revision.id}
    assert db.session.get(Talk, talk.id).status == "final"  # the old record is kept
    with pytest.raises(Conflict):
        services.revise(db.session, talk)  # revise the newest one instead
    assert "revise" in actions(db, talk.id)
