"""The run-time guard (shells/guard.py) and the static gate give one answer.

Every line of tests/job_scripts.py runs in real bash with the guard in front, as `sbatch
--guard` submits it (no Slurm needed), followed by the job's program, `python train.py`,
which fails when it sees a managed variable in home or unset: what the job would really
get. The run-time answer (the guard stopped the job, or the program saw home) must be the
gate's answer (fail, or not: a "cannot tell" warning does not stop a submission).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import unavailable
from helpers.job_scripts import CASES

from scratchenv.checks.script import lint
from scratchenv.shells.guard import PREFIX, render_guard
from scratchenv.slurm.guarded import has_guard, inject

NAMES = ["HF_HOME", "PIP_CACHE_DIR", "TORCH_HOME"]
TRAIN = f"""import os, sys
home = os.environ.get("HOME", "")
for name in {NAMES!r}:
    value = os.environ.get(name)
    if value is None or not home or value == home or value.startswith(home + "/"):
        sys.exit(f"train.py saw {{name}}={{value}}")
"""
SRUN = """#!/bin/sh
# srun on one node without Slurm: its options off, then the command.
while [ $# -gt 0 ]; do
    case "$1" in
        -N|-n|-p|-t) shift 2;;
        --export=ALL,*) export "${1#--export=ALL,}"; shift;;  # one NAME=VALUE is enough here
        -*) shift;;
        *) break;;
    esac
done
exec "$@"
"""
# What only the static reading can call home: another user's home directory. The guard
# knows the job's own $HOME (and its real path), not every user's.
ONLY_STATIC = {"export HF_HOME=~alice/hf"}


@pytest.fixture
def job_place(tmp_path: Path) -> dict[str, str]:
    if not shutil.which("bash"):
        unavailable("bash is not installed")
    home, scratch, work, bin_dir = (tmp_path / n for n in ("home", "scratch", "work", "bin"))
    for directory in (home, scratch, work, bin_dir):
        directory.mkdir(exist_ok=True)
    (work / "train.py").write_text(TRAIN)
    for name in ("python", "python3"):
        (bin_dir / name).symlink_to(sys.executable)
    (bin_dir / "srun").write_text(SRUN)
    (bin_dir / "srun").chmod(0o755)
    return {"HOME": str(home), "PATH": f"{bin_dir}:/usr/bin:/bin", "SCRATCH": str(scratch),
            "TMPDIR": str(tmp_path), "PWD": str(work),
            **{name: f"{scratch}/{name.lower()}" for name in NAMES}}


def run_guarded(script: str, env: dict[str, str], shell: str = "bash") -> str:
    """'fail' when the guard stopped the job or its program saw home, else 'pass'."""
    text = inject(script, render_guard(NAMES))
    result = subprocess.run([shell, "-c", text], capture_output=True, text=True, timeout=60,
                            env=env, cwd=env["PWD"])
    if PREFIX in result.stderr or "train.py saw" in result.stderr:
        return "fail"
    assert result.returncode == 0, result.stderr  # nothing else may stop the job
    return "pass"


def gate(script: str) -> str:
    problems = lint(script, names=NAMES, home="/home/u")
    return "fail" if any(problem.severity == "fail" for problem in problems) else "pass"


@pytest.mark.slow
@pytest.mark.parametrize(("line", "expected"), CASES)
def test_the_guard_and_the_gate_agree(job_place: dict[str, str], line: str,
                                      expected: str) -> None:
    script = f"#!/bin/bash\n#SBATCH --time=1\n{line}\npython train.py\n"
    if line in ONLY_STATIC:
        assert (gate(script), run_guarded(script, job_place)) == ("fail", "pass")
        return
    assert gate(script) == ("fail" if expected == "fail" else "pass")
    assert run_guarded(script, job_place) == gate(script)


def test_the_guard_itself_stops_what_the_shell_keeps(job_place: dict[str, str]) -> None:
    """Lines whose value lands in the job's shell are stopped by the guard before the next
    command runs (not by the program): one clear line on stderr, exit 1."""
    for line in ["export HF_HOME=$(echo ~)/hf", 'eval "$(echo export HF_HOME=~/hf)"',
                 "printf -v HF_HOME '%s/hf' \"$HOME\"", "unset TORCH_HOME",
                 "command export PIP_CACHE_DIR=~/pip"]:
        text = inject(f"#!/bin/bash\n{line}\ntouch reached\n", render_guard(NAMES))
        result = subprocess.run(["bash", "-c", text], capture_output=True, text=True,
                                env=job_place, cwd=job_place["PWD"], timeout=60)
        assert result.returncode != 0, line
        assert result.stderr.count(PREFIX) == 1, (line, result.stderr)
        assert not Path(job_place["PWD"], "reached").exists(), line


def test_the_guard_checks_the_jobs_environment_in_plain_sh(job_place: dict[str, str]) -> None:
    """`sbatch --wrap` runs /bin/sh: the start check works there too (no DEBUG trap)."""
    sh = shutil.which("dash") or shutil.which("sh")
    assert sh
    bad = {**job_place, "HF_HOME": f"{job_place['HOME']}/hf"}
    assert run_guarded("python train.py\n", job_place, shell=sh) == "pass"
    text = render_guard(NAMES) + "touch reached\n"
    result = subprocess.run([sh, "-c", text], capture_output=True, text=True, env=bad,
                            cwd=bad["PWD"], timeout=60)
    assert result.returncode == 1
    assert result.stderr == (f"{PREFIX} HF_HOME points at home ({bad['HF_HOME']}): stopping "
                             "the job (scratchenv lint-scripts shows the line; the job's "
                             "--export counts too)\n")
    assert not Path(bad["PWD"], "reached").exists()


def test_the_guard_goes_after_the_sbatch_header() -> None:
    script = "#!/bin/bash\n#SBATCH -p gpu\n\n#SBATCH --time=1\necho hi\n#SBATCH --late\n"
    guarded = inject(script, "GUARD\n")
    assert guarded == "#!/bin/bash\n#SBATCH -p gpu\n\n#SBATCH --time=1\nGUARD\necho hi\n" \
        "#SBATCH --late\n"
    assert not has_guard(script) and has_guard(inject(script, render_guard(NAMES)))


def test_a_name_that_is_not_a_variable_is_refused() -> None:
    with pytest.raises(ValueError, match="not a variable name"):
        render_guard(["HF_HOME; rm -rf ~"])


def test_the_guard_runs_verify_node_quietly_when_scratchenv_is_there(
        job_place: dict[str, str], tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "scratchenv"
    fake.write_text('#!/bin/sh\necho "$*" >> "$0.calls"\n[ ! -e "$0.broken" ]\n')
    fake.chmod(0o755)
    text = render_guard(NAMES, [str(fake)]) + "touch reached\n"
    run = subprocess.run(["bash", "-c", text], env=job_place, cwd=job_place["PWD"])
    assert run.returncode == 0
    assert Path(f"{fake}.calls").read_text() == "verify --node --quiet\n"
    Path(f"{fake}.broken").touch()
    Path(job_place["PWD"], "reached").unlink()
    assert subprocess.run(["bash", "-c", text], env=job_place,
                          cwd=job_place["PWD"]).returncode == 1
    assert not Path(job_place["PWD"], "reached").exists()
    gone = render_guard(NAMES, [str(tmp_path / "nowhere" / "scratchenv")]) + "touch reached\n"
    assert subprocess.run(["bash", "-c", gone], env=job_place,
                          cwd=job_place["PWD"]).returncode == 0  # the shell checks alone
    assert Path(job_place["PWD"], "reached").exists()


def test_sbatch_guard_submits_a_guarded_copy_and_leaves_the_script_alone(tmp_path: Path) -> None:
    from scratchenv.slurm.guarded import guarded
    from scratchenv.slurm.submit import split_sbatch_args

    script = tmp_path / "train.slurm"
    original = "#!/bin/bash\n#SBATCH -p gpu\npython train.py\n"
    script.write_text(original)
    with guarded(split_sbatch_args(["-N1", str(script), "arg"]), NAMES, []) as job:
        assert job.script is not None and job.script != str(script)
        assert Path(job.script).name == "train.slurm"  # the same default job name
        assert job.options == ("-N1",) and job.script_args == ("arg",)
        copy = Path(job.script).read_text()
        assert copy.startswith("#!/bin/bash\n#SBATCH -p gpu\n# >>> scratchenv guard >>>\n")
        assert copy.endswith("# <<< scratchenv guard <<<\npython train.py\n")
    assert not Path(job.script).exists() and script.read_text() == original
    with guarded(split_sbatch_args(["--wrap", "python train.py"]), NAMES, []) as wrapped:
        (option,) = wrapped.options
        assert option.startswith("--wrap=# >>> scratchenv guard >>>\n")
        assert option.endswith("# <<< scratchenv guard <<<\npython train.py")
    script.write_text(inject(original, render_guard(NAMES)))
    with guarded(split_sbatch_args([str(script)]), NAMES, []) as already:
        assert already.script == str(script)  # the template's guard is enough
