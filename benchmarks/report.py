"""Measurements and the table they are printed as."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Measurement:
    """One timed operation, compared with the measurements named in ``baselines``."""

    name: str
    rows: int
    seconds: float
    baselines: tuple[str, ...] = ()
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def median_time(repeat: int, operation: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Run ``operation(*args)`` ``repeat`` times; the median seconds and the last result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = operation(*args)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def render(title: str, measurements: list[Measurement]) -> str:
    """A plain-text table: rows, seconds, rows/s and the ratio against each baseline."""
    by_name = {m.name: m for m in measurements}
    width = max(len(m.name) for m in measurements)
    lines = [title, f"  {'':{width}}  {'rows':>10}  {'seconds':>8}  {'rows/s':>12}  ratio"]
    for m in measurements:
        ratios = ", ".join(
            f"{m.seconds / by_name[b].seconds:.2f}x {b}" for b in m.baselines if by_name[b].seconds
        )
        line = f"  {m.name:{width}}  {m.rows:>10,}  {m.seconds:>8.3f}  {m.rate:>12,.0f}  {ratios}"
        lines.append(line + (f"  ({m.note})" if m.note else ""))
    return "\n".join(lines)
