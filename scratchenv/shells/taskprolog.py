"""Slurm TaskProlog output (`--format taskprolog`): `export NAME=value` lines that slurmstepd
applies to every task of every job step (slurm.conf(5), TaskProlog).

Slurm takes everything after the `=` to the end of the line as the value and parses no
quoting, so values are written as they are, and a value it cannot carry (a newline, a
carriage return, a NUL) is refused rather than cut. Values are the ones for `environ` (the
task's own environment, which the TaskProlog runs with): node-local caches resolved for
this job, PATH entries prepended to the task's PATH. No header line: Slurm reads every
line as a command.
"""

from __future__ import annotations

from collections.abc import Mapping

from scratchenv.errors import ConfigError
from scratchenv.plan import Plan, apply_changes
from scratchenv.shells.base import Renderer


class TaskPrologRenderer(Renderer):
    name = "taskprolog"

    def quote(self, value: str) -> str:
        if any(char in value for char in "\n\r\0"):
            raise ConfigError(f"a Slurm TaskProlog cannot carry {value!r}: Slurm ends the "
                              "value at the line's end and parses no quoting")
        return value

    def render(self, plan: Plan, environ: Mapping[str, str], *, inputs: str = "") -> str:
        names = [change.name for change in plan.variables]
        names += [name for name in dict.fromkeys(p.name for p in plan.path_entries)
                  if name not in names]
        # Only the variables it prints are read (a job's other variables change with every
        # job: the TaskProlog's cached answer depends on these alone, login/cache.py).
        before = {name: environ[name] for name in names if name in environ}
        after = apply_changes(plan.resolved(environ), before)
        lines = [f"export {name}={self.quote(after[name])}" for name in names if name in after]
        return "".join(line + "\n" for line in lines)


RENDERER = TaskPrologRenderer
