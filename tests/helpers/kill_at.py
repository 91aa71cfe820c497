"""Run scratchenv and SIGKILL it at an exact step of the transfer engine, for the tests of
interrupted moves: `python tests/helpers/kill_at.py POINT:N scratchenv-arguments...` dies the
Nth time a transfer passes POINT (copy, rename, unlink, rmdir). The hook lives here, not in
scratchenv."""

from __future__ import annotations

import os
import signal
import sys


def install(spec: str) -> None:
    from scratchenv.disk import transfer

    point, _, count = spec.partition(":")
    left = int(count or 1)

    def kill_at_the_nth(step: str) -> None:
        nonlocal left
        if step == point:
            left -= 1
            if left <= 0:
                os.kill(os.getpid(), signal.SIGKILL)

    transfer.step_hook = kill_at_the_nth


if __name__ == "__main__":
    install(sys.argv[1])
    from scratchenv.main import main

    raise SystemExit(main(sys.argv[2:]))
