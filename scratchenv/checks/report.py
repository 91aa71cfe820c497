"""A verify Report as text: a checklist for people, JSON, Markdown for CI summaries, JUnit XML.

Renderers are pure (Report -> str); commands print what they return through output.py.
"""

from __future__ import annotations

from scratchenv.checks.findings import SCHEMA_VERSION, STATUSES, Finding, Report
from scratchenv.plain import asdict, record
from scratchenv.units import counted

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    import re
    from typing import Any

FORMATS = ("human", "json", "markdown", "junit")
SYMBOLS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "-"}


@record(kw_only=True)
class JsonReport:
    """The `--json` document. Fields are only added; anything else bumps schema_version.
    Its JSON schema is json_schema() (a golden file holds it still)."""

    schema_version: int = SCHEMA_VERSION
    tool: str = "scratchenv"
    ok: bool
    summary: dict[str, int]
    findings: list[Finding]

    def to_json(self) -> str:
        """The document, two-space indented, non-ASCII kept as is (what pydantic printed
        before; verify --json's bytes did not change)."""
        from scratchenv.output import json_text

        return json_text(asdict(self))


def json_schema() -> dict[str, Any]:
    """The JSON schema of JsonReport (tests/fixtures/verify-schema.json holds it still)."""
    def text(description: str, title: str) -> dict[str, Any]:
        return {"description": description, "title": title, "type": "string"}

    finding = {
        "description": "One check on one subject, with a one-line fix when it did not pass.",
        "properties": {
            "check": text('Stable id, e.g. "var.set", "var.under_root", "root.free_space".',
                          "Check"),
            "fix": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None,
                    "description": "One-line fix, e.g. the exact export line.",
                    "title": "Fix"},
            "message": text("One line for people.", "Message"),
            "status": {"enum": list(STATUSES), "title": "Status", "type": "string"},
            "subject": text('What was checked: a variable name, a path, "home".', "Subject"),
        },
        "required": ["check", "subject", "status", "message"],
        "title": "Finding",
        "type": "object",
    }
    return {
        "$defs": {"Finding": finding},
        "description": "The `--json` document. Fields are only added; anything else bumps "
                       "schema_version.",
        "properties": {
            "findings": {"description": "Every finding, in check order.",
                         "items": {"$ref": "#/$defs/Finding"}, "title": "Findings",
                         "type": "array"},
            "ok": {"description": "False when any finding failed (the exit code is then 1).",
                   "title": "Ok", "type": "boolean"},
            "schema_version": {"default": SCHEMA_VERSION,
                               "description": "Bumped when a field changes meaning or goes "
                                              "away.",
                               "title": "Schema Version", "type": "integer"},
            "summary": {"additionalProperties": {"type": "integer"},
                        "description": "Findings per status: pass, warn, fail, skip (always "
                                       "all four keys).",
                        "title": "Summary", "type": "object"},
            "tool": {"default": "scratchenv", "title": "Tool", "type": "string"},
        },
        "required": ["ok", "summary", "findings"],
        "title": "JsonReport",
        "type": "object",
    }


def render(report: Report, fmt: str, *, title: str = "scratchenv verify",
           verbose: bool = False) -> str:
    """`report` in one of FORMATS, ending in a newline."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report, title=title)
    if fmt == "junit":
        return render_junit(report, title=title)
    return render_human(report, title=title, verbose=verbose)


def summary(report: Report) -> dict[str, int]:
    return {status: report.count(status) for status in ("pass", "warn", "fail", "skip")}


def summary_line(report: Report) -> str:
    counts = summary(report)
    return (f"{counts['pass']} passed, {counted(counts['warn'], 'warning')}, "
            f"{counts['fail']} failed, {counts['skip']} skipped")


def render_human(report: Report, *, title: str = "scratchenv verify",
                 verbose: bool = False) -> str:
    """Every warning and failure with its fix, then the summary line; `verbose`: every
    finding (passes and skips too), one line each."""
    lines = []
    for finding in report.findings:
        if not verbose and finding.status not in ("fail", "warn"):
            continue
        lines.append(f"{SYMBOLS[finding.status]} {finding.subject}: {finding.message}")
        if finding.fix and finding.status in ("fail", "warn"):
            lines.append(f"    fix: {finding.fix}")
    verdict = "ok" if report.ok else "FAILED"
    lines.append(f"{title}: {verdict} ({summary_line(report)})")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    document = JsonReport(ok=report.ok, summary=summary(report), findings=report.findings)
    return document.to_json() + "\n"


def render_markdown(report: Report, *, title: str = "scratchenv verify") -> str:
    """A `- [x]` checklist (GitHub and GitLab render it in job summaries)."""
    verdict = "✅ passed" if report.ok else "❌ failed"
    lines = [f"### {title}: {verdict}", "", summary_line(report), ""]
    for finding in report.findings:
        box = "x" if finding.status in ("pass", "warn") else " "
        label = {"warn": "**warning:** ", "fail": "**failed:** ", "skip": "*skipped:* "}.get(
            finding.status, "")
        line = f"- [{box}] {label}{_code(finding.subject)} {_md(finding.message)}"
        if finding.fix and finding.status in ("fail", "warn"):
            line += f" (fix: {_code(finding.fix)})"
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_junit(report: Report, *, title: str = "scratchenv verify") -> str:
    """JUnit XML: one testcase per finding (classname = check id, name = subject)."""
    import re
    import xml.etree.ElementTree as ET

    counts = summary(report)
    suite = ET.Element("testsuite", {
        "name": title, "tests": str(len(report.findings)), "failures": str(counts["fail"]),
        "errors": "0", "skipped": str(counts["skip"]),
    })
    for finding in report.findings:
        case = ET.SubElement(suite, "testcase", {"classname": finding.check,
                                                 "name": finding.subject})
        if finding.status == "fail":
            failure = ET.SubElement(case, "failure", {"message": finding.message})
            failure.text = f"fix: {finding.fix}" if finding.fix else finding.message
        elif finding.status == "skip":
            ET.SubElement(case, "skipped", {"message": finding.message})
        else:
            out = ET.SubElement(case, "system-out")
            prefix = "warning: " if finding.status == "warn" else ""
            fix = f" (fix: {finding.fix})" if finding.status == "warn" and finding.fix else ""
            out.text = prefix + finding.message + fix
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    text = ET.tostring(suites, "unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + re.sub(_NOT_XML, _xml_escape, text) + "\n"


# What XML 1.0 cannot hold, even escaped: control characters (a root named with one) and
# lone surrogates (a path that is not UTF-8, as Python decodes it). Shown as \xNN instead.
# A pattern, compiled by `re` on first use: compiling at import costs every command.
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"


def _xml_escape(match: re.Match[str]) -> str:
    char = ord(match[0])
    return f"\\x{char & 0xff:02x}" if 0xdc80 <= char <= 0xdcff or char < 0x20 else "\ufffd"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _md(text: str) -> str:
    """Plain text safe in a Markdown list item (no accidental emphasis or links)."""
    for char in "\\*_[]<>`":
        text = text.replace(char, "\\" + char)
    return text
