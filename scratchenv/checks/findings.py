"""The types every check shares: a Finding, a Report of them, and the Context checks read.

They live apart from verify.py so that each check module imports its types, not its
orchestrator (verify imports the check modules, never the other way round).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from scratchenv.plan import Plan

SCHEMA_VERSION = 1
"""Version of the `--json` schema (Report.model_json_schema()); bumped on incompatible change."""

Status = Literal["pass", "warn", "fail", "skip"]


class Finding(BaseModel):
    """One check on one subject, with a one-line fix when it did not pass."""

    # Descriptions as Field(...), not attribute docstrings: pydantic reads those from the
    # source file with inspect at import, a cost every verify paid (issue 27).
    check: str = Field(description='Stable id, e.g. "var.set", "var.under_root", '
                       '"root.free_space".')
    subject: str = Field(description='What was checked: a variable name, a path, "home".')
    status: Status
    message: str = Field(description="One line for people.")
    fix: str | None = Field(default=None, description="One-line fix, e.g. the exact export line.")


class Report(BaseModel):
    """The findings of one run, in check order."""

    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings and skips allowed)."""
        return all(finding.status != "fail" for finding in self.findings)

    def count(self, status: Status) -> int:
        return sum(finding.status == status for finding in self.findings)


@dataclass(frozen=True)
class Context:
    """What every check may look at: the Plan (built once by the command), the live
    environment, and what the command asked for."""

    plan: Plan
    environ: Mapping[str, str]
    need: int | None = None
    deep: bool = False
    script: Path | None = None
    strict: bool = False
    """A script line whose effect cannot be told statically fails instead of warning."""

    @property
    def root(self) -> str:
        return self.plan.root

    @property
    def home(self) -> str:
        return self.plan.home


Check = Callable[[Context], list[Finding]]


def export_line(name: str, value: str) -> str:
    """The exact line a user types to fix a variable (quoted by the shell renderer)."""
    from scratchenv.shells.posix import PosixRenderer

    return f"export {name}={PosixRenderer().quote(value)}"
