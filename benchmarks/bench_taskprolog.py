"""A site's Slurm TaskProlog (`scratchenv taskprolog`, run before every task of every job
step) against an empty TaskProlog script: what it adds to each task's start."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Row, side_by_side


def rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        # Home and root side by side (a root inside home is refused); a job's environment.
        env = {**os.environ, "HOME": f"{tmp}/home", "SCRATCHENV_ROOT": f"{tmp}/scratch",
               "SLURM_JOB_ID": "1", "SLURM_TASK_PID": "1", "TMPDIR": tmp}
        os.mkdir(env["HOME"])
        os.mkdir(env["SCRATCHENV_ROOT"], 0o700)
        # What slurmstepd runs: the program `scratchenv taskprolog --wrapper` prints (README).
        ours, empty = Path(tmp, "taskprolog"), Path(tmp, "empty")
        ours.write_text(subprocess.run(
            [sys.executable, "-m", "scratchenv", "taskprolog", "--wrapper"],
            check=True, capture_output=True, text=True).stdout)
        empty.write_text("#!/bin/sh\n")
        for script in (ours, empty):
            script.chmod(0o755)
        t_ours, t_base = side_by_side([str(ours)], [str(empty)], repeat=20, env=env)
    # Every task after the first is answered from the cache (login/cache.py): the cost is a
    # Python start without site (`python -I -S -c pass` alone is ~10-13x an empty script
    # here) plus a few ms of reading the kept answer and checking it still holds.
    return [Row("taskprolog (per task)", t_ours, t_base, "empty TaskProlog script", 20)]
