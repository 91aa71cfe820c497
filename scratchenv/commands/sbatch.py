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
    from pathlib import Path

    from scratchenv import output, proc, report, slurm
    from scratchenv.errors import ScratchenvError
    from scratchenv.plan import build_plan
    from scratchenv.verify import verify

    words = list(args.sbatch_args)
    force = False
    while words[:1] and words[0] in ("--force", "-h", "--help"):
        if words.pop(0) == "--force":
            force = True
        else:
            output.write(args.sbatch_help())
            return 0
    submission = slurm.split_sbatch_args(words)
    script_text = ""
    if submission.script is not None:
        try:
            with open(submission.script, encoding="utf-8", errors="replace") as handle:
                script_text = handle.read()
        except OSError as error:
            raise ScratchenvError(f"{submission.script}: {error.strerror}") from None

    settings = settings_from(args)
    script = None if submission.script is None else Path(submission.script)
    checked = verify(settings, os.environ, script=script)
    # A script line that points a variable back at home is only a warning in `verify`;
    # here it is the thing to stop before the job wastes its allocation.
    blocking = [f for f in checked.findings
                if f.status == "fail" or (f.status == "warn" and f.check.startswith("script."))]
    # Findings go to stderr: stdout is sbatch's own ("Submitted batch job N", --parsable).
    if blocking:
        output.write_err(report.render(checked, "human", title="scratchenv sbatch"))
        if not force:
            output.error(f"not submitted: {len(blocking)} problem(s) above "
                         "(fix them, or submit anyway with scratchenv sbatch --force)")
            return 1
        output.warn(f"SUBMITTING ANYWAY (--force) despite {len(blocking)} problem(s) above")
    else:
        output.write_err(f"scratchenv sbatch: checks ok ({report.summary_line(checked)})\n")

    plan = build_plan(settings)
    argv, warning = slurm.sbatch_argv(submission, [v.name for v in plan.variables], script_text)
    if warning:
        output.warn(warning)
    result = proc.run(argv, env=slurm.submission_environment(plan, os.environ), timeout=120)
    output.write(result.stdout)
    output.write_err(result.stderr)
    if not result.ok:
        raise ScratchenvError(f"sbatch failed (exit {result.returncode})")
    return 0

