"""Materialised unit paths ("1/4/9/": the ids from the root down, each followed by "/") and
the ids they name. Standard library only, so that pure rules can use it; the SQL condition
"lies in this subtree" is `supervision.org.models.in_subtree`."""

from __future__ import annotations


def path_ids(path: str) -> list[int]:
    """The unit ids of a materialised path, root first (the unit itself last)."""
    return [int(x) for x in path.split("/") if x]


def ancestor_ids(path: str) -> list[int]:
    """The ids of the units above the one whose path this is, root first."""
    return path_ids(path)[:-1]


def below_top(path: str) -> int:
    """The unit just below the top of the tree on a unit's path ("1/2/3/" → 2), or the top
    unit itself for a top unit's path ("1/" → 1)."""
    return path_ids(path)[:2][-1]
