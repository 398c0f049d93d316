"""JSON API: /talks — talk records, signatures, attachments, finalising, revisions (SPEC §6, §10).

Permissions (SPEC §4, supervision/talks/permissions.py):
- A talk the caller may not know about is 404 for every operation.
- `content`, `response` and `attachments` come back null to callers who see the talk but
  may not read them (HR, admins), and attachment downloads are 404 for them. Every GET of
  a talk that returns its contents, and every download, is audited as "read". Lists never
  return contents (and are not audited).
- Create drafts: discipline roles, and leaders who are an interviewer or the recorder (a
  leader must keep that seat, and may name as interviewee, interviewer or recorder only
  people of their scope; anyone else gets the very answer of a person id that does not
  exist). Others 403.
- Edit, attach, finalise, revise: discipline roles and leaders holding a seat (else 403).
- Sign: the interviewee and the interviewers themselves (else 403).
- `POST /talks/{id}/revise` (beyond SPEC §10): a final talk is never edited; this starts a
  new draft copying its fields (not its signatures, nor a signed form) with
  `revision_of_id` set. Once finalised, the revision is the record that counts.
- `DELETE /talks/{id}/attachments/{attachment_id}` (beyond SPEC §10): removes a wrong upload
  from a draft (409 when final).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from supervision.common import clock, storage
from supervision.common.api import ApiBlueprint, SelectPage
from supervision.common.errors import Forbidden, Invalid, NotFound
from supervision.common.permissions import require
from supervision.common.uploads import uploaded_file
from supervision.extensions import db
from supervision.org.scope import current_scope
from supervision.talks import queries, services
from supervision.talks.models import Talk
from supervision.talks.permissions import (
    author_errors,
    can_edit,
    contents_visible,
    nameable_clause,
    visible_clause,
)
from supervision.talks.schemas import (
    AttachmentUploadSchema,
    TalkAttachmentSchema,
    TalkQuery,
    TalkSchema,
    TalkSummarySchema,
    TalkWriteSchema,
)

blp = ApiBlueprint(
    "talks_api",
    __name__,
    description="Talk records (谈话记录): drafts, signatures, attachments, "
    "finalising and revisions",
)


def _annotate(talks: list[Talk]) -> list[Talk]:
    """Attach `revised_by_id` (one query for all the talks)."""
    newest = services.revised_by_map(db.session, [t.id for t in talks])
    for talk in talks:
        talk.revised_by_id = newest.get(talk.id)
    return talks


def _talk(talk_id: int, lock: bool = False) -> Talk:
    """The visible talk (404 otherwise), under its row lock when `lock` (queries.get_talk)."""
    talk = queries.get_talk(current_user, talk_id, lock=lock, loads=queries.API_LOADS)
    return _annotate([talk])[0]


def _editable(talk_id: int) -> Talk:
    talk = _talk(talk_id, lock=True)
    if not can_edit(current_user, talk):
        raise Forbidden(_("You may not change this talk record."))
    return talk


def _check_author(data: dict, talk: Talk | None = None) -> None:
    """The seat rule of supervision.talks.permissions.author_errors, on the fields sent (a
    PATCH keeps the talk's other values)."""
    if talk is not None and talk.status != "draft":
        return  # the service answers 409
    interviewers = (
        data["interviewer_ids"]
        if "interviewer_ids" in data
        else ([i.person_id for i in talk.interviewers] if talk is not None else [])
    )
    recorder = (
        data["recorder_id"] if "recorder_id" in data else (talk.recorder_id if talk else None)
    )
    errors = author_errors(current_user, interviewer_ids=interviewers, recorder_id=recorder)
    if errors:
        raise Invalid(_("Invalid %(what)s", what=_("talk")), errors)


def _nameable():
    """Who the caller may name in a talk (people outside read as unknown ids)."""
    return nameable_clause(current_user, current_scope())


class TalkPage(SelectPage):
    """A page of talks with their newest revision ids filled in."""

    @property
    def items(self):
        return _annotate(list(super().items))


def _local_midnight(day: date) -> datetime | None:
    if not date(1900, 1, 2) <= day <= date(9000, 1, 1):
        return None  # no bound (and no overflow converting to UTC)
    return datetime.combine(day, time.min, tzinfo=clock.zone())


@blp.route("/talks")
class Talks(MethodView):
    @blp.arguments(TalkQuery, location="query")
    @blp.response(200, TalkSummarySchema(many=True))
    @blp.paginate(TalkPage)
    def get(self, args):
        """Talks the caller may know about, newest first; never their contents."""
        stmt = queries.filtered(
            sa.select(Talk).where(visible_clause(current_user)),
            type_=args.get("type"),
            status=args.get("status"),
            period=args.get("period"),
        )
        if args.get("interviewee_id") is not None:
            stmt = stmt.where(Talk.interviewee_id == args["interviewee_id"])
        if args.get("held_from") and (start := _local_midnight(args["held_from"])):
            stmt = stmt.where(Talk.held_at >= start)
        if args.get("held_to") and (end := _local_midnight(args["held_to"] + timedelta(days=1))):
            stmt = stmt.where(Talk.held_at < end)
        return queries.ordered(stmt, current_user).options(
            selectinload(Talk.interviewers), selectinload(Talk.signatures)
        )

    @blp.arguments(TalkWriteSchema)
    @blp.response(201, TalkSchema)
    def post(self, data):
        """Save a new draft (type, interviewee and date required); the period defaults to the
        talk's own."""
        require("talks.write")
        _check_author(data)
        talk = services.create_talk(
            db.session, data, created_by_id=current_user.id, nameable=_nameable()
        )
        db.session.commit()
        return _talk(talk.id)


@blp.route("/talks/<int:talk_id>")
class TalkItem(MethodView):
    @blp.response(200, TalkSchema)
    def get(self, talk_id):
        """One talk; reading its contents is audited."""
        talk = _talk(talk_id)
        if contents_visible(current_user, talk):
            services.record_read(db.session, talk)
            db.session.commit()
        return talk

    @blp.arguments(TalkWriteSchema(partial=True))
    @blp.response(200, TalkSchema)
    def patch(self, data, talk_id):
        """Edit a draft (409 when final). Changing its text clears the signatures."""
        talk = _editable(talk_id)
        _check_author(data, talk)
        services.update_talk(db.session, talk, data, nameable=_nameable())
        db.session.commit()
        return _talk(talk_id)


@blp.route("/talks/<int:talk_id>/sign")
class TalkSign(MethodView):
    @blp.response(200, TalkSchema)
    def post(self, talk_id):
        """Sign as the calling user's person (interviewee or interviewer); idempotent."""
        talk = _talk(talk_id, lock=True)
        services.sign(db.session, talk, current_user.person_id, current_user.id)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # the same person signed concurrently: signing is idempotent
        return _talk(talk_id)


@blp.route("/talks/<int:talk_id>/finalize")
class TalkFinalize(MethodView):
    @blp.response(200, TalkSchema)
    @blp.alt_response(422, description="Incomplete: `errors` lists what is missing by field")
    def post(self, talk_id):
        """Make a complete draft final; its period is fixed then."""
        talk = _editable(talk_id)
        services.finalize(db.session, talk)
        db.session.commit()
        return _talk(talk_id)


@blp.route("/talks/<int:talk_id>/revise")
class TalkRevise(MethodView):
    @blp.response(201, TalkSchema)
    def post(self, talk_id):
        """Start a correction of a final talk: a new linked draft (the old record is kept)."""
        talk = _editable(talk_id)
        revision = services.revise(db.session, talk, created_by_id=current_user.id)
        db.session.commit()
        return _talk(revision.id)


@blp.route("/talks/<int:talk_id>/attachments", methods=["POST"])
@blp.arguments(AttachmentUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(201, TalkAttachmentSchema)
@blp.alt_response(413, description="The file is larger than 10 MB")
def upload_attachment(form, talk_id):
    """Attach a PDF, JPEG or PNG file to a draft (the type is read from the content)."""
    talk = _editable(talk_id)
    filename, data = uploaded_file("file")
    attachment = services.add_attachment(
        db.session, talk, form["kind"], filename, data, uploaded_by_id=current_user.id
    )
    db.session.commit()
    return attachment


def _attachment(talk_id: int, attachment_id: int, lock: bool = False):
    talk = _talk(talk_id, lock=lock)
    found = next((a for a in talk.attachments if a.id == attachment_id), None)
    if found is None or not contents_visible(current_user, talk):
        raise NotFound(_("No %(what)s with id %(id)s.", what=_("attachment"), id=attachment_id))
    return talk, found


@blp.route("/talks/<int:talk_id>/attachments/<int:attachment_id>")
class TalkAttachmentItem(MethodView):
    @blp.response(
        200, description="The file, as a download", content_type="application/octet-stream"
    )
    def get(self, talk_id, attachment_id):
        """Download an attachment (readers of the contents only; audited)."""
        talk, attachment = _attachment(talk_id, attachment_id)
        if not storage.exists(attachment.sha256):
            raise NotFound(_("The file of this attachment is missing from the store."))
        services.record_attachment_read(db.session, talk, attachment)
        db.session.commit()
        return storage.send_stored(attachment)

    @blp.response(204)
    def delete(self, talk_id, attachment_id):
        """Remove an attachment from a draft (409 when final)."""
        talk, attachment = _attachment(talk_id, attachment_id, lock=True)
        if not can_edit(current_user, talk):
            raise Forbidden(_("You may not change this talk record."))
        services.remove_attachment(db.session, talk, attachment)
        db.session.commit()
