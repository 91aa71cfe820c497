"""`--format taskprolog` and `scratchenv taskprolog`: read the way slurmstepd reads a
TaskProlog's output (slurm.conf(5): everything after `=` to the end of the line is the value,
no quoting), they give the JSON values; what Slurm cannot carry is refused."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HOSTILE_NAME
from helpers.cli import cli

import scratchenv
from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError
from scratchenv.plan import build_plan
from scratchenv.shells import renderer


def as_slurm_reads(text: str) -> dict[str, str]:
    values = {}
    for line in text.split("\n"):
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            values[name] = value
    return values


def test_slurm_reads_the_json_values_even_for_a_hostile_root(tmp_path, monkeypatch):
    root = tmp_path / HOSTILE_NAME.replace("\n", "")
    root.mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    plan = build_plan(load_settings())
    environ = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin", "SLURM_JOB_ID": "5",
               "TMPDIR": str(tmp_path)}
    expected = json.loads(renderer("json").render(plan, environ))
    assert as_slurm_reads(renderer("taskprolog").render(plan, environ)) == expected
    assert expected["TRITON_CACHE_DIR"] == f"{tmp_path}/scratchenv-{plan.user}/cache/triton"


def test_a_value_slurm_cannot_carry_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "a\nb"
    root.mkdir()
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    with pytest.raises(ConfigError, match="TaskProlog cannot carry"):
        renderer("taskprolog").render(build_plan(load_settings()), os.environ)
    shown = cli("env", "--format", "taskprolog")
    assert (shown.returncode, shown.stdout) == (2, "")
    # As the TaskProlog: nothing set, one line, and the job goes on (exit 0).
    prolog = cli("taskprolog", env={**os.environ, "SLURM_TASK_PID": "42"})
    assert prolog.returncode == 0
    assert prolog.stderr.count("\n") == 1 and "TaskProlog cannot carry" in prolog.stderr
    assert prolog.stdout.startswith("print scratchenv: warning: taskprolog: ")
    assert prolog.stdout.count("\n") == 1 and "export" not in prolog.stdout


def test_the_taskprolog_makes_the_node_directory_or_keeps_caches_on_scratch(
        root, tmp_path, monkeypatch):
    job = {**os.environ, "SLURM_JOB_ID": "5", "TMPDIR": str(tmp_path), "USER": "alice"}
    made = cli("taskprolog", env=job)
    mine = tmp_path / "scratchenv-alice"
    assert made.returncode == 0 and made.stderr == ""
    assert f"export TRITON_CACHE_DIR={mine}/cache/triton\n" in made.stdout
    assert oct(mine.stat().st_mode & 0o777) == "0o700"
    mine.chmod(0o777)  # writable by others: refused
    refused = cli("taskprolog", env=job)
    assert refused.returncode == 0 and refused.stderr.count("\n") == 1
    assert f"export TRITON_CACHE_DIR={root}/cache/triton\n" in refused.stdout


@pytest.mark.parametrize("pattern", ["{tmp}/local/{{env[SLURM_JOB_ID]}}", "{{env[L_SCRATCH]}}"])
def test_the_next_job_is_answered_from_the_cache_with_its_own_node_directory(
        pattern, root, tmp_path, monkeypatch):
    # A node_local naming the job (Slurm's id, or a centre's per-job variable): the one part
    # of the answer that changes with every job.
    monkeypatch.setenv("SCRATCHENV_NODE_LOCAL", pattern.format(tmp=tmp_path))
    (tmp_path / "local").mkdir()

    def job_env(job: str) -> dict[str, str]:
        return {**os.environ, "SLURM_JOB_ID": job, "L_SCRATCH": f"{tmp_path}/local/{job}"}

    first = cli("taskprolog", env=job_env("7"))
    assert (first.returncode, first.stderr) == (0, "")
    assert f"export TRITON_CACHE_DIR={tmp_path}/local/7/cache/triton\n" in first.stdout
    job = {**job_env("8"), "SLURM_TASK_PID": "1"}
    code = ("import sys; from scratchenv.main import main; code = main(['taskprolog']); "
            "print(code, 'pydantic' in sys.modules, file=sys.stderr)")
    second = subprocess.run([sys.executable, "-c", code], env=job, capture_output=True,
                            text=True)
    assert second.stderr == "0 False\n"  # from the cache: no settings were built
    assert oct((tmp_path / "local" / "8").stat().st_mode & 0o777) == "0o700"
    assert second.stdout == renderer("taskprolog").render(build_plan(load_settings()), job)


def test_a_cached_answer_is_not_used_where_the_node_directory_is_not_the_users(
        root, tmp_path):
    job = {**os.environ, "SLURM_JOB_ID": "5", "TMPDIR": str(tmp_path), "USER": "alice"}
    assert cli("taskprolog", env=job).stderr == ""
    mine = tmp_path / "scratchenv-alice"
    mine.rmdir()
    mine.symlink_to(tmp_path)  # made by someone else between two jobs
    refused = cli("taskprolog", env=job)
    assert refused.returncode == 0 and "is a symbolic link" in refused.stderr
    assert f"export TRITON_CACHE_DIR={root}/cache/triton\n" in refused.stdout


def test_the_renderer_reads_only_the_variables_it_prints(root):
    from scratchenv.login.recorded import RecordingEnviron

    plan = build_plan(load_settings())
    environ = RecordingEnviron({**os.environ, "SLURM_JOB_ID": "5", "SLURM_TASK_PID": "9"})
    renderer("taskprolog").render(plan, environ)
    printed = {change.name for change in plan.variables} | {"PATH"}
    assert environ.read - printed <= {"SLURM_JOB_ID", "SLURM_TMPDIR", "TMPDIR", "HOME"}


def wrapper_argv(program: str, *python_options: str) -> list[str]:
    """The generated wrapper's command (`exec PYTHON OPTIONS...`), with `python_options`."""
    exec_, python, *rest = shlex.split(program.splitlines()[-1])
    assert exec_ == "exec"
    return [python, *python_options, *rest]


def imported(importtime: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in importtime.splitlines()
            if line.startswith("import time:")}


def test_the_generated_wrapper_runs_this_install_and_answers_a_repeat_task_without_site(
        root, tmp_path):
    program = cli("taskprolog", "--wrapper")
    assert (program.returncode, program.stderr) == (0, "")
    # This install, as it runs now: its interpreter, the directory holding the package.
    assert wrapper_argv(program.stdout)[0] == sys.executable
    assert repr(str(Path(scratchenv.__file__).resolve().parent.parent)).strip("'") in \
        program.stdout
    wrapper = tmp_path / "taskprolog"
    wrapper.write_text(program.stdout)
    wrapper.chmod(0o755)
    job = {**os.environ, "SLURM_JOB_ID": "5", "TMPDIR": str(tmp_path)}
    expected = renderer("taskprolog").render(build_plan(load_settings()), job)
    # The job's own PYTHONPATH does not reach the site's interpreter (nor does ours: the
    # wrapper names the package's directory itself): a user's broken pydantic is not used.
    (tmp_path / "mine" / "pydantic").mkdir(parents=True)
    (tmp_path / "mine" / "pydantic" / "__init__.py").write_text("raise ImportError('mine')\n")
    job["PYTHONPATH"] = str(tmp_path / "mine")

    first = subprocess.run([str(wrapper)], env=job, cwd=tmp_path, capture_output=True,
                           text=True)
    assert (first.returncode, first.stderr, first.stdout) == (0, "", expected)
    second = subprocess.run(wrapper_argv(program.stdout, "-X", "importtime"), env=job,
                            cwd=tmp_path, capture_output=True, text=True)
    assert (second.returncode, second.stdout) == (0, expected)
    modules = imported(second.stderr)
    assert "scratchenv.login.cache" in modules  # the kept answer, without site or pydantic
    assert "site" not in modules and not any(m.startswith("pydantic") for m in modules)


def test_a_wrapper_whose_install_is_gone_says_so_and_never_fails_the_job(tmp_path):
    from scratchenv.shells.taskprolog import wrapper as generated

    program = tmp_path / "taskprolog"
    program.write_text(generated(sys.executable, str(tmp_path / "moved"), "0"))
    program.chmod(0o755)
    done = subprocess.run([str(program)], env={"PATH": "/usr/bin:/bin", "SLURM_TASK_PID": "7"},
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.count("\n") == 1
    assert "is gone: run `scratchenv taskprolog --wrapper` again" in done.stderr
    assert done.stdout == f"print {done.stderr}"  # the job's output: no variables
    with pytest.raises(ConfigError):
        generated(sys.executable, "/opt/a\nb", "0")
