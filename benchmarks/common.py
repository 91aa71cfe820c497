"""Shared by the benchmarks: a result row and a side-by-side timer."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    ours: float
    baseline: float
    baseline_name: str
    goal: float

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(
    ours: Sequence[str], baseline: Sequence[str], repeat: int = 30, env: dict | None = None
) -> tuple[float, float]:
    """Median wall times of two commands, interleaved so machine load hits both alike."""
    a, b = [], []
    for _ in range(repeat):
        for argv, bucket in ((ours, a), (baseline, b)):
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
            bucket.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)
