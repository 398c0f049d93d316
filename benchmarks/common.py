"""Helpers for benchmarks: a scratch database, timing, and the ratio report."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def scratch_database_url() -> str:
    """BENCH_DATABASE_URL, or a new SQLite file in a temporary folder."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='supervision-bench-')) / 'bench.db'}"


def best_of(fn: Callable[[], object], repeat: int = 7) -> tuple[float, object]:
    """The median wall time of `repeat` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def report(name: str, subject: float, baseline: float, note: str) -> None:
    """Print one line: the subject's time as a ratio of the baseline's."""
    ratio = subject / baseline if baseline else float("inf")
    print(
        f"{name}: {subject * 1000:.2f} ms vs baseline {baseline * 1000:.2f} ms "
        f"= {ratio:.3f}x  ({note})"
    )
