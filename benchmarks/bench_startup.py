"""Command start-up: `scratchenv env --format sh` and `scratchenv verify` as whole processes,
against `python -c pass` (the interpreter's own start-up, the floor of any Python command).

verify runs in the environment `env --format json` describes (what an activated login has),
so it checks everything and passes, as a person running it by hand would see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Row, side_by_side


def rows() -> list[Row]:
    script = str(Path(sys.executable).with_name("scratchenv"))
    python = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as tmp:
        # Home and root side by side: a root inside home is refused.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
        env.update(HOME=f"{tmp}/home", SCRATCHENV_ROOT=f"{tmp}/scratch",
                   SCRATCHENV_CONFIG=f"{tmp}/none.toml")
        os.mkdir(env["HOME"], 0o700)
        os.mkdir(env["SCRATCHENV_ROOT"], 0o700)
        env_sh = side_by_side([script, "env", "--format", "sh"], python, env=env)
        described = json.loads(subprocess.run(
            [script, "env", "--format", "json"], env=env, check=True, capture_output=True,
            text=True).stdout)
        active = {**env, **{k: v for k, v in described.items() if isinstance(v, str)}}
        verify = side_by_side([script, "verify"], python, env=active)
    return [Row("scratchenv env --format sh (whole process)", *env_sh, "python -c pass", 3.0),
            Row("scratchenv verify (whole process)", *verify, "python -c pass", 4.0)]
