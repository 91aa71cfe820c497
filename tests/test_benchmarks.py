"""`make bench` is not part of the suite (it times things), so a broken benchmark would
only show when someone next measures. Here every benchmark runs once on tiny inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_every_benchmark_runs_and_reports_a_row() -> None:
    env = {**os.environ, "SCRATCHENV_BENCH_QUICK": "1"}
    done = subprocess.run([sys.executable, str(BENCHMARKS / "run.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reported = {line.split("  ")[0].split()[0] for line in done.stdout.splitlines()[1:]}
    # One row per module at least (the login rows need the shells `make shells` installs;
    # "scratchenv": the whole-process rows of env, verify and status).
    assert {"activate", "migrate", "usage.scan", "scratchenv"} <= reported, done.stdout
    assert "bash" in reported, done.stdout
