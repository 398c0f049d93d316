"""Parsing the State Council's holiday notice (SPEC §2): the real 2025 and 2026 notices, as
published, give day by day the same working days and days off as the chinese-calendar
library; every written form of a range and of a working day is read; a text of another
year is refused rather than shifted."""

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from supervision.calendar import notice

DATA = Path(__file__).resolve().parents[1] / "data"


def _read(year: int) -> str:
    return (DATA / f"holiday_notice_{year}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_real_notice_gives_the_library_calendar_day_by_day(year):
    parsed = notice.parse(_read(year), year)
    assert parsed.title_year == year
    day, wrong = date(year, 1, 1), []
    while day.year == year:
        if day in parsed.holidays:
            ours = False
        elif day in parsed.workdays:
            ours = True
        else:
            ours = day.weekday() < 5
        if ours != chinese_calendar.is_workday(day):
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []


def test_the_2025_notice_names_each_holiday():
    parsed = notice.parse(_read(2025), 2025)
    assert len(parsed.holidays) == 28 and len(parsed.workdays) == 5
    assert parsed.holidays[date(2025, 1, 1)] == "元旦"
    assert parsed.holidays[date(2025, 1, 28)] == "春节"  # 除夕, across the month end
    assert parsed.holidays[date(2025, 2, 4)] == "春节"
    assert parsed.holidays[date(2025, 10, 6)] == "国庆节、中秋节"
    assert parsed.workdays[date(2025, 9, 28)] == "国庆节、中秋节调休上班"
    assert parsed.workdays[date(2025, 4, 27)] == "劳动节调休上班"


def test_the_2026_notice_reads_a_new_year_range_and_its_working_sunday():
    parsed = notice.parse(_read(2026), 2026)
    assert [d for d, n in parsed.holidays.items() if n == "元旦"] == [
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 3),
    ]
    assert parsed.workdays[date(2026, 1, 4)] == "元旦调休上班"
    assert sum(1 for n in parsed.holidays.values() if n == "春节") == 9
    assert [d for d, n in parsed.holidays.items() if n == "国庆节"][-1] == date(2026, 10, 7)


def test_old_forms_explicit_years_and_ranges_into_the_next_year():
    text = (
        "一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。\n"
        "二、春节：2月4日至10日放假调休，共7天。2月2日（星期六）、3日（星期日）上班。\n"
        "三、某节：12月31日至1月2日放假。"
    )
    parsed = notice.parse(text, 2019)
    assert [d for d, n in parsed.holidays.items() if n == "元旦"] == [
        date(2018, 12, 30),
        date(2018, 12, 31),
        date(2019, 1, 1),
    ]
    assert parsed.workdays == {
        date(2018, 12, 29): "元旦调休上班",
        date(2019, 2, 2): "春节调休上班",
        date(2019, 2, 3): "春节调休上班",
    }
    assert date(2020, 1, 2) in parsed.holidays and date(2019, 12, 31) in parsed.holidays


def test_full_width_digits_and_a_text_without_sections():
    parsed = notice.parse("１０月１日（周五）至７日（周四）放假。９月２６日（周日）上班。", 2027)
    assert len(parsed.holidays) == 7 and parsed.holidays[date(2027, 10, 1)] == notice.DEFAULT_NAME
    assert parsed.workdays == {date(2027, 9, 26): "节假日调休上班"}


def test_nothing_to_read_gives_no_day():
    parsed = notice.parse("节假日期间，各地区、各部门要妥善安排好值班工作。", 2027)
    assert parsed.all_days() == [] and parsed.title_year is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。", "weekday"),  # 2026's, as 2027
        ("一、某节：2月30日放假。", "bad_date"),
        ("一、某节：5月5日至5月1日放假。", "bad_range"),
        ("一、某节：5月1日放假。二、又一节：5月1日上班。", "both"),
    ],
)
def test_impossible_texts_are_refused(text, kind):
    with pytest.raises(notice.NoticeError) as err:
        notice.parse(text, 2027)
    assert err.value.kind == kind
