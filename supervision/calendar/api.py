"""JSON API: GET /calendar/days?year=, PUT /calendar/days/{date}, POST /calendar/notices
(SPEC §10)."""

from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import Page

from supervision.calendar import services
from supervision.calendar.schemas import (
    CalendarDaySchema,
    CalendarDayUpdateSchema,
    CalendarYearQuery,
    NoticeResultSchema,
    NoticeSchema,
)
from supervision.common.api import ApiBlueprint
from supervision.common.errors import Invalid
from supervision.common.permissions import require
from supervision.extensions import db

blp = ApiBlueprint(
    "calendar_api",
    __name__,
    url_prefix="/calendar",
    description="Working-day calendar (official Chinese calendar, admin-editable)",
)

#: Response header set to "true" when some days of the year are computed Monday–Friday.
FALLBACK_HEADER = "X-Calendar-Fallback"
FALLBACK_DOC = {
    FALLBACK_HEADER: {
        "description": "true when the year is not (fully) covered by "
        "official calendar data and the fallback (Monday–Friday minus the statutory holidays "
        "computed in advance) is used",
        "schema": {"type": "string", "enum": ["true", "false"]},
    }
}


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"Invalid date {text!r} in the path: use YYYY-MM-DD.",
            {"date": ["Not a valid date (YYYY-MM-DD)."]},
        ) from None


@blp.route("/days")
class CalendarDays(MethodView):
    @blp.arguments(CalendarYearQuery, location="query")
    @blp.response(200, CalendarDaySchema(many=True), headers=FALLBACK_DOC)
    @blp.paginate(Page)
    def get(self, args):
        """Every day of a year, paginated like every list; any signed-in user may read."""
        year = services.list_year(db.session, args["year"])
        return year.days, {FALLBACK_HEADER: "true" if year.uncovered else "false"}


@blp.route("/days/<string:day>")
class CalendarDayItem(MethodView):
    @blp.arguments(CalendarDayUpdateSchema)
    @blp.response(200, CalendarDaySchema)
    def put(self, data, day):
        """Set a day to working day or day off with a note (admin only; kept by later syncs)."""
        require("calendar.edit")
        info = services.set_day(db.session, _parse_day(day), data["is_workday"], data.get("note"))
        db.session.commit()
        return info


@blp.route("/notices")
class CalendarNotices(MethodView):
    @blp.arguments(NoticeSchema)
    @blp.response(200, NoticeResultSchema)
    def post(self, data):
        """Parse the State Council's holiday notice of `year` (SPEC §2) and say what it changes;
        with `apply` also write those days (`source` admin, kept by syncs). Admin only. A text
        with no day, or with days outside `year`, is 422."""
        require("calendar.edit")
        result = services.import_notice(db.session, data["year"], data["text"], apply=data["apply"])
        if data["apply"]:
            db.session.commit()
        else:
            db.session.rollback()
        return result
