"""Slurm: submit jobs that see the scratch environment, and check every node of an allocation.

Slurm's clients run through proc.py like every other program.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.plain import record
from scratchenv.plan import Plan

if TYPE_CHECKING:
    from scratchenv.checks.findings import Report
    from scratchenv.proc import CommandResult

# sbatch options that take no value, or only an attached one (`--exclusive=user`); every
# other option takes the next word unless it has `=` (sbatch(1)). This is how SCRIPT is told
# apart from an option's value in `scratchenv sbatch [sbatch options] SCRIPT [args]`.
_SHORT_FLAGS = frozenset("hHIkOQsuVvW")
_LONG_FLAGS = frozenset({
    "contiguous", "exclusive", "get-user-env", "help", "hold", "ignore-pbs", "immediate",
    "no-kill", "no-requeue", "nice", "overcommit", "oversubscribe", "parsable", "propagate",
    "quiet", "reboot", "requeue", "spread-job", "test-only", "usage", "use-min-nodes",
    "verbose", "version", "wait",
})
_SBATCH_LINE = re.compile(r"#SBATCH\s+(.*)")
_SOURCES_ACTIVATION = re.compile(r"^\s*(?:source|\.)\s.*scratchenv.*\bactivate\b", re.MULTILINE)


@record
class Submission:
    """`sbatch [options] SCRIPT [args]`, split; `script` is None with `--wrap`."""

    options: tuple[str, ...]
    script: str | None
    script_args: tuple[str, ...]


def split_sbatch_args(argv: Sequence[str]) -> Submission:
    """Split a command line the way sbatch reads it: options, then the script and its args."""
    argv = list(argv)
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if arg.startswith("--"):
            if "=" not in arg and arg[2:] not in _LONG_FLAGS:
                i += 1  # its value is the next word
        elif arg.startswith("-") and len(arg) > 1:
            # Short flags may be bundled (-vH); the first one that takes a value takes the
            # rest of the word (-pdebug, -N1), or the next word when nothing is left (-p x).
            for position, letter in enumerate(arg[1:], 1):
                if letter not in _SHORT_FLAGS:
                    if position == len(arg) - 1:
                        i += 1
                    break
        else:
            break
        i += 1
    options = tuple(argv[:i])
    if i >= len(argv):
        if not any(o == "--wrap" or o.startswith("--wrap=") for o in options):
            raise ConfigError("no job script given: scratchenv sbatch [sbatch options] SCRIPT")
        return Submission(options, None, ())
    return Submission(options, argv[i], tuple(argv[i + 1:]))


def script_options(text: str) -> list[str]:
    """The `#SBATCH` options of a job script (sbatch reads them up to the first command)."""
    return [option for _, options in header_options(text) for option in options]


def header_options(text: str) -> list[tuple[int, list[str]]]:
    """(line number, its options) for each `#SBATCH` line sbatch reads."""
    found: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines()[1:], 2):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        match = _SBATCH_LINE.match(stripped)
        if match:
            found.append((number, match.group(1).split("#", 1)[0].split()))
    return found


def sources_activation(text: str) -> bool:
    """Whether a job script sources scratchenv's activation itself (the template does)."""
    return bool(_SOURCES_ACTIVATION.search(text))


def _export_value(options: Sequence[str]) -> tuple[str | None, list[str]]:
    """The last --export value in `options`, and the options without any --export."""
    value, rest = None, []
    words = iter(options)
    for word in words:
        if word == "--export":
            value = next(words, "")
        elif word.startswith("--export="):
            value = word.split("=", 1)[1]
        else:
            rest.append(word)
    return value, rest


def sbatch_argv(
    submission: Submission, names: Sequence[str], script_text: str = ""
) -> tuple[list[str], str | None]:
    """The sbatch command line, and a warning when the job may not get the environment.

    How the job sees the scratch environment whatever the site's --export default:
    sbatch runs with the activated environment (`submission_environment`), and the
    command line says what to export, which beats SBATCH_EXPORT and the script's own
    `#SBATCH --export`:
    - no --export anywhere: `--export=ALL`, whatever the site put in SBATCH_EXPORT;
    - `ALL[,...]`: kept as it is;
    - a list (`A,B=1`): the Plan's variables, and PATH when the Plan prepends to it, are
      added by name only, so their values come from sbatch's environment, where a comma in
      a path cannot break the list;
    - NONE or NIL: the user asked for a clean job: kept, and the job has the scratch
      environment only if its script sources the activation (the template's does).
    """
    given, options = _export_value(submission.options)
    if given is None:
        given, _ = _export_value(script_options(script_text))
    warning = None
    if given is None:
        export = "ALL"
    elif given.upper() in ("NONE", "NIL"):
        export = given
        if not sources_activation(script_text):
            warning = (f"--export={given}: the job starts without the scratch environment; "
                       "source the activation in the script (scratchenv template slurm shows how)")
    elif given.split(",")[0].upper() == "ALL":
        export = given
    else:
        listed = {item.split("=", 1)[0] for item in given.split(",") if item}
        export = ",".join([given, *(name for name in names if name not in listed)])
    argv = ["sbatch", f"--export={export}", *options]
    if submission.script is not None:
        argv += [submission.script, *submission.script_args]
    return argv, warning


def submission_environment(plan: Plan, environ: Mapping[str, str]) -> dict[str, str]:
    """The activated environment sbatch runs with.

    Node-local caches point at their place on shared scratch: the job's own activation
    moves them to its node's disk, and a job submitting a job must not hand its node's
    temp directory on to another node.
    """
    outside_a_job = {name: value for name, value in environ.items() if name != "SLURM_JOB_ID"}
    return plan.apply(outside_a_job)


def read_script(submission: Submission) -> str:
    """The job script's text ("" with --wrap)."""
    if submission.script is None:
        return ""
    try:
        with open(submission.script, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError as error:
        raise ConfigError(f"{submission.script}: {error.strerror}") from None


def submit(
    plan: Plan, environ: Mapping[str, str], submission: Submission
) -> tuple[CommandResult, str | None]:
    """Run sbatch so the job sees `plan`'s environment; (sbatch's result, a warning)."""
    from scratchenv import proc

    names = [change.name for change in plan.variables] + [
        change.name for change in plan.path_entries]
    argv, warning = sbatch_argv(submission, list(dict.fromkeys(names)), read_script(submission))
    return proc.run(argv, env=submission_environment(plan, environ), timeout=120), warning


@record
class NodeReport:
    """One node's `verify --node --json`, or why there is none."""

    node: str
    report: Report | None
    problem: str | None = None


def verify_all_nodes(
    scratchenv: Sequence[str], environ: Mapping[str, str], *, flags: Sequence[str] = (),
    timeout: float = 300,
) -> list[NodeReport]:
    """Run `verify --node --json [flags]` once per node of the current allocation, via srun."""
    from scratchenv import proc

    if not environ.get("SLURM_JOB_ID"):
        raise ConfigError("--all-nodes runs inside an allocation: in a job script, or "
                              "under salloc (salloc -N2 scratchenv verify --all-nodes)")
    argv = ["srun", "--ntasks-per-node=1", "--label", *scratchenv, "verify", "--node", "--json",
            *flags]
    result = proc.run(argv, timeout=timeout)
    nodes = environ.get("SLURM_JOB_NUM_NODES", "")
    reports = parse_labelled_reports(result.stdout, tasks=int(nodes) if nodes.isdigit() else 0)
    if not reports:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ScratchenvError(f"srun gave no node report (exit {result.returncode}): {last}")
    return reports


def parse_labelled_reports(stdout: str, tasks: int = 0) -> list[NodeReport]:
    """Split `srun --label` output (`<task>: <line>`) into one report per task.

    With `tasks`, each of tasks 0..tasks-1 that printed nothing (scratchenv missing on its
    node, a crash) is a row without a report, so a silent node cannot pass by its absence.
    """
    from scratchenv.checks.findings import report_from_document

    lines_of: dict[int, list[str]] = {}
    for line in stdout.splitlines():
        label, sep, rest = line.partition(": ")
        if sep and label.strip().isdigit():
            lines_of.setdefault(int(label), []).append(rest)
    if lines_of:  # nothing at all: the caller reports srun's own error instead
        for task in range(tasks):
            lines_of.setdefault(task, [])
    reports = []
    for task, lines in sorted(lines_of.items()):
        if not lines:
            reports.append(NodeReport(f"task {task}", None, "no report: it printed nothing"))
            continue
        try:
            report = report_from_document(json.loads("\n".join(lines)))
        except ValueError as error:  # not JSON, or not a report (MalformedReport): one line
            reports.append(NodeReport(f"task {task}", None, f"no report: {error}"))
            continue
        node = next((f.subject for f in report.findings if f.check == "node.job"), f"task {task}")
        reports.append(NodeReport(node, report))
    return reports


def node_rows(nodes: Sequence[NodeReport]) -> list[tuple[str, str, str]]:
    """One (node, result, detail) row per node: the first failure, else the counts."""
    rows = []
    for node in nodes:
        if node.report is None:
            rows.append((node.node, "FAILED", node.problem or "no report"))
            continue
        failed = [f for f in node.report.findings if f.status == "fail"]
        if failed:
            detail = f"{failed[0].subject}: {failed[0].message}"
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            rows.append((node.node, "FAILED", detail + more))
        else:
            counts = ", ".join(f"{node.report.count(s)} {s}" for s in ("pass", "warn", "skip"))
            rows.append((node.node, "ok", counts))
    return rows
