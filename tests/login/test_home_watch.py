"""The login's word about home, in the real shells: one line from the last look in an
interactive shell, nothing otherwise; no process when the look is fresh, exactly one
detached look when it is due, none inside a job (strace counts the programs started)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from helpers import need
from helpers.cli import cli

LINE = "home 9.1G of 10G (+2.3G since Tue); scratchenv status --home"
# How each shell sources a file interactively without reading any startup file of its own.
INTERACTIVE = {
    "bash": ["bash", "--norc", "--noprofile", "-i", "-c"],
    "zsh": ["zsh", "-f", "-i", "-c"],
    "sh": ["sh", "-i", "-c"],
    "fish": ["fish", "--no-config", "-i", "-c"],
}
SOURCE = {"fish": "source {}"}


def activation(shell: str) -> str:
    made = cli("activate", "--shell", shell)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def watch_file(home: Path, *, due: float, line: str = LINE) -> Path:
    path = home / ".local/state/scratchenv/home-watch"
    path.write_text(f"{int(due)}\n{line}\n")
    path.chmod(0o600)
    return path


def source(shell: str, file: str, *, interactive: bool = True,
           env: dict[str, str] | None = None, strace: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    need(shell)
    command = SOURCE.get(shell, ". {}").format(file)
    argv = [*INTERACTIVE[shell], command] if interactive else [shell, "-c", command]
    if strace is not None:
        # -ff: a file per process, so no call is split by another process's lines.
        for old in strace.parent.glob(strace.name + ".*"):
            old.unlink()
        argv = [need("strace"), "-ff", "-qq", "-e", "trace=execve", "-o", str(strace), *argv]
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})}, timeout=120)


def started(log: Path) -> list[str]:
    """The programs started (successful execve), in the order of their process ids."""
    traces = sorted(log.parent.glob(log.name + ".*"), key=lambda path: int(path.suffix[1:]))
    return [program for trace in traces
            for program in re.findall(r'execve\("([^"]+)".*= 0$', trace.read_text(),
                                      re.MULTILINE)]


def trace_text(log: Path) -> str:
    return "".join(trace.read_text() for trace in log.parent.glob(log.name + ".*"))


@pytest.mark.parametrize("shell", sorted(INTERACTIVE))
def test_an_interactive_login_prints_the_last_look_and_a_script_nothing(
        shell: str, isolated: Path, root: Path) -> None:
    file = activation(shell)
    watch_file(isolated, due=time.time() + 3600)
    shown = source(shell, file)
    assert f"scratchenv: {LINE}\n" in shown.stderr
    quiet = source(shell, file, interactive=False)
    assert quiet.stderr == "" and quiet.returncode == 0


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_a_fresh_look_starts_nothing_and_a_due_one_exactly_one_detached_look(
        shell: str, isolated: Path, root: Path, tmp_path: Path) -> None:
    file = activation(shell)
    watch_file(isolated, due=time.time() + 3600)
    source(shell, file)  # makes the directories activation ensures: no mkdir below
    log = tmp_path / "strace.log"

    source(shell, file, strace=log)
    assert [os.path.basename(p) for p in started(log)] == [shell]

    watch_file(isolated, due=time.time() - 1)
    source(shell, file, strace=log)
    programs = started(log)
    assert [os.path.basename(p) for p in programs[:1]] == [shell] and len(programs) == 2
    assert '"status", "--home", "--background"' in trace_text(log)

    source(shell, file, strace=log, env={"SLURM_JOB_ID": "42"})  # a compute node in a job
    assert len(started(log)) == 1


def test_no_line_and_no_look_when_the_login_is_told_to_be_quiet(
        isolated: Path, root: Path) -> None:
    config = isolated / ".config/scratchenv/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[login]\nwarn = false\n")
    file = activation("bash")
    watch_file(isolated, due=0)
    assert "home-watch" not in Path(file).read_text()
    assert "scratchenv" not in source("bash", file).stderr
