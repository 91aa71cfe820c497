"""A Slurm job script (bash) that activates the scratch environment and checks the node first."""

from __future__ import annotations

from collections.abc import Sequence

from scratchenv.plain import record
from scratchenv.shells.base import Renderer
from scratchenv.shells.guard import render_guard
from scratchenv.shells.posix import PosixRenderer

PYTHONS = ("python", "python3")
RENDEZVOUS_PORT = 29500


@record
class JobOptions:
    """What goes into the `#SBATCH` header; None leaves an option to the site's default."""

    job_name: str | None = None
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    time: str | None = "01:00:00"
    nodes: int = 1
    ntasks_per_node: int = 1
    cpus_per_task: int | None = None
    mem: str | None = None
    gpus: str | None = None
    gres: str | None = None
    output: str | None = "%x-%j.out"

    def header(self, default_name: str) -> list[str]:
        values = [("job-name", self.job_name or default_name), ("partition", self.partition),
                  ("account", self.account), ("qos", self.qos), ("time", self.time),
                  ("nodes", str(self.nodes)), ("ntasks-per-node", str(self.ntasks_per_node)),
                  ("cpus-per-task", _text(self.cpus_per_task)), ("mem", self.mem),
                  ("gpus", self.gpus), ("gres", self.gres), ("output", self.output)]
        # sbatch reads `#SBATCH` lines up to the first command and does no shell quoting:
        # a value with a space would be cut there, so the CLI refuses those.
        return [f"#SBATCH --{name}={value}" for name, value in values if value]


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def render_job_script(
    scratchenv: Sequence[str], *, project: str | None = None, command: Sequence[str] = (),
    options: JobOptions | None = None, venv_var: str | None = None, torchrun: bool = False,
    guard_names: Sequence[str] = (),
) -> str:
    """The job script: `#SBATCH` header, activation sourced, `verify --node`, the project
    venv activated when it exists, then `command` (through torchrun with `torchrun`).

    `scratchenv`: how to run scratchenv on the node (absolute paths, global flags).
    `command`: the user's command as an argument list; a commented example when empty.
    `venv_var`: the variable that holds the project venv's path (VENV_PATH).
    `guard_names`: the managed variables the run-time guard watches (shells/guard.py).
    """
    options = options or JobOptions()
    quote = PosixRenderer().quote
    invoke = " ".join(quote(arg) for arg in scratchenv)
    if torchrun:
        user_command = _torchrun(command, options.nodes, quote)
    elif command:
        user_command = " ".join(quote(arg) for arg in command)
    else:
        user_command = ("# Your commands, e.g. one task per node with this environment:\n"
                        "# srun python -m train")
    return Renderer.fill(
        "job.slurm",
        header="\n".join(options.header(project or "scratchenv-job")),
        project=f"export SCRATCHENV_PROJECT={quote(project)}" if project else "",
        scratchenv=invoke,
        venv=_venv_lines(venv_var),
        guard=render_guard(guard_names) if guard_names else "",
        commands=user_command,
    )


def _venv_lines(var: str | None) -> str:
    # Login shells follow `activate_venv` (default off); a job runs the project's code, so
    # it always uses a venv when there is one: the checkout's .venv (`link-venv`, uv sync),
    # else the project venv (`scratchenv bootstrap --venv`).
    lines = ["# The venv, activated in the job whatever `activate_venv` says for login shells:",
             "# the checkout's .venv (the job starts where it was submitted) when there is one"
             + (f",\n# else ${var}." if var else "."),
             "if [ -f .venv/bin/activate ]; then",
             "    source .venv/bin/activate"]
    if var:
        lines += [f'elif [ -f "${{{var}:-}}/bin/activate" ]; then',
                  f'    source "${var}/bin/activate"']
    return "\n".join([*lines, "fi", ""])


def _torchrun(command: Sequence[str], nodes: int, quote) -> str:
    """`python -m x ...` as torchrun: one process per GPU of the node; across nodes, one
    torchrun per node (srun) meeting at the first node (c10d rendezvous)."""
    args = list(command)
    if args[:1] and args[0].rsplit("/", 1)[-1] in PYTHONS:
        args = args[1:]  # torchrun runs the python of the venv itself: `-m x` or `x.py`
    rest = " ".join(quote(arg) for arg in args) if args else "-m train"
    procs = '--nproc_per_node="${SLURM_GPUS_ON_NODE:-1}"'
    if nodes <= 1:
        return (f"# One process per GPU of this node.\n"
                f"torchrun --standalone {procs} {rest}")
    return (
        "# One torchrun per node (srun, --ntasks-per-node=1), one process per GPU; they\n"
        "# meet at the job's first node (rendezvous from the Slurm environment).\n"
        'MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"\n'
        f"MASTER_PORT={RENDEZVOUS_PORT}\n"
        f'srun --ntasks-per-node=1 torchrun --nnodes="$SLURM_JOB_NUM_NODES" {procs} \\\n'
        '    --rdzv_id="$SLURM_JOB_ID" --rdzv_backend=c10d '
        '--rdzv_endpoint="$MASTER_ADDR:$MASTER_PORT" \\\n'
        f"    {rest}"
    )
