"""Pagination of SQLAlchemy selects for HTML pages, and the query arguments pages read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request

from supervision.common.input import MAX_ID
from supervision.extensions import db

DEFAULT_PER_PAGE = 50


@dataclass
class PageResult:
    """One page of results with what the pager needs."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show, with None where pages are skipped."""
        last = self.total_pages
        shown = sorted(
            {1, last, *range(max(1, self.page - around), min(last, self.page + around) + 1)}
        )
        out: list[int | None] = []
        for i, p in enumerate(shown):
            if i and p - shown[i - 1] > 1:
                out.append(None)
            out.append(p)
        return out


def parse_id(value) -> int | None:
    """`value` as an id (a whole number from 1 to MAX_ID), or None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def int_arg(name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    """The query argument `name` as a whole number from `low` to `high`, or None."""
    try:
        number = int(request.args.get(name, ""))
    except ValueError:
        return None
    return number if low <= number <= high else None


def choice_arg(name: str, allowed) -> str | None:
    """The query argument `name` if it is one of `allowed`, else None."""
    value = request.args.get(name, "")
    return value if value in allowed else None


def page_arg() -> int:
    """The `page` query argument, clamped to ≥ 1 (bad values mean page 1)."""
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_ID)
    except ValueError:
        return 1


def paginate(
    stmt: sa.Select, page: int | None = None, per_page: int = DEFAULT_PER_PAGE, scalars: bool = True
) -> PageResult:
    """Run `stmt` for one page; a page past the end shows the last page."""
    page = page or page_arg()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    last = max(1, -(-total // per_page))
    page = min(page, last)
    limited = stmt.offset((page - 1) * per_page).limit(per_page)
    rows = db.session.scalars(limited).all() if scalars else db.session.execute(limited).all()
    return PageResult(list(rows), total, page, per_page)
