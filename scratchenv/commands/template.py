from __future__ import annotations

import argparse

from scratchenv.commands import global_flags, settings_from

HELP = "print a job script: scratchenv template slurm --project NAME > job.slurm"

LOG_DIR = "logs"
"""Under the root: where the job's Slurm log goes (not the submit directory in home)."""


def configure(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    slurm = kinds.add_parser("slurm", help="a bash job script for sbatch",
                             description="a bash job script for sbatch: #SBATCH header, the "
                                         "activation sourced, verify --node, the project venv, "
                                         "your command")
    # Its own dest: a subcommand's default would otherwise hide the global --project.
    slurm.add_argument("--project", dest="template_project", metavar="NAME",
                       help="the project the job activates (default: the global --project)")
    slurm.add_argument("-J", "--job-name", metavar="NAME", help="default: the project")
    slurm.add_argument("-p", "--partition", metavar="NAME")
    slurm.add_argument("-A", "--account", metavar="NAME")
    slurm.add_argument("-q", "--qos", metavar="NAME")
    slurm.add_argument("-t", "--time", default="01:00:00", metavar="TIME",
                       help="time limit (default: 01:00:00)")
    slurm.add_argument("-N", "--nodes", type=_positive, default=1, metavar="N")
    slurm.add_argument("--ntasks-per-node", type=_positive, default=1, metavar="N")
    slurm.add_argument("-c", "--cpus-per-task", type=_positive, metavar="N")
    slurm.add_argument("--mem", metavar="SIZE", help="memory per node, e.g. 64G")
    slurm.add_argument("-G", "--gpus", metavar="N", help="GPUs for the job, e.g. 8 or a100:8")
    slurm.add_argument("--gres", metavar="SPEC", help="generic resources, e.g. gpu:8")
    slurm.add_argument("-o", "--output", metavar="PATTERN",
                       help=f"the Slurm log (default: {{root}}/{LOG_DIR}/%%x-%%j.out, created)")
    slurm.add_argument("--torchrun", action="store_true",
                       help="run the command through torchrun: one process per GPU; with "
                            "--nodes above 1, one torchrun per node meeting at the first")
    # The only positional, so the options before it are still read: `... -- python -m x`.
    slurm.add_argument("command", nargs=argparse.REMAINDER,
                       help="the job's command, after -- (default: a commented example)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.checks.script import managed_names
    from scratchenv.commands.init import scratchenv_command
    from scratchenv.errors import ConfigError
    from scratchenv.plan import build_plan
    from scratchenv.shells.jobscript import JobOptions, render_job_script

    args.project = args.template_project or args.project
    settings = settings_from(args)  # a bad project name or config fails here, not in the job
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    values = {name: getattr(args, name) for name in (
        "job_name", "partition", "account", "qos", "time", "mem", "gpus", "gres", "output")}
    for name, value in values.items():
        if value is not None and (not value or any(c.isspace() for c in value)):
            raise ConfigError(f"--{name.replace('_', '-')} {value!r}: sbatch reads #SBATCH "
                              "values up to the first space; give one without")
    if values["output"] is None:
        logs = settings.scratch_root / LOG_DIR
        if any(c.isspace() for c in str(logs)):
            raise ConfigError(f"{logs}: a log path with a space cannot go in #SBATCH; "
                              "give --output")
        _make_log_dir(logs)
        values["output"] = f"{logs}/%x-%j.out"
    options = JobOptions(nodes=args.nodes, ntasks_per_node=args.ntasks_per_node,
                         cpus_per_task=args.cpus_per_task, **values)
    # The node runs this very scratchenv, with the same --root/--config; the project is
    # exported in the script instead, so the user's commands see it too.
    flags = [flag for flag in global_flags(args) if not flag.startswith("--project=")]
    layout = settings.project_layout
    names = managed_names(build_plan(settings))
    output.write(render_job_script(scratchenv_command() + flags, project=settings.project,
                                   command=command, options=options,
                                   venv_var=layout.venv_var if layout else None,
                                   torchrun=args.torchrun, guard_names=names))
    return 0


def _make_log_dir(path) -> None:
    # Slurm does not create the --output directory: a job whose log directory is missing
    # fails at once with no log at all.
    from scratchenv.errors import ScratchenvError

    try:
        path.mkdir(mode=0o700, parents=False, exist_ok=True)
    except FileNotFoundError:
        pass  # the root itself is missing: `verify --node` in the job says so
    except OSError as problem:
        raise ScratchenvError(f"cannot create {path}: {problem.strerror}") from None
