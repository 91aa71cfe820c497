"""verify --node's checks on real directories: read-only mounts, missing node-local scratch."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import unavailable
from helpers.cli import cli

from scratchenv.checks.node import NODE_CHECKS
from scratchenv.checks.verify import verify
from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan


@pytest.fixture
def read_only(tmp_path):
    """A directory nobody can write in: a read-only tmpfs as root (root writes through
    permissions), a 0555 directory otherwise."""
    path = tmp_path / "ro"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        unavailable(f"cannot mount a read-only tmpfs: {mount.stderr}")
    yield path
    subprocess.run(["umount", str(path)], check=True)


def _node_report(environ=None):
    settings = load_settings()
    env = dict(build_plan(settings).apply(environ or os.environ))
    return verify(build_plan(settings), env, checks=NODE_CHECKS)


def _by_check(report):
    return {finding.check: finding for finding in report.findings}


def test_a_good_node_passes_outside_a_job(root, monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    report = _node_report()
    found = _by_check(report)
    assert report.ok, [f for f in report.findings if f.status == "fail"]
    assert found["node.job"].status == "skip"
    assert found["node.root_writable"].status == "pass"
    assert found["node.home_writable"].status == "pass"
    assert "node.local_scratch" not in found


def test_a_read_only_root_fails(read_only, monkeypatch):
    monkeypatch.setenv("SCRATCHENV_ROOT", str(read_only))
    found = _by_check(_node_report())
    assert found["node.root_writable"].status == "fail"
    assert "mounted read-write" in found["node.root_writable"].fix


def test_a_read_only_home_is_a_warning_only(root, read_only, monkeypatch):
    monkeypatch.setenv("HOME", str(read_only))
    report = _node_report()
    assert _by_check(report)["node.home_writable"].status == "warn"


def _node_local_settings(monkeypatch):
    monkeypatch.setenv("SCRATCHENV_VARS", json.dumps(
        {"MY_KERNELS_CACHE": {"path": "cache/kernels", "node_local": True}}))


def test_node_local_caches_point_at_node_scratch_in_a_job(root, tmp_path, monkeypatch):
    _node_local_settings(monkeypatch)
    node_tmp = tmp_path / "node-tmp"
    node_tmp.mkdir()
    job = {**os.environ, "SLURM_JOB_ID": "42", "SLURMD_NODENAME": "gpu7",
           "SLURM_TMPDIR": str(node_tmp)}
    report = _node_report(job)
    found = _by_check(report)
    assert report.ok, [f for f in report.findings if f.status == "fail"]
    assert (found["node.job"].subject, found["node.job"].status) == ("gpu7", "pass")
    assert found["node.local_scratch"].status == "pass"
    assert "MY_KERNELS_CACHE" in found["node.local_scratch"].message
    kernels = [f for f in report.findings if f.subject == "MY_KERNELS_CACHE"]
    assert any(str(node_tmp) in f.message for f in kernels)


def test_missing_node_scratch_fails_when_caches_need_it(root, tmp_path, monkeypatch):
    _node_local_settings(monkeypatch)
    job = {**os.environ, "SLURM_JOB_ID": "42", "SLURM_TMPDIR": str(tmp_path / "gone")}
    found = _by_check(_node_report(job))
    assert found["node.local_scratch"].status == "fail"
    assert "does not exist" in found["node.local_scratch"].message
    assert found["node.local_scratch"].fix.startswith("unset SLURM_TMPDIR ")  # not TMPDIR


def test_no_node_scratch_at_all_is_a_warning(root, monkeypatch):
    _node_local_settings(monkeypatch)
    job = {k: v for k, v in os.environ.items() if k not in ("TMPDIR", "SLURM_TMPDIR")}
    job["SLURM_JOB_ID"] = "42"
    found = _by_check(_node_report(job))
    assert found["node.local_scratch"].status == "warn"
    assert "MY_KERNELS_CACHE stay on shared scratch" in found["node.local_scratch"].message


def test_a_stray_home_path_in_the_job_fails_the_node(root, monkeypatch):
    env = build_plan(load_settings()).apply(os.environ)
    env["HF_HOME"] = str(Path(os.environ["HOME"]) / ".cache" / "huggingface")
    report = verify(build_plan(load_settings()), env, checks=NODE_CHECKS)
    assert not report.ok
    assert any(f.subject == "HF_HOME" and f.status == "fail" for f in report.findings)


def test_script_and_deep_are_not_dropped_on_a_node(root, tmp_path):
    job = tmp_path / "job.sh"
    job.write_text('#!/bin/bash\nexport HF_HOME="$HOME/.cache/huggingface"\n')
    settings = load_settings()
    env = build_plan(settings).apply(os.environ)
    report = verify(build_plan(settings), env, checks=NODE_CHECKS, script=job, deep=True)
    assert {f.check for f in report.findings} >= {"script.repoints", "tool.location"}
    assert not {f.check for f in verify(build_plan(settings), env, checks=NODE_CHECKS).findings} & {
        "script.repoints", "tool.location"}


def test_quiet_says_nothing_on_a_good_node_and_everything_on_a_bad_one(root, monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    env = build_plan(load_settings()).apply(os.environ)
    good = cli("verify", "--node", "--quiet", env=env)
    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")
    env["HF_HOME"] = str(Path(os.environ["HOME"]) / ".cache" / "huggingface")
    bad = cli("verify", "--node", "--quiet", env=env)
    assert bad.returncode == 1 and "HF_HOME" in bad.stdout
