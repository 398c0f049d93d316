"""Reporting periods (quarter 2025Q3, half-year 2025H2, year 2025) and anniversaries (SPEC §2).

Pure: standard library only; every date is a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import total_ordering

KINDS = ("quarter", "half", "year")
#: Number of periods of each kind in a year.
PER_YEAR = {"quarter": 4, "half": 2, "year": 1}
#: Months in one period of each kind.
MONTHS = {"quarter": 3, "half": 6, "year": 12}
_SUFFIX = {"quarter": "Q", "half": "H", "year": ""}
_PATTERN = re.compile(r"^(\d{4})(?:([QH])(\d))?$")


@total_ordering
@dataclass(frozen=True)
class Period:
    """A quarter, half-year or year; `index` is 1–4 for quarters, 1–2 for halves, 1 for years."""

    kind: str
    year: int
    index: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown period kind {self.kind!r}: expected one of {', '.join(KINDS)}."
            )
        if not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ValueError(f"the year {self.year!r} is out of range (1–9999).")
        count = PER_YEAR[self.kind]
        if not isinstance(self.index, int) or not 1 <= self.index <= count:
            raise ValueError(
                f"a {self.kind} index must be between 1 and {count}, not {self.index!r}."
            )

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read "2025Q3", "2025H2" or "2025" (case-insensitive, surrounding spaces ignored)."""
        if not isinstance(text, str):
            raise ValueError(f"A period must be text such as 2025Q3, not {text!r}.")
        m = _PATTERN.match(text.strip().upper())
        if not m:
            raise ValueError(
                f"Invalid period {text!r}: expected YYYY, YYYYQn (n = 1–4) or YYYYHn (n = 1–2)."
            )
        year, letter, index = int(m.group(1)), m.group(2), m.group(3)
        kind = "year" if letter is None else ("quarter" if letter == "Q" else "half")
        try:
            return cls(kind, year, int(index or 1))
        except ValueError as exc:
            raise ValueError(f"Invalid period {text!r}: {exc}") from None

    @classmethod
    def of(cls, day: date, kind: str) -> Period:
        """The period of `kind` that contains `day`."""
        if kind not in KINDS:
            raise ValueError(f"Unknown period kind {kind!r}: expected one of {', '.join(KINDS)}.")
        return cls(kind, day.year, (day.month - 1) // MONTHS[kind] + 1)

    def __str__(self) -> str:
        if self.kind == "year":
            return f"{self.year:04d}"
        return f"{self.year:04d}{_SUFFIX[self.kind]}{self.index}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end, self.kind) < (other.start, other.end, other.kind)

    @property
    def start(self) -> date:
        """The first day of the period."""
        return date(self.year, (self.index - 1) * MONTHS[self.kind] + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the period, which is also its due date."""
        last_month = self.index * MONTHS[self.kind]
        if last_month == 12:
            return date(self.year, 12, 31)
        return date(self.year, last_month + 1, 1) - timedelta(days=1)

    @property
    def due_date(self) -> date:
        """The due date of obligations of this period: its last day."""
        return self.end

    @property
    def days(self) -> int:
        """The number of days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """Whether `day` falls inside the period (both ends included)."""
        return self.start <= day <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1)
        return Period(self.kind, self.year - 1, PER_YEAR[self.kind])

    def next(self) -> Period:
        """The period of the same kind just after this one."""
        if self.index < PER_YEAR[self.kind]:
            return Period(self.kind, self.year, self.index + 1)
        return Period(self.kind, self.year + 1, 1)


def parse(text: str) -> Period:
    """Read a period such as "2025Q3", "2025H2" or "2025" (ValueError when malformed)."""
    return Period.parse(text)


def period_of(day: date, kind: str) -> Period:
    """The period of `kind` ("quarter", "half" or "year") that contains `day`."""
    return Period.of(day, kind)


def overdue_from(period: Period) -> date:
    """The local date from whose 00:00 an obligation of `period` is overdue: the day after
    its due date."""
    try:
        return period.end + timedelta(days=1)
    except OverflowError as exc:
        raise ValueError(f"Period {period} has no following day.") from exc


def anniversary(start: date, years: int) -> date:
    """The date on which `years` full years have passed since `start` (29 Feb -> 28 Feb if
    needed)."""
    target = start.year + years
    if not 1 <= target <= 9999:
        raise ValueError(f"{start.isoformat()} plus {years} years is out of range.")
    try:
        return start.replace(year=target)
    except ValueError:
        # Only 29 February can be missing from the target year.
        return date(target, 2, 28)
