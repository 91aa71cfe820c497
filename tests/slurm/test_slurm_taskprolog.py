"""Site-wide through Slurm itself: `TaskProlog=` in slurm.conf runs the program `scratchenv
taskprolog --wrapper` printed, as the job's user before every task, on a real one-node Slurm
(tests/helpers/slurm.py), for a real user without any rc block or config of their own
(tests/helpers/users.py)."""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
from pathlib import Path

from helpers.slurm import read_env, submitted_id
from helpers.users import ALICE, People


def site_setup(people: People, site_prolog: Path, program: str) -> Path:
    """The site config (root_pattern, owned by root) and the TaskProlog program; returns
    the site config."""
    site = site_prolog / "site.toml"
    site.write_text(f'root_pattern = "{people.base}/private-{{user}}/scratch"\n')
    site.chmod(0o644)
    prolog = site_prolog / "taskprolog"
    prolog.write_text(program)
    prolog.chmod(0o755)
    return site


def scratchenv_prolog(people: People, site_prolog: Path, site: Path) -> str:
    """What a site's TaskProlog= points at: what `scratchenv taskprolog --wrapper` prints for
    a site install the user can run (a venv whose site-packages names this checkout and its
    dependencies in a .pth file, as an editable install does), with the test's site config
    exported in its second line."""
    venv = site_prolog / "venv"
    if not venv.exists():
        subprocess.run([people.python, "-m", "venv", "--without-pip", str(venv)], check=True)
        (site_packages,) = venv.glob("lib/python3*/site-packages")
        (site_packages / "scratchenv-checkout.pth").write_text(
            people.pythonpath.replace(":", "\n") + "\n")
    made = subprocess.run([str(venv / "bin" / "python"), "-m", "scratchenv", "taskprolog",
                           "--wrapper"], env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                          cwd="/", capture_output=True, text=True)
    assert made.returncode == 0 and made.stdout.startswith("#!/bin/sh\n"), made.stderr
    shebang, rest = made.stdout.split("\n", 1)
    return f"{shebang}\nexport SCRATCHENV_SITE_CONFIG={shlex.quote(str(site))}\n{rest}"


def test_a_user_without_any_setup_gets_the_scratch_environment_in_every_task(
        cluster, site_prolog, people):
    site = site_prolog / "site.toml"
    site_setup(people, site_prolog, "")
    site_setup(people, site_prolog, scratchenv_prolog(people, site_prolog, site))
    root = people.mkdir(ALICE, people.root(ALICE).parent, mode=0o700) / "scratch"
    people.mkdir(ALICE, root, mode=0o700)
    out = people.home(ALICE) / "job"
    people.mkdir(ALICE, out, mode=0o700)
    job = people.write(ALICE, out / "job.sh",
                       f'#!/bin/bash\nenv -0 > {out}/batch.env\n'
                       f'srun bash -c "env -0 > {out}/step.env"\n', mode=0o755)
    node_tmp = people.shared  # 1777, like /tmp
    own_path = str(people.home(ALICE) / "lib")  # her PYTHONPATH, not the TaskProlog's
    # Alice never ran `init`: no rc block, no config, nothing exported by her.
    job_id = submitted_id(people.run(ALICE, "sbatch", f"--output={out}/%j.out", str(job),
                                     TMPDIR=str(node_tmp), PYTHONPATH=own_path,
                                     **cluster.env))
    state = cluster.wait_for_job(job_id)
    log = (out / f"{job_id}.out").read_text() if (out / f"{job_id}.out").exists() else ""
    assert state["JobState"] == "COMPLETED", (state, log)

    expected = people.scratchenv(ALICE, "env", "--format", "json", SCRATCHENV_SITE_CONFIG=str(site),
                                 SLURM_JOB_ID=job_id, TMPDIR=str(node_tmp))
    assert expected.returncode == 0, expected.stderr
    values = json.loads(expected.stdout)
    mine = node_tmp / f"scratchenv-{ALICE}"
    assert values["TRITON_CACHE_DIR"] == f"{mine}/cache/triton"
    for name in ("batch.env", "step.env"):
        env = read_env(out / name)
        for variable, value in values.items():
            assert env.get(variable) == value, (name, variable)
        assert env.get("PYTHONPATH") == own_path  # nothing of the TaskProlog's own
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
    # The first task kept its answer: the next ones start Python without site or pydantic.
    assert list((people.home(ALICE) / ".local/state/scratchenv/cache").glob("taskprolog-*"))


def test_a_problem_is_one_line_and_never_fails_the_job(cluster, site_prolog, people):
    site = site_prolog / "site.toml"
    site_setup(people, site_prolog, scratchenv_prolog(people, site_prolog, site))
    site.write_text("this is = = not toml\n")
    out = people.home(ALICE) / "job"
    people.mkdir(ALICE, out, mode=0o700)
    job = people.write(ALICE, out / "job.sh", f"#!/bin/bash\nenv -0 > {out}/batch.env\n",
                       mode=0o755)
    job_id = submitted_id(people.run(ALICE, "sbatch", f"--output={out}/%j.out", str(job),
                                     **cluster.env))
    state = cluster.wait_for_job(job_id)
    assert state["JobState"] == "COMPLETED", state
    env = read_env(out / "batch.env")
    assert "HF_HOME" not in env and "TRITON_CACHE_DIR" not in env
    # Slurm drops a TaskProlog's stderr: the one line reaches the job's output via `print`.
    log = (out / f"{job_id}.out").read_text().splitlines()
    assert len(log) == 1 and log[0].startswith("scratchenv: warning: taskprolog: no scratch "
                                               "environment for this task: "), log
