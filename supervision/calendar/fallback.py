"""The fallback calendar of a year that no official data covers (SPEC §2, `source` fallback).

Monday–Friday minus the statutory holidays that can be computed in advance from
《全国年节及纪念日放假办法》 as amended by the State Council on 10 November 2024 (in force
from 2025): 元旦 1 January; 春节 4 days, 除夕 and 正月初一 to 初三; 清明 the solar term;
劳动节 1–2 May; 端午 五月初五; 中秋 八月十五; 国庆 1–3 October. Earlier years use the rules
then in force (2008–2024: 春节 初一–初三, 劳动节 1 May only; before 2008: no 清明, 端午,
中秋, 劳动节 1–3 May). The 调休 swaps and the placing of make-up days (补假) are decided by
the State Council's yearly notice, so they are unknown here: import the notice.

Lunar dates and the 清明 solar term come from lunar_python (6tail's maintained, dependency-free
library; valid far beyond the years the service accepts).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

#: The rules of 2025 onwards; the year they came into force.
CURRENT_RULES_SINCE = 2025


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    from lunar_python import Solar

    term = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


def _spring_festival(year: int) -> list[date]:
    first = _lunar_to_solar(year, 1, 1)
    days = [first + timedelta(days=i) for i in range(3)]  # 初一..初三
    if year >= CURRENT_RULES_SINCE:
        days.insert(0, first - timedelta(days=1))  # 除夕, the last day of the lunar year
    return days


@functools.lru_cache(maxsize=512)
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory days off of `year` that fall in it: {date: Chinese name}."""
    named: list[tuple[str, list[date]]] = [
        ("元旦", [date(year, 1, 1)]),
        ("春节", _spring_festival(year)),
    ]
    if year >= 2008:
        labour = (
            [date(year, 5, 1), date(year, 5, 2)]
            if year >= CURRENT_RULES_SINCE
            else [date(year, 5, 1)]
        )
        named += [
            ("清明节", [_qingming(year)]),
            ("劳动节", labour),
            ("端午节", [_lunar_to_solar(year, 5, 5)]),
            ("中秋节", [_lunar_to_solar(year, 8, 15)]),
        ]
    else:
        named.append(("劳动节", [date(year, 5, d) for d in (1, 2, 3)]))
    named.append(("国庆节", [date(year, 10, d) for d in (1, 2, 3)]))
    days: dict[date, str] = {}
    for name, dates in named:
        for day in dates:
            if day.year == year:
                days[day] = f"{days[day]}、{name}" if day in days else name
    return days


def fallback_day(day: date) -> tuple[bool, str]:
    """(is_workday, note) of `day` by the fallback: a statutory holiday is off (note: its
    name), else Monday–Friday work."""
    name = statutory_holidays(day.year).get(day)
    if name:
        return False, name
    return day.weekday() < 5, ""
