"""Who sees, reads and edits talk records (SPEC §4), by the grants of the role table.

- Seeing that a talk exists (type, date, participants, status): holders of `talks.see_all`
  see every talk; holders of `talks.see_logged` see the talks they logged; anyone sees the
  talks their own person takes part in (interviewee, interviewer or recorder). A talk out
  of reach is answered 404.
- Reading `content`, `response` and attachments: `talks.read_contents` and the talk's
  participants only. The others get null contents and 404 on attachments.
- Writing drafts, finalising and revising: `talks.write_any`, and the other holders of
  `talks.write` for talks where they hold a seat (interviewer or recorder) about a person
  of their scope (`author_errors`, `nameable_clause`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from supervision.common.permissions import can
from supervision.org.scope import Scope
from supervision.talks.models import Talk, TalkInterviewer


def taking_part(person_id: int, *, recorder: bool = True) -> list[sa.Select]:
    """Selects of the ids of the talks the person takes part in: as interviewee, as an
    interviewer and (with `recorder`) as recorder — one indexed lookup each, to combine in
    `Talk.id IN (… UNION …)` (see `visible_clause`)."""
    ways = [
        sa.select(Talk.id).where(Talk.interviewee_id == person_id),
        sa.select(TalkInterviewer.talk_id).where(TalkInterviewer.person_id == person_id),
    ]
    if recorder:
        ways.append(sa.select(Talk.id).where(Talk.recorder_id == person_id))
    return ways


def participant_clause(person_id: int):
    """SQL condition: the person is the interviewee, an interviewer or the recorder."""
    return Talk.id.in_(sa.union(*taking_part(person_id)))


def visible_clause(user):
    """SQL condition on Talk rows the user may know about.

    A reader limited to their own talks gets `id IN (… UNION …)` of one indexed lookup per
    way of taking part (or of having logged the talk) rather than an OR over the talks:
    PostgreSQL cannot combine an OR with a subquery into index lookups and scanned every
    talk for it (28 ms per statement at 200,000 talks, against 1.5 ms)."""
    if user is None or not user.is_authenticated:
        return sa.false()
    if can(user, "talks.see_all"):
        return sa.true()
    ways = []
    if user.person_id is not None:
        ways += taking_part(user.person_id)
    if can(user, "talks.see_logged"):
        ways.append(sa.select(Talk.id).where(Talk.created_by_id == user.id))
    return Talk.id.in_(sa.union(*ways)) if ways else sa.false()


def participant_ids(talk: Talk) -> set[int]:
    """Ids of the interviewee, the interviewers and the recorder of a talk."""
    ids = {i.person_id for i in talk.interviewers}
    ids.update(p for p in (talk.interviewee_id, talk.recorder_id) if p is not None)
    return ids


def is_participant(user, talk: Talk) -> bool:
    """Whether the user's person takes part in the talk."""
    return user.person_id is not None and user.person_id in participant_ids(talk)


def contents_visible(user, talk: Talk) -> bool:
    """Whether the user may read the talk's content, response and attachments."""
    if user is None or not user.is_authenticated:
        return False
    return can(user, "talks.read_contents") or is_participant(user, talk)


def holds_a_seat(person_id: int | None, interviewer_ids, recorder_id: int | None) -> bool:
    """Whether the person conducts (interviewer) or records the talk."""
    return person_id is not None and (
        person_id in set(interviewer_ids or ()) or person_id == recorder_id
    )


def can_edit(user, talk: Talk) -> bool:
    """Whether the user may edit, finalise or revise the (visible) talk."""
    if can(user, "talks.write_any"):
        return True
    return can(user, "talks.write") and holds_a_seat(
        user.person_id, [i.person_id for i in talk.interviewers], talk.recorder_id
    )


def can_delete(user, talk: Talk) -> bool:
    """Whether the user may delete the (visible) draft: its author, or a discipline role
    (`talks.write_any`). A final talk is never deleted (the service refuses it)."""
    if can(user, "talks.write_any"):
        return True
    return (
        talk.created_by_id is not None
        and talk.created_by_id == user.id
        and can(user, "talks.write")
    )


def may_sign(user, talk: Talk) -> bool:
    """Whether the user's person may still sign this draft (interviewee or interviewer)."""
    me = user.person_id
    if talk.status != "draft" or me is None or me in {s.person_id for s in talk.signatures}:
        return False
    return me == talk.interviewee_id or me in {i.person_id for i in talk.interviewers}


def author_errors(user, *, interviewer_ids, recorder_id: int | None) -> dict[str, list[str]]:
    """The seat rule for writers without `talks.write_any` (leaders): they must hold a seat
    in the talk (interviewer or recorder). Errors by field."""
    if can(user, "talks.write_any"):
        return {}
    if holds_a_seat(user.person_id, interviewer_ids, recorder_id):
        return {}
    return {
        "interviewer_ids": [
            _(
                "You can only record talks you conduct or record: add yourself as an "
                "interviewer or the recorder."
            )
        ]
    }


def nameable_clause(user, scope: Scope):
    """Who the writer may name in a talk (interviewee, interviewers, recorder), as an SQL
    condition on Person, or None for anyone: `talks.write_any` names anyone, other writers
    (leaders) only people of their scope. Anyone else is answered exactly as a person that
    does not exist (the services and the form treat them so), so existence does not leak."""
    if can(user, "talks.write_any") or scope.everything:
        return None
    return scope.person_clause()
