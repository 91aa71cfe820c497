"""Shared by the benchmarks: a result row and a side-by-side timer."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# `SCRATCHENV_BENCH_QUICK=1` runs every benchmark on tiny inputs, once: the test suite
# uses it to prove the benchmarks still run, without timing anything.
QUICK = os.environ.get("SCRATCHENV_BENCH_QUICK") == "1"


def sized(full: int, quick: int) -> int:
    return quick if QUICK else full


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


def _as_installed(env: dict) -> dict:
    return {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}


def side_by_side(
    ours: Sequence[str], baseline: Sequence[str], repeat: int = 30, env: dict | None = None,
    baseline_env: dict | None = None,
) -> tuple[float, float]:
    """Median wall times of two commands, interleaved so machine load hits both alike
    (`baseline_env`, when given, is the baseline's environment).

    Both run as installed: pip writes the .pyc files, so PYTHONDONTWRITEBYTECODE in the
    caller's environment (this machine sets it) would have every run compile each module
    again; one untimed run of each writes them."""
    env = _as_installed(dict(os.environ) if env is None else env)
    baseline_env = None if baseline_env is None else _as_installed(baseline_env)
    for argv, where in ((ours, env), (baseline, baseline_env or env)):
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, env=where)
    a, b = [], []
    for _ in range(sized(repeat, 1)):
        for argv, bucket, where in ((ours, a, env), (baseline, b, baseline_env or env)):
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=where)
            bucket.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)
