"""Working-day arithmetic over a calendar given as data (SPEC §2).

Pure: standard library only. A WorkCalendar is built from {date: is_workday} for the years the
data covers; any other day falls back to Monday–Friday, and computations report which
uncovered years they touched so callers can warn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def weekday_fallback(day: date) -> bool:
    """The fallback rule: Monday to Friday are working days."""
    return day.weekday() < 5


@dataclass(frozen=True)
class Shift:
    """The result of counting working days: the date reached and the uncovered years crossed."""

    on: date
    #: Years without calendar data whose days were judged by the Monday–Friday fallback.
    uncovered_years: frozenset[int] = frozenset()

    @property
    def used_fallback(self) -> bool:
        """Whether any day counted was judged by the Monday–Friday fallback."""
        return bool(self.uncovered_years)


class WorkCalendar:
    """Which days are working days: stored data where known, Monday–Friday otherwise."""

    def __init__(self, days: Mapping[date, bool] | None = None, covered_years: Iterable[int] = ()):
        self._days = dict(days or {})
        self.covered_years = frozenset(covered_years)
        #: The index over the days given (built on first use), and the shifts computed.
        self._index: _Index | None = None
        self._shifts: dict[tuple[date, int], Shift] = {}

    @classmethod
    def fallback(cls) -> WorkCalendar:
        """A calendar without data: Monday to Friday everywhere."""
        return cls()

    def is_covered(self, day: date) -> bool:
        """Whether `day` lies in a year the data covers."""
        return day.year in self.covered_years

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day (stored value, else Monday–Friday)."""
        known = self._days.get(day)
        if known is not None:
            return bool(known)
        return weekday_fallback(day)

    def _indexed(self) -> _Index:
        if self._index is None:
            self._index = _Index(self)
        return self._index

    def shift(self, day: date, n: int) -> Shift:
        """The n-th working day strictly after `day` (n > 0) or before it (n < 0); n = 0 is
        `day`.

        Within the days given, read from an index (the working days in order, and the rank
        of each day among them) and remembered per (day, n): a sweep asks the same few due
        dates over and over. Outside them, counted a day at a time."""
        if not isinstance(n, int):
            raise ValueError(f"The number of working days must be an integer, not {n!r}.")
        key = (day, n)
        found = self._shifts.get(key)
        if found is None:
            found = self._indexed().shift(day, n)
            if found is None:
                found = self._walk(day, n)
            self._shifts[key] = found
        return found

    def _walk(self, day: date, n: int) -> Shift:
        """`shift` a day at a time."""
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        current = day
        uncovered: set[int] = set()
        while remaining:
            try:
                current = current + step
            except OverflowError as exc:
                direction = "after" if n > 0 else "before"
                raise ValueError(
                    f"No {abs(n)}th working day {direction} {day.isoformat()} within the "
                    f"supported dates."
                ) from exc
            if not self.is_covered(current):
                uncovered.add(current.year)
            if self.is_workday(current):
                remaining -= 1
        return Shift(current, frozenset(uncovered))

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day strictly after `day` (n > 0) or before it (n < 0)."""
        return self.shift(day, n).on

    def working_days_after(self, day: date, n: int) -> date:
        """The n-th working day strictly after `day` (n ≥ 1)."""
        _check_positive(n)
        return self.add_working_days(day, n)

    def working_days_before(self, day: date, n: int) -> date:
        """The n-th working day strictly before `day` (n ≥ 1)."""
        _check_positive(n)
        return self.add_working_days(day, -n)

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        return day if self.is_workday(day) else self.add_working_days(day, 1)

    def count_workdays(self, first: date, last: date) -> int:
        """The number of working days from `first` to `last`, both included (0 if last < first)."""
        if last < first:
            return 0
        counted = self._indexed().count(first, last)
        if counted is not None:
            return counted
        count = 0
        current = first
        while current <= last:
            count += self.is_workday(current)
            if current == date.max:
                break
            current += ONE_DAY
        return count

    def uncovered_years(self, first: date, last: date) -> frozenset[int]:
        """The years from `first` to `last` that the data does not cover."""
        lo, hi = min(first, last), max(first, last)
        return frozenset(y for y in range(lo.year, hi.year + 1) if y not in self.covered_years)


class _Index:
    """The working days of a calendar's data in order, and for each day from the first to
    the last given, how many working days come up to it (its rank): the n-th working day
    before or after a day is then one subtraction and one list read."""

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        known = calendar._days
        self.first = min(known) if known else None
        self.last = max(known) if known else None
        #: rank[i]: the number of working days from `first` to first + i, both included.
        self.rank: list[int] = []
        #: The working days from `first` to `last`, in order.
        self.workdays: list[date] = []
        if self.first is None:
            return
        day = self.first
        for _i in range((self.last - self.first).days + 1):
            if calendar.is_workday(day):
                self.workdays.append(day)
            self.rank.append(len(self.workdays))
            day += ONE_DAY

    def _rank(self, day: date) -> int:
        return self.rank[(day - self.first).days]

    def _inside(self, day: date) -> bool:
        return self.first is not None and self.first <= day <= self.last

    def shift(self, day: date, n: int) -> Shift | None:
        """`WorkCalendar.shift` when the answer lies within the data, else None."""
        if not self._inside(day):
            return None
        if n == 0:
            return Shift(day)
        if n > 0:
            position = self._rank(day) + n - 1  # workdays[rank] is the first one after day
            if position >= len(self.workdays):
                return None
            on = self.workdays[position]
            years = range((day + ONE_DAY).year, on.year + 1)  # the days counted: day+1 .. on
        else:
            before = self._rank(day) - self.calendar.is_workday(day)  # working days < day
            position = before + n
            if position < 0:
                return None
            on = self.workdays[position]
            years = range(on.year, (day - ONE_DAY).year + 1)  # the days counted: on .. day-1
        covered = self.calendar.covered_years
        return Shift(on, frozenset(y for y in years if y not in covered))

    def count(self, first: date, last: date) -> int | None:
        """The number of working days from `first` to `last` (first ≤ last), or None when
        they are not both within the data."""
        if not (self._inside(first) and self._inside(last)):
            return None
        return self._rank(last) - self._rank(first) + self.calendar.is_workday(first)


def _check_positive(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"The number of working days must be a positive integer, not {n!r}.")
