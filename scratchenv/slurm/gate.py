"""What stops a submission: `verify` of the submitting environment, the job script's
lines, and what the command line and the `#SBATCH` header add to the job (`--wrap`,
every `--export` value and `--export-file`), all read with the same rules (checks/script.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.checks import script
from scratchenv.checks.findings import Finding, Report
from scratchenv.slurm.submit import Submission, header_options, read_script

if TYPE_CHECKING:
    from scratchenv.plan import Plan


def blocking(report: Report) -> list[Finding]:
    """What stops a submission: the failures, the same ones that make `verify` exit 1."""
    return [finding for finding in report.findings if finding.status == "fail"]


def gate(plan: Plan, environ: Mapping[str, str], submission: Submission, *,
         strict: bool = False) -> Report:
    """`verify` of the submitting environment, with the job script's lines, the `--wrap`
    text and every `--export` value (command line and `#SBATCH`) checked too."""
    from scratchenv.checks.verify import verify

    path = None if submission.script is None else Path(submission.script)
    report = verify(plan, environ, script=path, strict=strict)
    names = set(script.managed_names(plan))
    return Report(findings=report.findings + submission_findings(
        submission, read_script(submission), names=names, home=plan.home, strict=strict))


def submission_findings(submission: Submission, script_text: str, *, names: set[str],
                        home: str, strict: bool = False) -> list[Finding]:
    """The gate's rules on what the command line and the `#SBATCH` header add to a job:
    the `--wrap` command, and NAME=VALUE items of every `--export` list."""
    found: list[Finding] = []
    wrap = _option_values(submission.options, "--wrap")
    for text in wrap:
        problems = script.lint(text, names=names, home=home, script_dir=os.getcwd())
        found += script.problem_findings(problems, "sbatch --wrap", strict=strict)
    header = header_options(script_text)
    exports = [("sbatch --export", 0, value)
               for value in _option_values(submission.options, "--export")]
    exports += [(f"{submission.script}", line, value)
                for line, options in header for value in _option_values(options, "--export")]
    for subject, line, value in exports:
        items = [item.partition("=") for item in value.split(",")]
        found += _assignment_findings(items, f"--export={value}", subject, line, names=names,
                                      home=home, strict=strict, fix="drop {name}=... from "
                                      "--export: the job gets your setting with ALL")
    files = [("sbatch --export-file", 0, value)
             for value in _option_values(submission.options, "--export-file")]
    files += [(f"{submission.script}", line, value)
              for line, options in header for value in _option_values(options, "--export-file")]
    for subject, line, value in files:
        found += _export_file_findings(value, subject, line, names=names, home=home,
                                       strict=strict)
    return found


def _export_file_findings(value: str, subject: str, line: int, *, names: set[str], home: str,
                          strict: bool) -> list[Finding]:
    """sbatch's `--export-file`: NAME=value definitions separated by NUL bytes, from a file
    or (a number of 3 or more) an open file descriptor, which cannot be read here."""
    where = f"{subject}:{line}" if line else subject
    source = f"--export-file={value}"
    if value.isdigit():
        return [Finding(check="script.cannot_tell", subject=where,
                        status="fail" if strict else "warn",
                        message=f"{source}: what a file descriptor holds cannot be checked",
                        fix="give --export-file a file the gate can read")]
    try:
        with open(value, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as error:
        return [Finding(check="script.cannot_tell", subject=where,
                        status="fail" if strict else "warn",
                        message=f"{source}: cannot read it ({error.strerror})",
                        fix="give --export-file a file the gate can read")]
    # sbatch splits on NUL only; a newline is split on too, so a value cannot hide a line.
    items = [item.partition("=") for item in text.replace("\n", "\0").split("\0")]
    return _assignment_findings(items, source, where, 0, names=names, home=home,
                                strict=strict, fix="drop {name}=... from the --export-file: "
                                "the job gets your setting")


def _assignment_findings(items: Sequence[tuple[str, str, str]], source: str, subject: str,
                         line: int, *, names: set[str], home: str, strict: bool,
                         fix: str) -> list[Finding]:
    """The gate's rule on NAME=VALUE items a submission hands to the job."""
    found = []
    for name, sep, item_value in items:
        if not sep or name not in names:
            continue
        problem = script.assignment_problem(name, item_value, line=line, home=home,
                                            source=source)
        if problem is not None:
            found.append(Finding(
                check=problem.check, subject=f"{subject}:{line}" if line else subject,
                status="fail" if strict or problem.severity == "fail" else "warn",
                message=problem.message, fix=fix.format(name=name)))
    return found


def _option_values(options: Sequence[str], option: str) -> list[str]:
    """Every value of a long sbatch option (`--opt=V` or `--opt V`)."""
    values = []
    words = iter(options)
    for word in words:
        if word == option:
            values.append(next(words, ""))
        elif word.startswith(option + "="):
            values.append(word.split("=", 1)[1])
    return values
