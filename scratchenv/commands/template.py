from __future__ import annotations

import argparse

from scratchenv.commands import global_flags, settings_from

HELP = "print a job script: scratchenv template slurm --project NAME > job.slurm"


def configure(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    slurm = kinds.add_parser("slurm", help="a bash job script for sbatch",
                             description="a bash job script for sbatch: #SBATCH header, the "
                                         "activation sourced, verify --node, your command")
    # Its own dest: a subcommand's default would otherwise hide the global --project.
    slurm.add_argument("--project", dest="template_project", metavar="NAME",
                       help="the project the job activates (default: the global --project)")
    # The only positional, so the options before it are still read: `... -- python -m x`.
    slurm.add_argument("command", nargs=argparse.REMAINDER,
                       help="the job's command, after -- (default: a commented example)")


def run(args: argparse.Namespace) -> int:
    from scratchenv import output
    from scratchenv.commands.init import scratchenv_command
    from scratchenv.shells.jobscript import render_job_script

    args.project = args.template_project or args.project
    settings = settings_from(args)  # a bad project name or config fails here, not in the job
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    # The node runs this very scratchenv, with the same --root/--config; the project is
    # exported in the script instead, so the user's commands see it too.
    flags = [flag for flag in global_flags(args) if not flag.startswith("--project=")]
    output.write(render_job_script(scratchenv_command() + flags, project=settings.project,
                                   command=command))
    return 0
