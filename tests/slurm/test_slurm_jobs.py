"""Real jobs on a real one-node Slurm on loopback (tests/helpers/slurm.py starts it as root).

Without root, outside CI, these skip; in CI they fail when Slurm cannot be started.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import cli
from helpers.slurm import Cluster, read_env, submitted_id
from helpers.users import ALICE, MALLORY, People, uid_of

from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan

SCRATCHENV = shlex.join([sys.executable, "-m", "scratchenv"])


@pytest.fixture
def slurm(cluster: Cluster, root: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    """The cluster, with SLURM_CONF set for everything this test starts."""
    for name, value in cluster.env.items():
        monkeypatch.setenv(name, value)
    return cluster


def in_login_shell(commands: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `commands` in bash after sourcing the activation, as a user's shell would."""
    script = f'source "$({SCRATCHENV} activate --shell bash)" || exit 99\n{commands}'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def assert_scratch_environment(env: dict[str, str], root: Path, *, on_node: bool) -> None:
    """Every catalogue variable is where the Plan puts it; root-anchored ones under the
    scratch root (the token stays pinned in home). `on_node`: the job sourced the activation
    itself, so node-local caches are on its node's disk ($TMPDIR) instead."""
    plan = build_plan(load_settings())
    node_local = [change for change in plan.variables if change.node_local]
    assert plan.variables and node_local
    for change in plan.variables:
        expected = plan.exported_in(change, env) if on_node else change.exported
        assert env.get(change.name) == expected, change.name
        if change in node_local and on_node:
            assert env[change.name].startswith(env["TMPDIR"] + "/"), change.name
        elif change.entry is None or change.entry.anchor == "root":
            assert env[change.name].startswith(f"{root}/"), (change.name, env[change.name])


DUMP_ENV = '#!/bin/bash\nenv -0 > "$1"\n'


def test_a_job_sees_the_scratch_environment_whatever_the_site_exports(slurm, root, tmp_path):
    job = tmp_path / "job.sh"
    job.write_text(DUMP_ENV)
    out = tmp_path / "job.env"
    # The site's default: export nothing (SBATCH_EXPORT=NONE in its profile).
    result = in_login_shell(f"{SCRATCHENV} sbatch {job} {out}", SBATCH_EXPORT="NONE")
    state = slurm.wait_for_job(submitted_id(result))
    assert state["JobState"] == "COMPLETED", state
    assert_scratch_environment(read_env(out), root, on_node=False)

    # Plain sbatch under the same site default: the job has none of it.
    plain = tmp_path / "plain.env"
    result = in_login_shell(f"sbatch {job} {plain}", SBATCH_EXPORT="NONE")
    slurm.wait_for_job(submitted_id(result))
    assert "HF_HOME" not in read_env(plain)


def test_an_export_list_still_gives_the_job_the_plans_path(slurm, root, tmp_path):
    # Without PATH in the list, the job gets slurmd's PATH: no venv or Cargo bin.
    job = tmp_path / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH --export=OMP_NUM_THREADS\n" + DUMP_ENV.split("\n", 1)[1])
    out = tmp_path / "job.env"
    result = in_login_shell(f"{SCRATCHENV} sbatch {job} {out}", OMP_NUM_THREADS="1")
    slurm.wait_for_job(submitted_id(result))
    env = read_env(out)
    assert env["OMP_NUM_THREADS"] == "1"
    assert_scratch_environment(env, root, on_node=False)
    entries = [change.entry for change in build_plan(load_settings()).path_entries]
    assert entries and set(entries) <= set(env["PATH"].split(":"))


def test_the_template_job_activates_and_checks_its_node(slurm, root, tmp_path):
    made = cli("template", "slurm", "--project", "nanochat")
    assert made.returncode == 0, made.stderr
    job = tmp_path / "job.slurm"
    out = tmp_path / "job.env"
    job.write_text(made.stdout + f"env -0 > {shlex.quote(str(out))}\n")
    result = in_login_shell(f"{SCRATCHENV} sbatch --output={tmp_path}/%j.out {job}")
    job_id = submitted_id(result)
    state = slurm.wait_for_job(job_id)
    log = (tmp_path / f"{job_id}.out").read_text()
    assert state["JobState"] == "COMPLETED", (state, log)
    assert "scratchenv verify --node: ok" in log, log  # only problems and this line
    env = read_env(out)
    assert env["SCRATCHENV_PROJECT"] == "nanochat"
    assert env["NANOCHAT_BASE_DIR"] == f"{root}/nanochat-cache"
    assert_scratch_environment(env, root, on_node=True)


def test_a_script_that_clobbers_a_variable_is_caught_before_submission(slurm, tmp_path):
    job = tmp_path / "job.sh"
    job.write_text('#!/bin/bash\nexport HF_HOME="$HOME/.cache/huggingface"\npython train.py\n')
    before = slurm.job_ids()
    result = in_login_shell(f"{SCRATCHENV} sbatch {job}")
    assert result.returncode == 1, result.stderr
    assert "HF_HOME" in result.stderr and "not submitted" in result.stderr
    assert f"{job}:2" in result.stderr
    assert result.stdout == ""
    assert slurm.job_ids() == before


@pytest.mark.parametrize("broken", ["HF_HOME", "SCRATCHENV_ROOT"])
def test_a_broken_environment_never_reaches_the_queue(slurm, tmp_path, isolated, broken):
    job = tmp_path / "job.sh"
    job.write_text(DUMP_ENV)
    value = {"HF_HOME": f"{isolated}/.cache/huggingface",  # set by hand, after activation
             "SCRATCHENV_ROOT": str(tmp_path / "not-mounted")}[broken]
    before = slurm.job_ids()
    result = in_login_shell(f"export {broken}={shlex.quote(value)}\n"
                            f"{SCRATCHENV} sbatch {job} {tmp_path}/env")
    assert result.returncode == 1, result.stderr
    assert "not submitted" in result.stderr
    assert slurm.job_ids() == before
    assert slurm.run("squeue", "--noheader").stdout == ""


def test_force_submits_anyway_and_says_so(slurm, root, tmp_path, isolated):
    job = tmp_path / "job.sh"
    job.write_text(DUMP_ENV)
    out = tmp_path / "job.env"
    result = in_login_shell(f"export HF_HOME={isolated}/.cache/hf\n"
                            f"{SCRATCHENV} sbatch --force {job} {out}")
    assert "SUBMITTING ANYWAY" in result.stderr
    slurm.wait_for_job(submitted_id(result))
    assert read_env(out)["HF_HOME"] == f"{root}/cache/huggingface"  # the job got the Plan's


def test_verify_all_nodes_runs_through_srun(slurm):
    result = in_login_shell(f"salloc --nodes=1 {SCRATCHENV} verify --all-nodes")
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.splitlines()[0].split() == ["NODE", "RESULT", "DETAIL"]
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [row[:2] for row in rows] == [[slurm.node, "ok"]], result.stdout


def test_verify_all_nodes_names_the_failing_node(slurm, tmp_path):
    missing = tmp_path / "not-mounted"
    result = in_login_shell(f"export SCRATCHENV_ROOT={missing}\n"
                            f"salloc --nodes=1 {SCRATCHENV} verify --all-nodes")
    assert result.returncode == 1, result.stderr + result.stdout
    row = result.stdout.splitlines()[1]
    assert row.split()[:2] == [slurm.node, "FAILED"]
    assert f"{missing}: the scratch root does not exist" in row


def test_verify_all_nodes_checks_what_was_asked_on_every_node(slurm):
    result = in_login_shell(f"salloc --nodes=1 {SCRATCHENV} verify --all-nodes --need 500T")
    assert result.returncode == 1, result.stderr + result.stdout
    row = result.stdout.splitlines()[1]
    assert row.split()[:2] == [slurm.node, "FAILED"]
    assert "500T needed" in row


def test_verify_all_nodes_needs_an_allocation(slurm):
    result = in_login_shell(f"unset SLURM_JOB_ID\n{SCRATCHENV} verify --all-nodes")
    assert result.returncode == 2
    assert "inside an allocation" in result.stderr


def test_the_template_job_runs_the_project_venvs_python(slurm, root, tmp_path):
    """`template slurm -- python ...` submitted as is: `python` is the venv's, inside the
    job, though `activate_venv` is off; the Slurm log lands under the root."""
    venv = root / "nanochat-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    out = tmp_path / "inside.env"
    made = cli("template", "slurm", "--project", "nanochat", "-J", "venvjob", "--", "python",
               "-c", "import os, sys; open(sys.argv[1], 'w').write("
               "'\\0'.join(f'{k}={v}' for k, v in os.environ.items())"
               " + f'\\0PYTHON={sys.executable}\\0PREFIX={sys.prefix}')",
               str(out))
    assert made.returncode == 0, made.stderr
    job = tmp_path / "job.slurm"
    job.write_text(made.stdout)
    job_id = submitted_id(in_login_shell(f"{SCRATCHENV} sbatch {job}"))
    state = slurm.wait_for_job(job_id)
    log = root / "logs" / f"venvjob-{job_id}.out"
    assert state["JobState"] == "COMPLETED", (state, log.read_text() if log.exists() else "")
    env = read_env(out)
    assert env["PREFIX"] == str(venv) and env["PYTHON"] == f"{venv}/bin/python"
    assert env["SCRATCHENV_PROJECT"] == "nanochat"
    assert_scratch_environment(env, root, on_node=True)


def test_an_export_of_home_is_refused_and_a_forced_job_stops_at_its_guard(
        slurm, root, tmp_path, isolated):
    """`#SBATCH --export=ALL,HF_HOME=<home>`: the gate refuses (nothing queued); with
    --force the job is submitted with the guard and stops at its start, one clear line."""
    ran = tmp_path / "ran"
    job = tmp_path / "job.sh"
    job.write_text(f"#!/bin/bash\n#SBATCH --export=ALL,HF_HOME={isolated}/hf\n"
                   f"#SBATCH --output={tmp_path}/%j.out\ntouch {ran}\n")
    before = slurm.job_ids()
    refused = in_login_shell(f"{SCRATCHENV} sbatch {job}")
    assert refused.returncode == 1, refused.stderr
    assert f"{job}:2" in refused.stderr and "HF_HOME" in refused.stderr
    assert slurm.job_ids() == before
    forced = in_login_shell(f"{SCRATCHENV} sbatch --force {job}")
    assert "SUBMITTING ANYWAY" in forced.stderr
    job_id = submitted_id(forced)
    state = slurm.wait_for_job(job_id)
    log = (tmp_path / f"{job_id}.out").read_text()
    assert state["JobState"] == "FAILED", (state, log)
    assert f"scratchenv guard: HF_HOME points at home ({isolated}/hf)" in log, log
    assert not ran.exists()
    assert "scratchenv guard" not in job.read_text()  # the original is left alone


def test_guard_stops_a_job_at_the_line_only_run_time_can_judge(slurm, root, tmp_path, isolated):
    """`eval` of text made at run time passes the gate with a warning; the guarded job stops
    before the next command, and the commands before it ran."""
    before_bad, after_bad = tmp_path / "before", tmp_path / "after"
    job = tmp_path / "job.sh"
    job.write_text(f"#!/bin/bash\n#SBATCH --output={tmp_path}/%j.out\ntouch {before_bad}\n"
                   'eval "$(echo export HF_HOME=~/hf)"\n'
                   f"touch {after_bad}\n")
    result = in_login_shell(f"{SCRATCHENV} sbatch --guard {job}")
    assert "cannot tell: eval runs text made at run time" in result.stderr
    job_id = submitted_id(result)
    state = slurm.wait_for_job(job_id)
    log = (tmp_path / f"{job_id}.out").read_text()
    assert state["JobState"] == "FAILED", (state, log)
    assert f"scratchenv guard: HF_HOME points at home ({isolated}/hf)" in log, log
    assert before_bad.exists() and not after_bad.exists()


def test_a_good_guarded_job_runs_to_the_end(slurm, root, tmp_path):
    out = tmp_path / "job.env"
    job = tmp_path / "job.sh"
    job.write_text(f"#!/bin/bash\n#SBATCH --output={tmp_path}/%j.out\nenv -0 > {out}\n")
    job_id = submitted_id(in_login_shell(f"{SCRATCHENV} sbatch --guard {job}"))
    state = slurm.wait_for_job(job_id)
    assert state["JobState"] == "COMPLETED", (state, (tmp_path / f"{job_id}.out").read_text())
    assert_scratch_environment(read_env(out), root, on_node=False)


@pytest.mark.parametrize("options", [
    ["--wrap", "export HF_HOME=$HOME/hf; python train.py"],
    ["--export=ALL,HF_HOME=$HOME/hf", "--wrap", "python train.py"],
])
def test_wrap_and_export_on_the_command_line_are_gated(slurm, root, options):
    before = slurm.job_ids()
    result = in_login_shell(f"{SCRATCHENV} sbatch {shlex.join(options)}")
    assert result.returncode == 1, result.stderr
    assert "re-points HF_HOME at home" in result.stderr and "not submitted" in result.stderr
    assert slurm.job_ids() == before


def _users_template_job(people: People, who: str, cluster: Cluster, node_tmp: Path) -> str:
    """Submit, as `who`, the template job plus a tool's `mkdir -p` of its kernel cache;
    the job's log once it has finished COMPLETED."""
    people.configure(who)
    extra = {**cluster.env, "TMPDIR": str(node_tmp)}
    made = people.scratchenv(who, "template", "slurm", "-J", f"twousers-{who}", **extra)
    assert made.returncode == 0, made.stderr
    job = people.write(who, people.home(who) / "job.slurm",
                       made.stdout + 'mkdir -p "$TRITON_CACHE_DIR"  # what Triton does\n')
    submitted = people.run(who, "sbatch", str(job), **extra)
    job_id = submitted_id(submitted)
    state = cluster.wait_for_job(job_id)
    log = people.root(who) / "logs" / f"twousers-{who}-{job_id}.out"
    text = log.read_text() if log.exists() else ""
    assert state["JobState"] == "COMPLETED", (who, state, text)
    return text


def test_two_users_run_template_jobs_on_one_node_one_after_the_other(slurm, people, tmp_path):
    """Slurm's default TMPDIR is /tmp, shared: the first user's node-local caches must not
    stand in the second user's way (nor be theirs to write)."""
    node_tmp = people.shared  # 1777, like /tmp
    for who in (ALICE, MALLORY):
        log = _users_template_job(people, who, slurm, node_tmp)
        assert "scratchenv verify --node: ok" in log, log
        mine = node_tmp / f"scratchenv-{who}"
        assert mine.is_dir() and not mine.is_symlink()
        assert (mine.stat().st_uid, stat.S_IMODE(mine.stat().st_mode)) == (uid_of(who)[0], 0o700)
        assert (mine / "cache" / "triton").is_dir()
    assert sorted(p.name for p in node_tmp.iterdir()) == [f"scratchenv-{ALICE}",
                                                          f"scratchenv-{MALLORY}"]
