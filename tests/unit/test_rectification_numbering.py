"""The numbering of official documents (一、 （一） 1. （1） 一是) and their dates."""

from datetime import date

import pytest

from supervision.rectification import numbering as num


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (19, "十九"),
        (20, "二十"),
        (21, "二十一"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (2024, "二千零二十四"),
    ],
)
def test_numbers_are_written_as_documents_write_them(n, text):
    assert num.chinese_number(n) == text


def test_the_levels_of_a_document():
    assert [num.section(n) for n in (1, 4)] == ["一、", "四、"]
    assert [num.paren(n) for n in (1, 12)] == ["（一）", "（十二）"]
    assert [num.arabic(n) for n in (1, 10)] == ["1.", "10."]
    assert [num.paren_arabic(n) for n in (1, 41)] == ["（1）", "（41）"]
    assert [num.ordinal(n) for n in (1, 10, 11, 23)] == ["一是", "十是", "十一是", "二十三是"]


def test_numbers_outside_the_range_are_refused():
    with pytest.raises(ValueError):
        num.chinese_number(0)


def test_dates_and_ranges():
    assert num.chinese_date(date(2024, 7, 25)) == "2024年7月25日"
    assert num.date_range(date(2024, 4, 1), date(2024, 6, 28)) == "2024年4月1日至6月28日"
    assert num.date_range(date(2024, 12, 1), date(2025, 1, 5)) == "2024年12月1日至2025年1月5日"


def test_sentences_end_with_one_full_stop():
    assert num.sentence("强化保密工作") == "强化保密工作。"
    assert num.sentence("强化保密工作。") == "强化保密工作。"
    assert num.sentence(" 是否到位？") == "是否到位？"
    assert num.sentence("") == ""
