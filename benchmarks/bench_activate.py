"""The login fast path: `scratchenv activate` (file fresh) against `python -c pass`."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from common import Row, side_by_side


def rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        # Home and root side by side: a root inside home is refused.
        env = {**os.environ, "HOME": f"{tmp}/home", "SCRATCHENV_ROOT": f"{tmp}/scratch"}
        os.mkdir(env["HOME"])
        # The console script, as a login runs it.
        ours = [str(Path(sys.executable).with_name("scratchenv")), "activate", "--shell", "bash"]
        import subprocess

        subprocess.run(ours, check=True, env=env, stdout=subprocess.DEVNULL)  # make it fresh
        t_ours, t_base = side_by_side(ours, [sys.executable, "-c", "pass"], env=env)
    return [Row("activate fast path (fresh file)", t_ours, t_base, "python -c pass", 1.5)]
