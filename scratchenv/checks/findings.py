"""The types every check shares: a Finding, a Report of them, and the Context checks read.

They live apart from verify.py so that each check module imports its types, not its
orchestrator (verify imports the check modules, never the other way round).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from scratchenv.plain import record

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal

    from scratchenv.plan import Plan

    Status = Literal["pass", "warn", "fail", "skip"]
else:
    Status = str

SCHEMA_VERSION = 1
"""Version of the `--json` schema (checks/report.py's json_schema()); bumped on incompatible
change."""

STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skip")

# Plain records (plain.py), not pydantic models: every verify builds dozens of them, and importing
# pydantic alone cost more than the checks themselves (issue 27). The only untrusted input,
# a node's report read back, goes through report_from_document().


@record(kw_only=True)
class Finding:
    """One check on one subject, with a one-line fix when it did not pass."""

    check: str
    """Stable id, e.g. "var.set", "var.under_root", "root.free_space"."""
    subject: str
    """What was checked: a variable name, a path, "home"."""
    status: Status
    message: str
    """One line for people."""
    fix: str | None = None
    """One-line fix, e.g. the exact export line."""


@record(kw_only=True)
class Report:
    """The findings of one run, in check order."""

    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings and skips allowed)."""
        return all(finding.status != "fail" for finding in self.findings)

    def count(self, status: Status) -> int:
        return sum(finding.status == status for finding in self.findings)


class MalformedReport(ValueError):
    """A report read back (a node's `verify --json`) that is not one: the message says what
    is wrong and where, in one line."""


def report_from_document(document: object) -> Report:
    """The Report in a parsed `verify --json` document; MalformedReport when it is not one.

    Keys this version does not know are ignored (fields are only added, README "verify
    --json"); a different schema_version is refused, since it changed a field's meaning.
    """
    if not isinstance(document, dict):
        raise MalformedReport(f"expected a JSON object, got {_kind(document)}")
    version = document.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise MalformedReport(f"schema_version is {version!r}; this scratchenv reads "
                              f"{SCHEMA_VERSION}")
    if "findings" not in document:
        raise MalformedReport("findings: missing")
    findings = document["findings"]
    if not isinstance(findings, list):
        raise MalformedReport(f"findings: expected a list, got {_kind(findings)}")
    return Report(findings=[_finding(item, f"findings[{index}]")
                            for index, item in enumerate(findings)])


def _finding(item: object, where: str) -> Finding:
    if not isinstance(item, dict):
        raise MalformedReport(f"{where}: expected an object, got {_kind(item)}")
    for key in ("check", "subject", "status", "message"):
        if key not in item:
            raise MalformedReport(f"{where}.{key}: missing")
    for key in ("check", "subject", "status", "message", "fix"):
        value = item.get(key)
        if not isinstance(value, str) and not (key == "fix" and value is None):
            raise MalformedReport(f"{where}.{key}: expected a string, got {_kind(value)}")
    status = item["status"]
    if status not in STATUSES:
        raise MalformedReport(f"{where}.status: {status!r} is not one of "
                              f"{', '.join(STATUSES)}")
    return Finding(check=item["check"], subject=item["subject"], status=status,
                   message=item["message"], fix=item.get("fix"))


def _kind(value: object) -> str:
    """A JSON value's kind as a person reads it: null, a number, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    kinds: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}
    return kinds.get(type(value), "a value")


@record
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
