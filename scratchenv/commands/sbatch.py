from __future__ import annotations

import argparse
import os

from scratchenv.commands import settings_from

HELP = "verify, then submit a job that sees the scratch environment: scratchenv sbatch job.slurm"
USAGE = "scratchenv sbatch [--force] [sbatch options] SCRIPT [args]"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.usage = USAGE
    parser.add_argument("--force", action="store_true",
                        help="submit even when checks fail (says so, loudly)")
    parser.add_argument("sbatch_args", nargs=argparse.REMAINDER, metavar="...",
                        help="sbatch's own options, the job script and its arguments")
    # Every word after `sbatch` is sbatch's (-p debug, --time=1:00, the script's own
    # flags), so this parser reads none of them as options; run() takes --force and
    # --help off the front itself.
    parser.prefix_chars = "\0"
    parser.set_defaults(sbatch_help=parser.format_help)


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.checks import report
    from scratchenv.errors import ScratchenvError
    from scratchenv.slurm import submit as slurm

    words = list(args.sbatch_args)
    force = False
    while words[:1] and words[0] in ("--force", "-h", "--help"):
        if words.pop(0) == "--force":
            force = True
        else:
            output.write(args.sbatch_help())
            return 0
    submission = slurm.split_sbatch_args(words)
    slurm.read_script(submission)  # an unreadable script is an error before anything runs
    settings = settings_from(args)
    checked = slurm.gate(settings, os.environ, submission)
    problems = slurm.blocking(checked)
    # Findings go to stderr: stdout is sbatch's own ("Submitted batch job N", --parsable).
    if problems:
        output.write_err(report.render(checked, "human", title="scratchenv sbatch"))
        if not force:
            output.error(f"not submitted: {len(problems)} problem(s) above "
                         "(fix them, or submit anyway with scratchenv sbatch --force)")
            return 1
        output.warn(f"SUBMITTING ANYWAY (--force) despite {len(problems)} problem(s) above")
    else:
        output.write_err(f"scratchenv sbatch: checks ok ({report.summary_line(checked)})\n")
    result, warning = slurm.submit(settings, os.environ, submission)
    if warning:
        output.warn(warning)
    output.write(result.stdout)
    output.write_err(result.stderr)
    if not result.ok:
        raise ScratchenvError(f"sbatch failed (exit {result.returncode})")
    return 0
