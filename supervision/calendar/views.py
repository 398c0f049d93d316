"""Admin page of the working-day calendar: a year grid, sync from the library, per-day edits."""

from __future__ import annotations

import calendar as stdcal
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from supervision.calendar import services
from supervision.calendar.forms import ActionForm, DayForm, NoticeForm
from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.permissions import requires
from supervision.extensions import db

bp = Blueprint("calendar", __name__)


def _year_arg() -> int:
    """The `year` query argument; a bad or unsupported year shows the current one with a warning."""
    raw = request.args.get("year", "").strip()
    if raw:
        try:
            return services.check_year(int(raw))
        except (ValueError, Invalid):
            flash(
                _(
                    "The year must be a number between %(lo)d and %(hi)d.",
                    lo=services.MIN_YEAR,
                    hi=services.MAX_YEAR,
                ),
                "warning",
            )
    return clock.today().year


def _day_param(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(404)
    if not services.MIN_YEAR <= day.year <= services.MAX_YEAR:
        abort(404)
    return day


def day_kind(info: services.DayInfo) -> str:
    """How a day is shown: work, adjusted (working weekend), weekend or holiday."""
    weekend = info.date.weekday() >= 5
    if info.is_workday:
        return "adjusted" if weekend else "work"
    return "weekend" if weekend and not info.note else "holiday"


def _months(year_days: services.YearDays) -> list[dict]:
    """Month grids (weeks Monday–Sunday) with the DayInfo of each day, None for padding."""
    by_date = {d.date: d for d in year_days.days}
    months = []
    for month in range(1, 13):
        weeks = [
            [by_date[d] if d.month == month else None for d in week]
            for week in stdcal.Calendar(firstweekday=0).monthdatescalendar(year_days.year, month)
        ]
        months.append({"month": month, "weeks": weeks})
    return months


def _render(year: int, selected: date | None, form: DayForm | None = None, status: int = 200):
    year_days = services.list_year(db.session, year)
    info = next((d for d in year_days.days if d.date == selected), None) if selected else None
    if info is not None and form is None:
        form = DayForm(formdata=None, is_workday="1" if info.is_workday else "0", note=info.note)
    library = services.library_years()
    today = clock.today()
    choices = sorted(set(range(library[0], max(library[-1], today.year) + 3)) | {year})
    counts = {
        k: sum(1 for d in year_days.days if day_kind(d) == k)
        for k in ("work", "adjusted", "weekend", "holiday")
    }
    return render_template(
        "calendar/index.html",
        year=year,
        year_days=year_days,
        months=_months(year_days),
        selected=info,
        form=form,
        action_form=ActionForm(),
        year_choices=choices,
        library=library,
        today=today,
        counts=counts,
        workdays=counts["work"] + counts["adjusted"],
        day_kind=day_kind,
    ), status


@bp.get("/admin/calendar")
@login_required
@requires("calendar.edit")
def index():
    """The year grid; `?day=YYYY-MM-DD` opens the edit form of that day."""
    year = _year_arg()
    selected = None
    if request.args.get("day"):
        selected = _day_param(request.args["day"])
        year = selected.year
    return _render(year, selected)


@bp.post("/admin/calendar/sync")
@login_required
@requires("calendar.edit")
def sync():
    """Refresh every year the library covers; admin edits are kept."""
    year = _year_arg()
    if not ActionForm().validate_on_submit():
        abort(400)
    result = services.sync(db.session)
    db.session.commit()
    flash(
        _(
            "Calendar synced for %(years)d years: %(inserted)d days added, %(updated)d updated, "
            "%(kept)d edited days kept.",
            years=len(result.years),
            inserted=result.inserted,
            updated=result.updated,
            kept=result.kept_admin,
        ),
        "success",
    )
    return redirect(url_for(".index", year=year))


@bp.post("/admin/calendar/days/<day>")
@login_required
@requires("calendar.edit")
def set_day(day):
    """Save the edit form of one day."""
    on = _day_param(day)
    form = DayForm()
    if not form.validate_on_submit():
        return _render(on.year, on, form, 422)
    try:
        services.set_day(db.session, on, form.is_workday.data == "1", form.note.data)
    except Invalid as exc:
        db.session.rollback()
        form.note.errors = [*form.note.errors, exc.message]
        return _render(on.year, on, form, 422)
    db.session.commit()
    flash(_("%(day)s saved.", day=on.isoformat()), "success")
    return redirect(url_for(".index", day=on.isoformat()))


@bp.post("/admin/calendar/days/<day>/reset")
@login_required
@requires("calendar.edit")
def reset_day(day):
    """Undo the admin edit of one day (back to the library, or to Monday–Friday)."""
    on = _day_param(day)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.reset_day(db.session, on)
    db.session.commit()
    flash(_("Manual change of %(day)s undone.", day=on.isoformat()), "success")
    return redirect(url_for(".index", day=on.isoformat()))


# --- the State Council's notice ------------------------------------------------------------


def _notice_page(form: NoticeForm, result=None, status: int = 200):
    return render_template("calendar/notice.html", form=form, result=result), status


@bp.get("/admin/calendar/notice")
@login_required
@requires("calendar.edit")
def notice():
    """The paste box of the notice import."""
    year = _year_arg() if request.args.get("year") else clock.today().year + 1
    return _notice_page(NoticeForm(formdata=None, year=year))


def _parsed_notice(form: NoticeForm, apply: bool):
    """The import's result, or None with the refusal put on the form."""
    if not form.validate_on_submit():
        return None
    try:
        return services.import_notice(db.session, form.year.data, form.text.data, apply=apply)
    except Invalid as exc:
        db.session.rollback()
        form.text.errors = [*form.text.errors, exc.message]
        return None


@bp.post("/admin/calendar/notice")
@login_required
@requires("calendar.edit")
def notice_preview():
    """Parse the pasted notice and show what it changes; nothing is written."""
    form = NoticeForm()
    result = _parsed_notice(form, apply=False)
    db.session.rollback()
    if result is None:
        return _notice_page(form, status=422)
    return _notice_page(form, result)


@bp.post("/admin/calendar/notice/apply")
@login_required
@requires("calendar.edit")
def notice_apply():
    """Write the notice's days (source admin; kept by later syncs)."""
    form = NoticeForm()
    result = _parsed_notice(form, apply=True)
    if result is None:
        return _notice_page(form, status=422)
    db.session.commit()
    flash(
        _(
            "The notice for %(year)d is imported: %(n)d days changed.",
            year=result.year,
            n=len(result.changes),
        ),
        "success",
    )
    return redirect(url_for(".index", year=result.year))
