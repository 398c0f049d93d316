"""The numbering of Chinese official documents (公文) and their dates: 一、 （一） 1. （1） 一是,
written out beyond ten (十一、 二十、 一百零五) as the documents write them. Pure functions."""

from __future__ import annotations

from datetime import date

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def chinese_number(n: int) -> str:
    """`n` (1–9999) in Chinese numerals: 1 一, 10 十, 11 十一, 20 二十, 105 一百零五."""
    if not 1 <= n <= 9999:
        raise ValueError(f"cannot write {n} in Chinese numerals")
    out = []
    rest = n
    zero = False
    for value, unit in _UNITS:
        digit, rest = divmod(rest, value)
        if digit:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[digit] + unit)
        elif out:
            zero = True
    if rest:
        if zero:
            out.append("零")
        out.append(_DIGITS[rest])
    text = "".join(out)
    # 十一, not 一十一: a leading "one ten" is written as ten alone.
    return text[1:] if text.startswith("一十") else text


def section(n: int) -> str:
    """The first level: 一、 二、 …"""
    return f"{chinese_number(n)}、"


def paren(n: int) -> str:
    """The second level: （一） （二） …"""
    return f"（{chinese_number(n)}）"


def arabic(n: int) -> str:
    """The third level: 1. 2. …"""
    return f"{n}."


def paren_arabic(n: int) -> str:
    """The fourth level: （1） （2） …"""
    return f"（{n}）"


def ordinal(n: int) -> str:
    """The enumeration inside a paragraph: 一是 二是 … 十一是."""
    return f"{chinese_number(n)}是"


def chinese_date(day: date) -> str:
    """2024年7月25日."""
    return f"{day.year}年{day.month}月{day.day}日"


def date_range(first: date, last: date) -> str:
    """2024年4月1日至6月28日 (the year written once when both days share it)."""
    if first.year == last.year:
        return f"{chinese_date(first)}至{last.month}月{last.day}日"
    return f"{chinese_date(first)}至{chinese_date(last)}"


_STOPS = "。！？；：…"


def sentence(text: str) -> str:
    """`text` stripped and ending with a full stop (unless it ends with a stop already)."""
    text = (text or "").strip()
    if not text or text[-1] in _STOPS or text.endswith(("”", "）")) and text[-2:-1] in _STOPS:
        return text
    return text + "。"
