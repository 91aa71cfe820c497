"""The Makefile and the tools it runs, as a contributor meets them: `make test` runs both
runners and fails if either failed, `make bench` fails on a missed goal, and a machine
without root gets told what is missing instead of a failed `make test` (CI still fails)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CHECKOUT, need, need_root

# The targets `make test` depends on are taken as done (-o): only its own recipe runs.
DONE = ["-o", "install", "-o", "shells", "-o", "slurm", "-o", "modules", "-o", "parallel"]


def make_test(tmp_path: Path, pytest_ok: bool, bats_ok: bool) -> tuple[int, str, bool]:
    ran = tmp_path / "bats-ran"
    bats = tmp_path / "bats"
    bats.write_text(f"#!/bin/sh\ntouch {ran}\nexit {0 if bats_ok else 1}\n")
    bats.chmod(0o755)
    done = subprocess.run(
        [need("make"), "-s", "-C", str(CHECKOUT), *DONE, "test",
         f"PYTEST={'true' if pytest_ok else 'false'}", f"BATS={bats}"],
        capture_output=True, text=True, timeout=60)
    return done.returncode, done.stderr, ran.exists()


@pytest.mark.parametrize(("pytest_ok", "bats_ok"), [(False, True), (True, False),
                                                     (False, False)])
def test_make_test_runs_bats_even_after_pytest_failed_and_fails_if_either_did(
        tmp_path, pytest_ok, bats_ok):
    code, stderr, bats_ran = make_test(tmp_path, pytest_ok, bats_ok)
    assert bats_ran
    assert code != 0
    failed = [name for name, ok in (("pytest", pytest_ok), ("bats", bats_ok)) if not ok]
    assert f"make test: failed: {' '.join(failed)}" in stderr


def test_make_test_passes_when_both_pass(tmp_path):
    code, stderr, bats_ran = make_test(tmp_path, True, True)
    assert (code, stderr, bats_ran) == (0, "", True)


def load_bench_runner():
    sys.path.insert(0, str(CHECKOUT / "benchmarks"))
    try:
        import run
        from common import Row
    finally:
        sys.path.remove(str(CHECKOUT / "benchmarks"))
    return run, Row


def test_make_bench_exits_1_when_a_row_misses_its_goal(capsys, monkeypatch):
    run, Row = load_bench_runner()
    monkeypatch.setattr(run, "QUICK", False)
    met = Row("fast", ours=1.0, baseline=2.0, baseline_name="x", goal=1.0)
    missed = Row("slow", ours=3.0, baseline=1.0, baseline_name="x", goal=1.5)
    assert run.report([met]) == 0
    assert run.report([met, missed]) == 1
    out, err = capsys.readouterr()
    assert "MISSED" in out and "1 of 2 benchmarks missed their goal" in err


def as_nobody(script: Path, *args: str, ci: bool,
              path: str = "/usr/sbin:/usr/bin:/sbin:/bin") -> subprocess.CompletedProcess[str]:
    """Run a tools/ script as the unprivileged `nobody` (read from stdin: the checkout may
    be in a directory nobody cannot enter)."""
    need_root("to run the tool as an unprivileged user")
    env = {"PATH": path, **({"CI": "true"} if ci else {})}
    with script.open() as source:
        return subprocess.run([need("setpriv"), "--reuid=65534", "--regid=65534",
                               "--clear-groups", "sh", "-s", "--", *args],
                              stdin=source, capture_output=True, text=True, env=env,
                              cwd="/", timeout=60)


def test_ensure_debs_without_root_names_what_is_missing_and_lets_the_tests_skip():
    script = CHECKOUT / "tools" / "ensure-debs"
    present = as_nobody(script, "sh=dash", ci=False)
    assert (present.returncode, present.stderr) == (0, "")
    missing = as_nobody(script, "sh=dash", "no-such-tool-xyz=xyz-pkg", ci=False)
    assert missing.returncode == 0
    assert missing.stderr.count("\n") == 1
    assert "missing xyz-pkg" in missing.stderr and "will be skipped" in missing.stderr
    in_ci = as_nobody(script, "no-such-tool-xyz=xyz-pkg", ci=True)
    assert in_ci.returncode == 1 and "missing xyz-pkg" in in_ci.stderr


def test_ensure_debs_finds_a_daemon_in_sbin_when_the_users_path_lacks_sbin():
    # util-linux's agetty: in /usr/sbin on every Debian, where a user's PATH does not look.
    assert Path("/usr/sbin/agetty").is_file()
    found = as_nobody(CHECKOUT / "tools" / "ensure-debs", "agetty=util-linux", ci=True,
                      path="/usr/bin:/bin")
    assert (found.returncode, found.stderr) == (0, "")


def test_pytest_sums_up_the_tests_skipped_for_want_of_root_in_one_line(tmp_path):
    # The reasons a non-root run really gave: mount's own error (two lines, the test's
    # directory in it) once per test, a bare "needs root", reasons given twice.
    mount_error = ("mount: /tmp/pytest-of-u/pytest-0/test_{0}/view: must be superuser to use "
                   "mount.\n       dmesg(1) may have more information after failed mount "
                   "system call.")
    (tmp_path / "test_x.py").write_text(
        "import os, pytest\nfrom helpers import need_root, unavailable\n"
        "os.geteuid = lambda: 1000\n"
        "def test_a():\n    need_root('to mount a tmpfs')\n"
        "def test_b():\n    need_root('to make a user')\n"
        "def test_c():\n    pass\n"
        "def test_d():\n    need_root('to mount a tmpfs')\n"
        "@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_e(n):\n"
        f"    unavailable('cannot bind-mount (needs root): ' + {mount_error!r}.format(n))\n"
        "def test_f():\n    pytest.skip('needs root')\n"
        "def test_g():\n    pytest.skip('rustc is missing')\n")
    # The suite's conftest.py as a plugin, as if these were tests of the suite.
    env = {**{k: v for k, v in os.environ.items() if k != "CI"},
           "PYTHONPATH": os.pathsep.join([str(CHECKOUT / "tests"), str(CHECKOUT)])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "conftest", "-c", os.devnull, str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout
    lines = [line for line in done.stdout.splitlines() if "not root" in line]
    assert len(lines) == 1, done.stdout
    assert lines[0] == ("6 tests skipped because this is not root (to mount a tmpfs; "
                        "cannot bind-mount; to make a user): run `make test` as root to run "
                        "them (CI does)")
