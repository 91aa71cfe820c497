"""The project venv (always with pip) and its requirements (uv when it can honour the site's
pip configuration, else pip)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

from scratchenv import proc
from scratchenv.bootstrap.steps import DIR_MODE, DONE, MISSING, RunContext, State, Step
from scratchenv.errors import ConfigError
from scratchenv.fsutil import atomic_write, makedirs_private

REQUIREMENTS_STAMP = ".scratchenv-requirements"
"""In the venv: the hash of the requirements file last installed, so a re-run is a no-op."""


class VenvStep(Step):
    def __init__(self, path: Path, python: str, uv: str | None) -> None:
        self.path = path
        self.python = python
        self.uv = uv
        self.name = f"venv {path}"

    @property
    def interpreter(self) -> Path:
        return self.path / "bin" / "python"

    def check(self, ctx: RunContext) -> State:
        if not self.path.exists() or (self.path.is_dir() and not any(self.path.iterdir())):
            return MISSING
        if not (self.path / "pyvenv.cfg").is_file():
            return State("broken", "not a virtual environment (no pyvenv.cfg); move it away",
                         repairable=False)
        if not os.access(self.interpreter, os.X_OK):
            return State("broken", "its bin/python is gone or points at a deleted interpreter")
        if not (self.path / "bin" / "activate").is_file():
            # `python -m venv` writes the activate scripts last, after pip: a run stopped
            # halfway (^C, a full disk) left a venv without pip that looked whole.
            return State("broken", "incomplete (no bin/activate): its creation was interrupted")
        probe = ctx.probe([str(self.interpreter), "-c", "import sys; print(sys.prefix)"])
        if not probe.ok:
            last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            return State("broken", f"its python does not run: {last}")
        return DONE

    def command(self) -> list[str]:
        if self.uv:
            return [self.uv, "venv", "--python", self.python, str(self.path)]
        return [self.python, "-m", "venv", str(self.path)]

    def do(self, ctx: RunContext) -> None:
        makedirs_private(self.path.parent)
        ctx.run(self.command())
        os.chmod(self.path, DIR_MODE)  # private like every directory bootstrap makes

    def clear(self, ctx: RunContext) -> None:
        # Only ever a tree that is a venv (check() refuses anything else).
        shutil.rmtree(self.path)


class RequirementsStep(Step):
    def __init__(self, venv: VenvStep, requirements: Path, uv: str | None) -> None:
        self.venv = venv
        self.requires = venv
        self.requirements = requirements
        self.uv = uv
        self.name = f"requirements {requirements}"

    @property
    def stamp(self) -> Path:
        return self.venv.path / REQUIREMENTS_STAMP

    def digest(self) -> str:
        return hashlib.sha256(self.requirements.read_bytes()).hexdigest()

    def check(self, ctx: RunContext) -> State:
        try:
            installed = self.stamp.read_text(encoding="utf-8").strip()
        except OSError:
            return MISSING
        return DONE if installed == self.digest() else MISSING

    def command(self) -> list[str]:
        python = str(self.venv.interpreter)
        if self.uv:
            return [self.uv, "pip", "install", "--python", python, "-r", str(self.requirements)]
        return [python, "-m", "pip", "install", "-r", str(self.requirements)]

    def do(self, ctx: RunContext) -> None:
        digest = self.digest()
        ctx.run(self.command())
        atomic_write(self.stamp, digest + "\n")


def find_python(python: str | None) -> str:
    if python is not None:
        found = python if "/" in python else proc.which(python)
        if found is None or not os.access(found, os.X_OK):
            raise ConfigError(f"--python {python}: no such interpreter")
        if not os.path.isfile(found):
            raise ConfigError(f"--python {python}: not an executable file")
        return os.path.abspath(found)
    return proc.which("python3") or sys.executable


def find_uv(use_uv: bool | None) -> str | None:
    if use_uv is False:
        return None
    found = proc.which("uv")
    if found is None:
        try:
            from uv import find_uv_bin  # the `uv` wheel, when scratchenv's env has it

            found = find_uv_bin()
        except (ImportError, FileNotFoundError):
            found = None
    if found is None and use_uv:
        raise ConfigError("--uv: uv not found on PATH (pip install uv)")
    return found

