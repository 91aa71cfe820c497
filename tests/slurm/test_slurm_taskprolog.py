"""Site-wide through Slurm itself: `TaskProlog=` in slurm.conf runs `scratchenv taskprolog` as
the job's user before every task, on a real one-node Slurm (tests/slurm_cluster.py), for a
real user without any rc block or config of their own (tests/two_users.py)."""

from __future__ import annotations

import json
import os
import shlex
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import unavailable
from slurm_cluster import Cluster, SlurmUnavailable, running_cluster, unavailable_reason
from test_slurm_jobs import read_env, submitted_id
from two_users import ALICE, People, people_fixture  # noqa: F401


@pytest.fixture(scope="module")
def prolog_dir() -> Iterator[Path]:
    """Where the site's TaskProlog program lives (written by each test, as a site would)."""
    path = Path(tempfile.mkdtemp(prefix="scratchenv-prolog-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


@pytest.fixture(scope="module")
def prolog_cluster(prolog_dir: Path) -> Iterator[Cluster]:
    reason = unavailable_reason()
    if reason and os.geteuid() != 0:
        unavailable(f"no test Slurm: {reason}")
    try:
        with running_cluster(extra=[f"TaskProlog={prolog_dir}/taskprolog"]) as running:
            yield running
    except SlurmUnavailable as error:
        pytest.fail(f"cannot start the test Slurm: {error}")


def site_setup(people: People, prolog_dir: Path, program: str) -> Path:
    """The site config (root_pattern, owned by root) and the TaskProlog program; returns
    the site config."""
    site = prolog_dir / "site.toml"
    site.write_text(f'root_pattern = "{people.base}/private-{{user}}/scratch"\n')
    site.chmod(0o644)
    prolog = prolog_dir / "taskprolog"
    prolog.write_text(program)
    prolog.chmod(0o755)
    return site


def scratchenv_prolog(people: People, site: Path) -> str:
    """What a site's TaskProlog= points at: Slurm passes no arguments, so a two-line wrapper."""
    env = shlex.join(["env", f"PYTHONPATH={people.pythonpath}", f"SCRATCHENV_SITE_CONFIG={site}"])
    return f"#!/bin/sh\nexec {env} {shlex.quote(people.python)} -m scratchenv taskprolog\n"


def test_a_user_without_any_setup_gets_the_scratch_environment_in_every_task(
        prolog_cluster, prolog_dir, people):
    site = prolog_dir / "site.toml"
    site_setup(people, prolog_dir, "")
    site_setup(people, prolog_dir, scratchenv_prolog(people, site))
    root = people.mkdir(ALICE, people.root(ALICE).parent, mode=0o700) / "scratch"
    people.mkdir(ALICE, root, mode=0o700)
    out = people.home(ALICE) / "job"
    people.mkdir(ALICE, out, mode=0o700)
    job = people.write(ALICE, out / "job.sh",
                       f'#!/bin/bash\nenv -0 > {out}/batch.env\n'
                       f'srun bash -c "env -0 > {out}/step.env"\n', mode=0o755)
    node_tmp = people.shared  # 1777, like /tmp
    # Alice never ran `init`: no rc block, no config, nothing exported by her.
    job_id = submitted_id(people.run(ALICE, "sbatch", f"--output={out}/%j.out", str(job),
                                     TMPDIR=str(node_tmp), **prolog_cluster.env))
    state = prolog_cluster.wait_for_job(job_id)
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
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700


def test_a_problem_is_one_line_and_never_fails_the_job(prolog_cluster, prolog_dir, people):
    site = prolog_dir / "site.toml"
    site_setup(people, prolog_dir, scratchenv_prolog(people, site))
    site.write_text("this is = = not toml\n")
    out = people.home(ALICE) / "job"
    people.mkdir(ALICE, out, mode=0o700)
    job = people.write(ALICE, out / "job.sh", f"#!/bin/bash\nenv -0 > {out}/batch.env\n",
                       mode=0o755)
    job_id = submitted_id(people.run(ALICE, "sbatch", f"--output={out}/%j.out", str(job),
                                     **prolog_cluster.env))
    state = prolog_cluster.wait_for_job(job_id)
    assert state["JobState"] == "COMPLETED", state
    env = read_env(out / "batch.env")
    assert "HF_HOME" not in env and "TRITON_CACHE_DIR" not in env
    # Slurm drops a TaskProlog's stderr: the one line reaches the job's output via `print`.
    log = (out / f"{job_id}.out").read_text().splitlines()
    assert len(log) == 1 and log[0].startswith("scratchenv: warning: taskprolog: no scratch "
                                               "environment for this task: "), log
