"""A Slurm job script (bash) that activates the scratch environment and checks the node first."""

from __future__ import annotations

from collections.abc import Sequence

from scratchenv.shells.base import Renderer
from scratchenv.shells.posix import PosixRenderer


def render_job_script(
    scratchenv: Sequence[str], *, project: str | None = None, command: Sequence[str] = ()
) -> str:
    """The job script: `#SBATCH` header, activation sourced, `verify --node`, then `command`.

    `scratchenv`: how to run scratchenv on the node (absolute paths, global flags).
    `command`: the user's command as an argument list; a commented example when empty.
    """
    quote = PosixRenderer().quote
    invoke = " ".join(quote(arg) for arg in scratchenv)
    user_command = (
        " ".join(quote(arg) for arg in command) if command
        else "# Your commands, e.g. one task per node with this environment:\n"
             "# srun python -m train"
    )
    return Renderer.fill(
        "job.slurm",
        job_name=project or "scratchenv-job",
        project=f"export SCRATCHENV_PROJECT={quote(project)}" if project else "",
        scratchenv=invoke,
        commands=user_command,
    )
