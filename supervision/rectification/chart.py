"""The ledger page's chart of the monthly snapshots, drawn on the server as SVG like the start
page's charts (supervision/home/charts.py says why: no script, no library, works under the
CSP, prints as vectors). One horizontal bar per snapshot, split by the findings' statuses,
scaled to the largest number of findings; the table beside it lists the same figures.

This module only computes geometry from the snapshots' figures; templates/rectification/
_chart.html draws it and static/css/rectification.css colours it.
"""

from __future__ import annotations

from dataclasses import dataclass

from supervision.rectification.models import FINDING_STATUSES

WIDTH = 480
LABEL_WIDTH = 80
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16


@dataclass(frozen=True)
class Segment:
    """A part of a bar: the findings in one status."""

    status: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Row:
    """One snapshot's bar."""

    label: str
    y: float
    segments: tuple[Segment, ...]
    text: str


@dataclass(frozen=True)
class StackedChart:
    """Bars of the snapshots, oldest at the top."""

    rows: tuple[Row, ...]
    height: float
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    plot_width: int = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bar_height: int = BAR_HEIGHT
    value_x: int = WIDTH - VALUE_WIDTH + 6


def snapshot_chart(points: list[tuple[str, dict]]) -> StackedChart:
    """The chart of `points` = (label, figures as figures.summary gives them)."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    biggest = max((fig.get("findings", 0) for _label, fig in points), default=0)
    rows = []
    for i, (label, fig) in enumerate(points):
        x = float(LABEL_WIDTH)
        segments = []
        by_status = fig.get("by_status", {})
        for status in FINDING_STATUSES:
            count = int(by_status.get(status, 0))
            width = round(count / biggest * plot, 1) if biggest else 0.0
            if count:
                segments.append(Segment(status, count, round(x, 1), width))
            x += width
        done = int(by_status.get("completed", 0))
        rows.append(
            Row(
                label=label,
                y=i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                segments=tuple(segments),
                text=f"{done}/{fig.get('findings', 0)}",
            )
        )
    return StackedChart(tuple(rows), height=max(len(rows), 1) * ROW_HEIGHT)
