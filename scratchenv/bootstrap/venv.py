"""The project venv (always with pip) and its requirements (uv when it can honour the site's
pip configuration, else pip)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

from scratchenv import proc
from scratchenv.bootstrap import pipconf
from scratchenv.bootstrap.steps import (
    DIR_MODE,
    DONE,
    MISSING,
    RunContext,
    State,
    Step,
    StepFailed,
    shell_words,
)
from scratchenv.errors import ConfigError
from scratchenv.fsutil import atomic_write, makedirs_private

NO_PIP = ("no pip in it (as `uv venv` makes them): `pip install` would run another pip and "
          "`python -m pip` fails")
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
        probe = ctx.probe(proc.python_argv(str(self.interpreter), "-c",
                                           "import sys; print(sys.prefix)"))
        if not probe.ok:
            last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            return State("broken", f"its python does not run: {last}")
        if not self.has_pip():
            return State("broken", NO_PIP)
        return DONE

    def has_pip(self) -> bool:
        return any(self.path.glob("lib/python*/site-packages/pip/__init__.py"))

    def command(self) -> list[str]:
        if self.uv:
            return [self.uv, "venv", "--python", self.python, str(self.path)]
        return proc.python_argv(self.python, "-m", "venv", str(self.path))

    def do(self, ctx: RunContext) -> None:
        makedirs_private(self.path.parent)
        ctx.run(self.command())
        os.chmod(self.path, DIR_MODE)  # private like every directory bootstrap makes
        if not self.has_pip():
            self.add_pip(ctx)

    def add_pip(self, ctx: RunContext) -> None:
        """pip into the venv: `ensurepip` (offline, the interpreter's bundled pip), else
        `uv pip install pip` from where the site's pip configuration says.

        Not `uv venv --seed`: it downloads pip, from an index the site may not mirror."""
        python = str(self.interpreter)
        ensure = proc.python_argv(python, "-m", "ensurepip", "--default-pip")
        if self.uv is None or ctx.probe(proc.python_argv(python, "-c", "import ensurepip")).ok:
            ctx.run(ensure)
            return
        translation = pipconf.translate(pipconf.read(sys.executable, ctx.env) or {}, ctx.env)
        ctx.run([self.uv, "pip", "install", "--python", python, *translation.args, "pip"],
                env=translation.env)

    def repair(self, ctx: RunContext, state: State) -> None:
        if state.reason == NO_PIP:
            self.add_pip(ctx)  # what is installed stays
        else:
            super().repair(ctx, state)

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
        if self.uv:
            return [self.uv, "pip", "install", "--python", str(self.venv.interpreter),
                    "-r", str(self.requirements)]
        return self.pip_command()

    def pip_command(self) -> list[str]:
        return proc.python_argv(str(self.venv.interpreter), "-m", "pip", "install", "-r",
                                str(self.requirements))

    def describe(self) -> str:
        if self.uv:
            return shell_words(self.command()) + " (with the site's pip configuration)"
        return shell_words(self.command())

    def do(self, ctx: RunContext) -> None:
        digest = self.digest()
        if self.uv is None:
            ctx.run(self.pip_command())
        else:
            self.with_uv(ctx, self.uv)
        atomic_write(self.stamp, digest + "\n")

    def with_uv(self, ctx: RunContext, uv: str) -> None:
        """uv with the site's pip configuration; pip when uv cannot honour it or fails.

        Never fail on a package `pip install` would find: pip's configuration is written
        for pip."""
        config = pipconf.read(str(self.venv.interpreter), ctx.env)
        if config is None:
            ctx.log.line("  note: pip's configuration could not be read: installing with pip")
            ctx.run(self.pip_command())
            return
        translation = pipconf.translate(config, ctx.env)
        if translation.blocker:
            ctx.log.line(f"  note: {translation.blocker}: installing with pip")
            ctx.run(self.pip_command())
            return
        if translation.used:
            ctx.log.line(f"  note: uv gets pip's settings: {', '.join(translation.used)}")
        try:
            ctx.run([*self.command(), *translation.args], env=translation.env)
        except StepFailed as failure:
            ctx.log.line(f"  note: {failure}; trying pip, which the site's configuration is "
                         "written for")
            ctx.run(self.pip_command())


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

