"""What the talk pages and API read: one talk (optionally under its row lock), lists within
what the caller may know about, and the talks waiting for someone's signature."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from supervision.common.errors import NotFound
from supervision.common.periods import Period
from supervision.common.permissions import can
from supervision.extensions import db
from supervision.org.models import Person
from supervision.talks.models import Talk, TalkInterviewer, TalkSignature
from supervision.talks.permissions import can_edit, taking_part, visible_clause

#: What a talk page shows: participants with their names, signatures and attachments.
PAGE_LOADS = (
    selectinload(Talk.interviewers).selectinload(TalkInterviewer.person),
    selectinload(Talk.signatures),
    selectinload(Talk.attachments),
    selectinload(Talk.interviewee),
    selectinload(Talk.recorder),
)
#: What the API serialises: participant ids, signatures and attachments.
API_LOADS = (
    selectinload(Talk.interviewers),
    selectinload(Talk.signatures),
    selectinload(Talk.attachments),
)
#: At most this many talks in the "to sign" and "drafts" lists of my talks.
MY_LIST_LIMIT = 200


def get_talk(user, talk_id: int, *, lock: bool = False, loads=PAGE_LOADS) -> Talk:
    """The talk if `user` may know about it, else 404 (unknown and hidden alike). `lock`
    takes its row lock, so that concurrent changes of one talk (sign, finalise, edit,
    attach) from pages and API run one after the other (PostgreSQL; SQLite serialises
    writers anyway)."""
    stmt = sa.select(Talk).where(Talk.id == talk_id, visible_clause(user)).options(*loads)
    if lock:
        stmt = stmt.with_for_update(of=Talk)
    talk = db.session.scalar(stmt)
    if talk is None:
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("talk"), id=talk_id))
    return talk


def ordered(stmt: sa.Select, user) -> sa.Select:
    """Newest held first, drafts without a date last, then newest id.

    For a reader who may know about every talk this is written `held_at DESC NULLS LAST,
    id DESC`, an order both databases read from an index (`ix_talks_held_at` on SQLite,
    `ix_talks_list_order` on PostgreSQL): a page is the first rows of an index scan, not a
    sort of every talk. A reader limited to the talks they take part in or logged sees few
    of them, found through their own indexes; the same order written with `held_at IS NULL`
    first keeps the planner from walking the whole list index for those few (measured on
    SQLite at 200,000 talks: 0.8-1.1 s by the index against 85 ms sorted)."""
    if can(user, "talks.see_all"):
        return stmt.order_by(Talk.held_at.desc().nulls_last(), Talk.id.desc())
    return stmt.order_by(Talk.held_at.is_(None), Talk.held_at.desc(), Talk.id.desc())


def filtered(stmt: sa.Select, *, type_=None, status=None, period=None) -> sa.Select:
    """`stmt` narrowed by type, status and period (a malformed period matches nothing)."""
    if type_:
        stmt = stmt.where(Talk.type == type_)
    if status:
        stmt = stmt.where(Talk.status == status)
    if period:
        try:
            stmt = stmt.where(Talk.period == str(Period.parse(period)))
        except ValueError:
            stmt = stmt.where(sa.false())
    return stmt


def visible_select(user, loads=PAGE_LOADS) -> sa.Select:
    """SELECT of the talks `user` may know about (never more than that)."""
    return sa.select(Talk).where(visible_clause(user)).options(*loads)


def awaiting_signature(person_id: int) -> list[Talk]:
    """Drafts where the person is interviewee or interviewer and has not signed yet."""
    # Per candidate one lookup of the signatures' key (talk, person); `NOT IN (their
    # signatures)` read every signature, there being no index by person.
    signed = sa.exists().where(
        TalkSignature.talk_id == Talk.id, TalkSignature.person_id == person_id
    )
    # Their talks by index lookups (`Talk.id IN (… UNION …)`): with an OR the planners walk
    # every talk newest first (324 ms at a million talks on PostgreSQL).
    theirs = sa.union(*taking_part(person_id, recorder=False))
    return list(
        db.session.scalars(
            sa.select(Talk)
            .where(Talk.status == "draft", ~signed, Talk.id.in_(theirs))
            .order_by(Talk.id.desc())
            .limit(MY_LIST_LIMIT)
            .options(*PAGE_LOADS)
        )
    )


def editable_drafts(user) -> list[Talk]:
    """The drafts `user` wrote or takes part in and may still edit."""
    mine = [sa.select(Talk.id).where(Talk.created_by_id == user.id)]
    if user.person_id is not None:
        mine += taking_part(user.person_id)
    drafts = db.session.scalars(
        sa.select(Talk)
        .where(
            Talk.status == "draft",
            Talk.id.in_(sa.union(*mine)),
        )
        .order_by(Talk.id.desc())
        .limit(MY_LIST_LIMIT)
        .options(*PAGE_LOADS)
    ).all()
    return [t for t in drafts if can_edit(user, t)]


def people_by_id(ids) -> dict[int, Person]:
    """{id: person} of the given ids (None ignored), in one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


#: At most this many people in one answer of the people search.
SEARCH_LIMIT = 20


def search_people(text: str, where) -> list[Person]:
    """People whose staff number starts with, or whose name contains, `text`, among those
    `where` admits (an SQL condition on Person): active people first, then by staff number."""
    text = text.strip()
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        sa.select(Person)
        .where(
            sa.or_(
                Person.staff_no.like(f"{escaped}%", escape="\\"),
                Person.name.like(f"%{escaped}%", escape="\\"),
            ),
            where,
        )
        .options(selectinload(Person.org_unit))
        .order_by(Person.is_active.desc(), Person.staff_no)
        .limit(SEARCH_LIMIT)
    )
    return list(db.session.scalars(stmt))
