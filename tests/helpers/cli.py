"""The two ways a test runs the command line; both answer a `CompletedProcess` (returncode,
stdout, stderr), so a test reads the same whichever it uses.

- `cli`: in this process (`scratchenv.main.main`), with its own stdout, stderr, stdin,
  environment and working directory for the call. The default: milliseconds, not the
  ~0.3 s of starting Python and importing pydantic.
- `cli_process`: a real `python -m scratchenv` child, for what only a process shows: the
  exit code and output of the real interpreter's start-up, signals (`kill_at`), closed
  streams, shells and installs that run it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

KILL_AT = Path(__file__).with_name("kill_at.py")


def cli(*args: str, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`scratchenv ARGS...` in-process; `env` replaces the whole environment for the call
    (as for a child), `stdin` is what it reads (nothing: an answer of no)."""
    from scratchenv.main import main

    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr, dict(os.environ), os.getcwd()
    streams: tuple[io.TextIOWrapper, ...] = ()
    try:
        # Like a child's pipes: UTF-8, not a terminal; bytes that are not UTF-8 pass through.
        streams = (io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape",
                                    write_through=True),
                   io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace",
                                    write_through=True))
        sys.stdout, sys.stderr = streams
        sys.stdin = io.StringIO(stdin)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        try:
            code = main(list(args))
        except SystemExit as leaving:  # argparse's usage errors and --help
            code = leaving.code if isinstance(leaving.code, int) else (
                0 if leaving.code is None else 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        for stream in streams:
            stream.detach()  # else closing the wrapper would close the buffer too
        os.environ.clear()
        os.environ.update(saved[3])
        os.chdir(saved[4])
    return subprocess.CompletedProcess(
        ["scratchenv", *args], code,
        out.getvalue().decode("utf-8", "surrogateescape"),
        err.getvalue().decode("utf-8", "backslashreplace"))


def cli_process(*args: str, env: Mapping[str, str] | None = None,
                cwd: str | Path | None = None, timeout: float = 300,
                kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process, as a user would; with `kill_at`
    (`POINT:N`), SIGKILLed at that step of the transfer engine (helpers/kill_at.py)."""
    return subprocess.run(
        [*scratchenv_argv(kill_at), *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
    )


def scratchenv_argv(kill_at: str | None = None) -> list[str]:
    """How to start scratchenv: `python -m scratchenv`, or under helpers/kill_at.py."""
    if kill_at is None:
        return [sys.executable, "-m", "scratchenv"]
    return [sys.executable, str(KILL_AT), kill_at]
