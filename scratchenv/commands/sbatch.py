from __future__ import annotations

import argparse
import os

from scratchenv.commands import settings_from

HELP = "verify, then submit a job that sees the scratch environment: scratchenv sbatch job.slurm"
USAGE = "scratchenv sbatch [--force] [--guard] [--strict] [sbatch options] SCRIPT [args]"
_OWN = ("--force", "--guard", "--strict")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.usage = USAGE
    parser.add_argument("--force", action="store_true",
                        help="submit even when checks fail (says so, loudly; the job gets "
                        "the guard)")
    parser.add_argument("--guard", action="store_true",
                        help="the job checks itself when it starts and stops with one line "
                        "when a managed variable points at home (a copy of the script with "
                        "the check after its #SBATCH header is submitted)")
    parser.add_argument("--strict", action="store_true",
                        help="a script line whose effect cannot be told statically (eval, "
                        "source of an unknown file, $(...)) stops the submission")
    parser.add_argument("sbatch_args", nargs=argparse.REMAINDER, metavar="...",
                        help="sbatch's own options, the job script and its arguments")
    # Every word after `sbatch` is sbatch's (-p debug, --time=1:00, the script's own
    # flags), so this parser reads none of them as options; run() takes --force and
    # --guard, --strict and --help off the front itself.
    parser.prefix_chars = "\0"
    parser.set_defaults(sbatch_help=parser.format_help)


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.checks import report
    from scratchenv.errors import ScratchenvError
    from scratchenv.slurm import gate
    from scratchenv.slurm import submit as slurm

    words = list(args.sbatch_args)
    own: set[str] = set()
    while words[:1] and words[0] in (*_OWN, "-h", "--help"):
        word = words.pop(0)
        if word not in _OWN:
            output.write(args.sbatch_help())
            return 0
        own.add(word)
    force, strict = "--force" in own, "--strict" in own
    submission = slurm.split_sbatch_args(words)
    slurm.read_script(submission)  # an unreadable script is an error before anything runs
    from scratchenv.plan import build_plan

    plan = build_plan(settings_from(args))
    checked = gate.gate(plan, os.environ, submission, strict=strict)
    problems = gate.blocking(checked)
    # Findings go to stderr: stdout is sbatch's own ("Submitted batch job N", --parsable).
    if problems:
        output.write_err(report.render(checked, "human", title="scratchenv sbatch"))
        if not force:
            output.error(f"not submitted: {len(problems)} problem(s) above "
                         "(fix them, or submit anyway with scratchenv sbatch --force)")
            return 1
        output.warn(f"SUBMITTING ANYWAY (--force) despite {len(problems)} problem(s) above")
    elif checked.count("warn"):
        output.write_err(report.render(checked, "human", title="scratchenv sbatch"))
    else:
        output.write_err(f"scratchenv sbatch: checks ok ({report.summary_line(checked)})\n")
    if force or "--guard" in own:
        from scratchenv.checks.script import managed_names
        from scratchenv.commands import global_flags
        from scratchenv.commands.init import scratchenv_command
        from scratchenv.slurm.guarded import guarded

        with guarded(submission, managed_names(plan),
                     scratchenv_command() + global_flags(args)) as job:
            result, warning = slurm.submit(plan, os.environ, job)
        output.write_err("scratchenv sbatch: the job checks itself when it starts (guard)\n")
    else:
        result, warning = slurm.submit(plan, os.environ, submission)
    if warning:
        output.warn(warning)
    output.write(result.stdout)
    output.write_err(result.stderr)
    if not result.ok:
        raise ScratchenvError(f"sbatch failed (exit {result.returncode})")
    return 0
