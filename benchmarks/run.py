"""`make bench`: every benchmarks/bench_*.py reports rows of (ours, baseline) timings.

Targets are ratios against a baseline measured in the same run on the same machine,
never absolute times. Each module defines `rows() -> list[Row]`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import QUICK, Row  # noqa: E402


def main() -> int:
    rows: list[Row] = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rows += module.rows()
    return report(rows)


def report(rows: list[Row]) -> int:
    """Print the table; 1 when a row missed its goal (`make bench` fails then), else 0.
    Quick runs (tiny inputs, timing nothing) only prove the benchmarks run: never 1."""
    print(f"{'benchmark':<44} {'ours':>10} {'baseline':>10}  {'ratio':>6}  goal   baseline is")
    missed = 0
    for row in rows:
        status = "ok" if row.ratio <= row.goal else "MISSED"
        missed += status != "ok"
        print(f"{row.name:<44} {row.ours * 1000:>8.1f}ms {row.baseline * 1000:>8.1f}ms  "
              f"{row.ratio:>5.2f}x  <={row.goal:<4} {row.baseline_name}  {status}")
    if missed:
        print(f"{missed} of {len(rows)} benchmarks missed their goal", file=sys.stderr)
    return 1 if missed and not QUICK else 0


if __name__ == "__main__":
    raise SystemExit(main())
