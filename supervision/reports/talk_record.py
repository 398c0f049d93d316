"""The talk record form (谈话记录表, SPEC §9): one talk as a bordered portrait A4 form.

The form prints the confidential contents, so only readers allowed to see them get it
(supervision.talks.permissions.contents_visible): a talk the caller may not know about, or
whose contents they may not read (HR, admins), is 404, as for its attachments. Every
rendering is audited as a read of the talk, like a GET of its contents.

Signature lines: the interviewee and each interviewer, with the time of their electronic
signature when they signed, else a blank line to sign on paper. A draft is labelled and
watermarked 草稿 (it is not the record that counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from supervision.common import clock, pdf
from supervision.common.downloads import FileName
from supervision.common.errors import NotFound
from supervision.org.labels import LEADERSHIP_LABELS
from supervision.org.models import Assignment, Post
from supervision.talks import services
from supervision.talks.labels import TALK_TYPE_LABELS
from supervision.talks.models import Talk
from supervision.talks.permissions import contents_visible, visible_clause

TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class SignatureLine:
    """One signature line: who signs, in which capacity, and when (None: sign on paper)."""

    capacity: str
    name: str
    signed_at: str | None


@dataclass
class TalkRecord:
    """The printed form of one talk."""

    talk_id: int
    title: str
    type_label: str
    held_at: str
    location: str
    interviewee_name: str
    interviewee_unit: str
    interviewee_post: str
    interviewers: str
    recorder: str
    reason: str
    content: str
    response: str
    follow_up: str
    period: str
    status_label: str
    is_draft: bool
    signed_on_paper: bool
    revision_of_id: int | None
    signatures: list[SignatureLine] = field(default_factory=list)

    @property
    def download_name(self) -> FileName:
        """The download name without extension: the form, the interviewee, the day."""
        parts = [self.title, self.interviewee_name, self.held_at[:10]]
        name = "-".join(p for p in parts if p)
        if self.is_draft:
            name += _("(draft)")
        return FileName(name, f"talk-record-{self.talk_id}")


def readable_talk(session: Session, user, talk_id: int) -> Talk:
    """The talk whose contents `user` may read, with its people loaded (404 otherwise)."""
    talk = session.scalar(
        sa.select(Talk)
        .where(Talk.id == talk_id, visible_clause(user))
        .options(
            selectinload(Talk.interviewers),
            selectinload(Talk.signatures),
            selectinload(Talk.attachments),
        )
    )
    if talk is None or not contents_visible(user, talk):
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("talk"), id=talk_id))
    return talk


def _posts(session: Session, person_id: int, on: date) -> list[str]:
    """Names of the posts the person held on `on`."""
    return list(
        session.scalars(
            sa.select(Post.name)
            .join(Assignment, Assignment.post_id == Post.id)
            .where(
                Assignment.person_id == person_id,
                Assignment.start_date <= on,
                sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= on),
            )
            .order_by(Assignment.start_date, Post.name)
        )
    )


def _when(instant: datetime | None) -> str:
    return clock.local(instant).strftime(TIME_FORMAT) if instant is not None else ""


def build(session: Session, talk: Talk) -> TalkRecord:
    """The printed form of a (readable) talk."""
    person = talk.interviewee
    day = clock.local(talk.held_at).date() if talk.held_at is not None else clock.today()
    post = ""
    if person is not None:
        post = "、".join(_posts(session, person.id, day)) or str(
            LEADERSHIP_LABELS.get(person.leadership, "")
        )
    signed = {s.person_id: s.signed_at for s in talk.signatures}
    lines = []
    if person is not None:
        lines.append(
            SignatureLine(_("Interviewee"), person.name, _when(signed.get(person.id)) or None)
        )
    for row in talk.interviewers:
        lines.append(
            SignatureLine(
                _("Interviewer"), row.person.name, _when(signed.get(row.person_id)) or None
            )
        )
    is_draft = talk.status != "final"
    return TalkRecord(
        talk_id=talk.id,
        title=_("Talk record form"),
        type_label=str(TALK_TYPE_LABELS.get(talk.type, talk.type)),
        held_at=_when(talk.held_at),
        location=talk.location or "",
        interviewee_name=person.name if person else "",
        interviewee_unit=person.org_unit.name if person else "",
        interviewee_post=post,
        interviewers="、".join(i.person.name for i in talk.interviewers),
        recorder=talk.recorder.name if talk.recorder else "",
        reason=talk.reason or "",
        content=talk.content or "",
        response=talk.response or "",
        follow_up=talk.follow_up or "",
        period=talk.period or "",
        status_label=_("Draft (not final)") if is_draft else _("Final record"),
        is_draft=is_draft,
        signed_on_paper=any(a.kind == "signed_form" for a in talk.attachments),
        revision_of_id=talk.revision_of_id,
        signatures=lines,
    )


def render_pdf(form: TalkRecord, generated_at: datetime | None = None) -> bytes:
    """The form as a portrait A4 PDF."""
    return pdf.render_pdf(
        "pdf/talk_record.html", title=form.title, form=form, generated_at=generated_at
    )


#: The formats of the form: PDF to print, Word for offices that edit before they print.
FORMATS = ("pdf", "docx")


def export(session: Session, user, talk_id: int, fmt: str = "pdf") -> tuple[bytes, str, FileName]:
    """Render the talk record form for `user` (404 unless they may read the contents) and
    audit the read: (content, mimetype, file name)."""
    talk = readable_talk(session, user, talk_id)
    form = build(session, talk)
    if fmt == "docx":
        from supervision.reports.talk_record_docx import DOCX_MIME, render_docx

        content, mime = render_docx(form, clock.now()), DOCX_MIME
    else:
        content, mime = render_pdf(form, clock.now()), pdf.PDF_MIME
    services.record_read(session, talk)
    session.flush()
    return content, mime, form.download_name.with_suffix(f".{fmt}")
