"""Charts of the start page, drawn on the server as SVG (issue 13).

Why SVG drawn here rather than a JavaScript library (Apache ECharts from npm was the other
candidate): the figures are a handful of bars and a four-point line, which need no
interaction; an SVG inside the page needs no script at all, so it works under the CSP
(`script-src 'self'`, `style-src 'self'`: geometry goes in presentation attributes, colours
in static/css/home.css, never a `style` attribute), prints as vectors exactly as shown, is
in the wheel with the templates (no `npm install` step on a fresh machine, nothing to
download), and costs the browser nothing. Each chart is drawn from the same rows that the
table beside it lists, so screen readers (and the printed page) have the numbers too.

This module only computes geometry from plain values; templates/home/_charts.html draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Drawing units of the SVG view box (the SVG scales to the width of its column).
WIDTH = 480
LABEL_WIDTH = 110
VALUE_WIDTH = 110
ROW_HEIGHT = 24
BAR_HEIGHT = 15
LINE_WIDTH = 400
LINE_HEIGHT = 200
MARGIN = 30


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its row's label, the value shown, and its geometry."""

    label: str
    text: str
    value: float | None
    y: float
    width: float
    #: A class naming how good the value is (bar colour in home.css).
    tone: str
    href: str | None = None


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, values between 0 and `maximum`."""

    bars: tuple[Bar, ...]
    height: float
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    plot_width: int = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bar_height: int = BAR_HEIGHT
    #: Where the value texts start (a column right of the longest bar).
    value_x: int = WIDTH - VALUE_WIDTH + 6


def tone(rate: float | None) -> str:
    """How a completion rate reads: good from 90 %, fair from 60 %, else poor; none when
    nothing is required."""
    if rate is None:
        return "none"
    if rate >= 0.9:
        return "good"
    return "fair" if rate >= 0.6 else "poor"


def percent(rate: float | None) -> str:
    """A rate as a percentage with one decimal, "—" when there is none."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def bar_chart(
    rows: list[tuple[str, float | None, str, str | None]],
    maximum: float = 1.0,
    tones: list[str] | None = None,
) -> BarChart:
    """Bars of `rows` = (label, value, text shown at the bar's end, link or None). Values
    are fractions of `maximum` (rates by default); None draws no bar. `tones` overrides the
    colour of each bar (default: by rate)."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for i, (label, value, text, href) in enumerate(rows):
        share = 0.0 if value is None or maximum <= 0 else min(max(value / maximum, 0.0), 1.0)
        bars.append(
            Bar(
                label=label,
                text=text,
                value=value,
                y=i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                width=round(share * plot, 1),
                tone=tones[i] if tones else tone(value),
                href=href,
            )
        )
    return BarChart(tuple(bars), height=max(len(rows), 1) * ROW_HEIGHT)


@dataclass(frozen=True)
class Point:
    """One point of a line: its label on the x axis, value and position."""

    label: str
    text: str
    value: float | None
    x: float
    y: float | None


@dataclass(frozen=True)
class LineChart:
    """A line of rates (0–100 %) over periods, with horizontal grid lines."""

    points: tuple[Point, ...]
    #: "x,y x,y ..." of the consecutive points that have a value (one polyline each run).
    segments: tuple[str, ...]
    #: (y, label) of the grid lines at 0, 50 and 100 %.
    grid: tuple[tuple[float, str], ...]
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    left: int = MARGIN + 34
    right: int = LINE_WIDTH - MARGIN


def line_chart(rows: list[tuple[str, float | None]]) -> LineChart:
    """A line through the rates of `rows` = (label, rate or None), left to right; a period
    with nothing required leaves a gap."""
    left, right = MARGIN + 34, LINE_WIDTH - MARGIN
    top, bottom = 16, LINE_HEIGHT - MARGIN

    def y_of(rate: float) -> float:
        return round(bottom - min(max(rate, 0.0), 1.0) * (bottom - top), 1)

    step = (right - left) / max(len(rows) - 1, 1)
    points = tuple(
        Point(
            label,
            percent(rate),
            rate,
            round(left + i * step if len(rows) > 1 else (left + right) / 2, 1),
            None if rate is None else y_of(rate),
        )
        for i, (label, rate) in enumerate(rows)
    )
    segments, run = [], []
    for p in points:
        if p.y is None:
            if run:
                segments.append(" ".join(run))
            run = []
        else:
            run.append(f"{p.x},{p.y}")
    if run:
        segments.append(" ".join(run))
    grid = tuple((y_of(r), f"{int(r * 100)}%") for r in (0.0, 0.5, 1.0))
    return LineChart(points, tuple(segments), grid)
