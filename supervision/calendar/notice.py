"""Parsing the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知,
SPEC §2): every "M月D日…放假" range and every "M月D日（周X）上班" day, by holiday.

Pure: standard library only. The text is NFKC-normalised first (full-width digits and
brackets become ASCII). Sections start with "一、元旦：" …; their name becomes the note of
their days. Dates without a year are in the notice's year; a range whose end month is
before its start month ends in the next year; "2018年12月30日" keeps its own year. A weekday
in brackets (周三, 星期日) must match the date: a notice pasted under the wrong year is
refused rather than shifted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

_DATE = (
    r"(?:(?P<{p}y>\d{{4}})年)?(?P<{p}m>\d{{1,2}})月(?P<{p}d>\d{{1,2}})日(?:\((?P<{p}w>[^()]*)\))?"
)
_END = r"(?:(?:(?P<ey>\d{4})年)?(?P<em>\d{1,2})月)?(?P<ed>\d{1,2})日(?:\((?P<ew>[^()]*)\))?"
HOLIDAY_RE = re.compile(_DATE.format(p="s") + r"(?:\s*(?:至|到|~|-|—|–)\s*" + _END + r")?\s*放假")
_ITEM = r"(?:(?:\d{4}年)?\d{1,2}月)?\d{1,2}日(?:\([^()]*\))?"
WORK_RE = re.compile(
    r"(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:\([^()]*\))?(?:\s*[、,和及与]\s*" + _ITEM + r")*\s*上班"
)
ITEM_RE = re.compile(
    r"(?:(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月)?(?P<d>\d{1,2})日(?:\((?P<w>[^()]*)\))?"
)
SECTION_RE = re.compile(r"(?:^|[\s。;])[一二三四五六七八九十]+、\s*([^:\s。;]{1,20})\s*:")
TITLE_RE = re.compile(r"关于\s*(\d{4})\s*年\s*部分节假日")
WEEKDAY_RE = re.compile(r"(?:周|星期)([一二三四五六日天])")
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
#: The longest range accepted (the longest arrangement ever was 9 days).
MAX_RANGE_DAYS = 31
DEFAULT_NAME = "节假日"


class NoticeError(ValueError):
    """The text cannot be read as the notice of the year; `problems` say why (in Chinese
    terms: the dates as written)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass
class Notice:
    """What a notice says: days off and working days, each with its holiday's name."""

    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    #: The year its title names ("关于2026年部分节假日安排"), if any.
    title_year: int | None = None

    def all_days(self) -> list[date]:
        """Every day the notice names, in order."""
        return sorted({*self.holidays, *self.workdays})


def _make(y: int, m: int, d: int, written: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise NoticeError("bad_date", written) from None


def _check_weekday(day: date, bracket: str | None, written: str) -> None:
    found = WEEKDAY_RE.search(bracket or "")
    if found and WEEKDAYS[found.group(1)] != day.weekday():
        raise NoticeError("weekday", f"{written} → {day.isoformat()}")


def _sections(text: str) -> list[tuple[int, str]]:
    """(start offset, holiday name) of each numbered section."""
    return [(m.start(1), m.group(1)) for m in SECTION_RE.finditer(text)]


def _name_at(sections: list[tuple[int, str]], offset: int) -> str:
    name = DEFAULT_NAME
    for start, section in sections:
        if start > offset:
            break
        name = section
    return name


def _holiday_range(match: re.Match, year: int) -> list[date]:
    g = match.groupdict()
    start = _make(int(g["sy"] or year), int(g["sm"]), int(g["sd"]), match.group(0))
    _check_weekday(start, g["sw"], match.group(0))
    if g["ed"] is None:
        return [start]
    end_month = int(g["em"] or start.month)
    if g["ey"]:
        end_year = int(g["ey"])
    else:
        end_year = start.year + 1 if end_month < start.month else start.year
    if g["em"] is None and int(g["ed"]) < start.day:  # "12月31日至2日": into the next month
        end_month, end_year = (
            (1, end_year + 1) if start.month == 12 else (start.month + 1, end_year)
        )
    end = _make(end_year, end_month, int(g["ed"]), match.group(0))
    _check_weekday(end, g["ew"], match.group(0))
    if not start <= end <= start + timedelta(days=MAX_RANGE_DAYS - 1):
        raise NoticeError("bad_range", match.group(0))
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _work_days(match: re.Match, year: int) -> list[date]:
    days, y, m = [], year, None
    for item in ITEM_RE.finditer(match.group(0)):
        y = int(item["y"]) if item["y"] else y
        m = int(item["m"]) if item["m"] else m
        day = _make(y, m, int(item["d"]), item.group(0))
        _check_weekday(day, item["w"], item.group(0))
        days.append(day)
    return days


def title_year(text: str) -> int | None:
    """The year the notice's title names ("关于2026年部分节假日安排"), if it has one."""
    found = TITLE_RE.search(unicodedata.normalize("NFKC", text or ""))
    return int(found.group(1)) if found else None


def parse(text: str, year: int) -> Notice:
    """The days of a notice of `year`. NoticeError for a date that does not exist, a weekday
    that does not match, a reversed or overlong range, or a day both off and working."""
    text = unicodedata.normalize("NFKC", text or "")
    notice = Notice(title_year=title_year(text))
    sections = _sections(text)
    for match in HOLIDAY_RE.finditer(text):
        name = _name_at(sections, match.start())
        for day in _holiday_range(match, year):
            notice.holidays.setdefault(day, name)
    for match in WORK_RE.finditer(text):
        name = _name_at(sections, match.start())
        for day in _work_days(match, year):
            notice.workdays.setdefault(day, f"{name}调休上班")
    both = sorted(set(notice.holidays) & set(notice.workdays))
    if both:
        raise NoticeError("both", "、".join(d.isoformat() for d in both))
    return notice
