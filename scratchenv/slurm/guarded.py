"""`scratchenv sbatch --guard`: the job checks itself when it starts (shells/guard.py).

The guard goes into a copy of the script, right after its `#SBATCH` header (sbatch reads
options up to the first command, so they all still count), and that copy is submitted in
place of the original, which is left as it is. Slurm keeps its own copy of a job script
from the moment sbatch returns, so the temporary copy is removed then. The copy keeps the
script's file name (in a private temporary directory): the default job name is the same.
With `--wrap`, the guard goes in front of the wrapped command (POSIX sh, as sbatch runs it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from scratchenv.plain import replace
from scratchenv.shells.guard import MARKER, render_guard
from scratchenv.slurm.submit import Submission, read_script


def has_guard(text: str) -> bool:
    """Whether a job script already checks itself (the template's does)."""
    return MARKER in text


def inject(text: str, guard: str) -> str:
    """`text` with `guard` after its first line and the comment block that follows it (the
    `#SBATCH` header)."""
    lines = text.splitlines(keepends=True)
    at = 1
    while at < len(lines) and (not lines[at].strip() or lines[at].lstrip().startswith("#")):
        at += 1
    if lines and not lines[0].endswith("\n"):
        lines[0] += "\n"
    return "".join(lines[:at]) + guard + "".join(lines[at:])


@contextmanager
def guarded(submission: Submission, names: Sequence[str],
            scratchenv: Sequence[str]) -> Iterator[Submission]:
    """The submission with the guard in its job, for as long as sbatch needs it."""
    guard = render_guard(names, scratchenv)
    if submission.script is None:
        options = [f"--wrap={guard}{value}" if value is not None else option
                   for option, value in _wrap_options(submission.options)]
        yield replace(submission, options=tuple(options))
        return
    text = read_script(submission)
    if has_guard(text):
        yield submission
        return
    from scratchenv.fsutil import atomic_write

    directory = tempfile.mkdtemp(prefix="scratchenv-guard-")
    try:
        copy = os.path.join(directory, os.path.basename(submission.script))
        atomic_write(copy, inject(text, guard), mode=0o700)
        yield replace(submission, script=copy)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _wrap_options(options: Sequence[str]) -> list[tuple[str, str | None]]:
    """Each option, with the command when it is --wrap (`--wrap=CMD` or `--wrap CMD`,
    folded into one word)."""
    folded: list[tuple[str, str | None]] = []
    words = iter(options)
    for word in words:
        if word == "--wrap":
            folded.append((word, next(words, "")))
        elif word.startswith("--wrap="):
            folded.append((word, word.split("=", 1)[1]))
        else:
            folded.append((word, None))
    return folded
