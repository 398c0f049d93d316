"""Who sees, reads and edits talk records (SPEC §4).

- Seeing that a talk exists (type, date, participants, status): the discipline secretary,
  HR and admins see every talk; a discipline member sees the talks they take part in and
  those they logged; anyone else (leaders, staff) sees the talks their own person takes
  part in (interviewee, interviewer or recorder). A talk out of reach is answered 404.
- Reading `content`, `response` and attachments: the discipline roles and the talk's
  participants only. HR and admins get null contents and 404 on attachments.
- Creating and editing drafts, finalising and revising: the discipline roles, and leaders
  for talks where they are an interviewer or the recorder.
"""

from __future__ import annotations

import sqlalchemy as sa

from supervision.talks.models import Talk, TalkInterviewer

DISCIPLINE = ("discipline_secretary", "discipline_member")
#: Roles that see every talk (the existence, not necessarily the contents).
SEE_ALL = ("discipline_secretary", "hr", "admin")
#: Roles that may create talk drafts (leaders only as an interviewer or the recorder).
TALK_WRITE = (*DISCIPLINE, "leader")


def participant_clause(person_id: int):
    """SQL condition: the person is the interviewee, an interviewer or the recorder."""
    return sa.or_(
        Talk.interviewee_id == person_id,
        Talk.recorder_id == person_id,
        Talk.id.in_(
            sa.select(TalkInterviewer.talk_id).where(TalkInterviewer.person_id == person_id)
        ),
    )


def visible_clause(user):
    """SQL condition on Talk rows the user may know about."""
    if user is None or not user.is_authenticated:
        return sa.false()
    if user.has_role(*SEE_ALL):
        return sa.true()
    conds = []
    if user.person_id is not None:
        conds.append(participant_clause(user.person_id))
    if user.has_role("discipline_member"):
        conds.append(Talk.created_by_id == user.id)
    return sa.or_(*conds) if conds else sa.false()


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
    return user.has_role(*DISCIPLINE) or is_participant(user, talk)


def holds_a_seat(person_id: int | None, interviewer_ids, recorder_id: int | None) -> bool:
    """Whether the person conducts (interviewer) or records the talk."""
    return person_id is not None and (
        person_id in set(interviewer_ids or ()) or person_id == recorder_id
    )


def can_edit(user, talk: Talk) -> bool:
    """Whether the user may edit, finalise or revise the (visible) talk."""
    if user.has_role(*DISCIPLINE):
        return True
    return user.has_role("leader") and holds_a_seat(
        user.person_id, [i.person_id for i in talk.interviewers], talk.recorder_id
    )
