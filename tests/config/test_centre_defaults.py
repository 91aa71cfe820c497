"""What a recognised centre's row changes beyond the roots: the quota tool `status` and
`check-space` ask (`quota_source`), and the node-local directory the node-local caches use
in a job (`node_local`). Its own config still wins.

The quota tools cannot run here (no Lustre, no Alliance cluster): a fake `lfs` on PATH
prints the output Pawsey's documentation shows (tests/fixtures/quota/README.md), and
`diskusage_report` is read from a recording made on an Alliance cluster.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import get_args

import pytest
from helpers.cli import cli

from scratchenv import proc
from scratchenv.config import centres
from scratchenv.config.centres import QuotaSource
from scratchenv.config.settings import load_settings
from scratchenv.disk import quota, quota_sources
from scratchenv.errors import ConfigError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "quota"
USER = "alice"


def pawsey(tmp_path: Path, bin_dir: Path | None = None) -> dict[str, str]:
    """Pawsey's login variables (sandboxed), and a fake `lfs` first on PATH if asked."""
    scratch = tmp_path / "scratch" / "pawsey0001" / USER
    scratch.mkdir(parents=True)
    env = {**os.environ, "USER": USER, "PAWSEY_PROJECT": "pawsey0001",
           "MYSCRATCH": str(scratch)}
    if bin_dir is not None:
        bin_dir.mkdir()
        tool = bin_dir / "lfs"
        tool.write_text("#!/bin/sh\ncat <<'END'\n"
                        + (FIXTURES / "lfs-pawsey-docs.txt").read_text() + "END\n")
        tool.chmod(0o755)
        env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return env


def quota_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if "/scratch" in line and "lfs" in line]


def test_status_asks_the_quota_tool_the_recognised_centre_documents(tmp_path: Path) -> None:
    env = pawsey(tmp_path, tmp_path / "bin")
    [line] = quota_lines(cli("status", env=env))
    assert "1.4M" in line and "14" in line  # Pawsey's page: 1460 kbytes, 14 files
    # The same machine without Pawsey's variables: the root's file system is no Lustre,
    # so lfs is not asked and status shows the file system's own numbers.
    plain = {k: v for k, v in env.items() if k not in ("PAWSEY_PROJECT", "MYSCRATCH")}
    plain["SCRATCH"] = env["MYSCRATCH"]
    assert quota_lines(cli("status", env=plain)) == []
    # Your own setting wins over the centre's.
    assert quota_lines(cli("status", env={**env, "SCRATCHENV_QUOTA_SOURCE": "quota"})) == []


def test_check_space_asks_the_centre_tool_too(tmp_path: Path) -> None:
    env = pawsey(tmp_path, tmp_path / "bin")
    fits = cli("check-space", "--need", "1K", env=env)
    assert fits.returncode == 0, fits.stderr
    assert "limited by the file system" in fits.stdout  # Pawsey's row has no limits
    with_lfs_limit = (tmp_path / "bin" / "lfs").read_text().replace(
        "/scratch 1460 0 0 - 14 0 0 -", "/scratch 1460 0 2048 - 14 0 0 -")
    (tmp_path / "bin" / "lfs").write_text(with_lfs_limit)
    short = cli("check-space", "--need", "1M", env=env)
    assert short.returncode == 1, short.stdout
    assert "limited by your quota (lfs on /scratch" in short.stderr


def test_the_centre_gives_the_quota_source_and_the_node_local_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in pawsey(tmp_path).items():
        monkeypatch.setenv(name, value)
    assert load_settings().quota_source == "lfs"
    monkeypatch.delenv("PAWSEY_PROJECT")
    monkeypatch.delenv("MYSCRATCH")
    sherlock = tmp_path / "scratch" / "users" / USER
    sherlock.mkdir(parents=True)
    monkeypatch.setenv("SCRATCH", str(sherlock))
    settings = load_settings()
    assert (settings.quota_source, settings.node_local) == (None, None)
    monkeypatch.setenv("GROUP_SCRATCH", str(tmp_path / "scratch" / "groups" / "pi"))
    settings = load_settings()
    assert settings.node_local == "{env[L_SCRATCH]}/scratchenv-{user}"
    monkeypatch.setenv("SCRATCHENV_NODE_LOCAL", "/local/{user}")
    assert load_settings().node_local == "/local/{user}"


def test_in_a_job_at_sherlock_the_node_local_caches_are_under_l_scratch(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch" / "users" / USER
    scratch.mkdir(parents=True)
    env = {**os.environ, "USER": USER, "SCRATCH": str(scratch),
           "GROUP_SCRATCH": str(tmp_path / "groups")}
    made = cli("activate", "--shell", "bash", env=env)
    assert made.returncode == 0, made.stderr
    local = tmp_path / "lscratch"
    local.mkdir(mode=0o700)
    job = {**env, "SLURM_JOB_ID": "42", "L_SCRATCH": str(local), "SLURM_TMPDIR": "/tmp"}
    seen = subprocess.run(["bash", "-c", '. "$1" && printf %s "$TORCHINDUCTOR_CACHE_DIR"', "-",
                           made.stdout.strip()], env=job, capture_output=True, text=True)
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout == f"{local}/scratchenv-{USER}/cache/torchinductor"
    # Outside Sherlock (no $GROUP_SCRATCH) the default: $SLURM_TMPDIR/scratchenv-<user>.
    env.pop("GROUP_SCRATCH")
    made = cli("activate", "--shell", "bash", env=env)
    seen = subprocess.run(["bash", "-c", '. "$1" && printf %s "$TORCHINDUCTOR_CACHE_DIR"', "-",
                           made.stdout.strip()], env={**job, "SLURM_TMPDIR": str(local)},
                          capture_output=True, text=True)
    assert seen.stdout == f"{local}/scratchenv-{USER}/cache/torchinductor"


def test_from_source_reads_the_alliance_report_for_the_tree_of_the_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = (FIXTURES / "diskusage_report-tamia.txt").read_text()
    asked: list[list[str]] = []
    monkeypatch.setattr(proc, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(quota, "run_tool",
                        lambda argv, timeout: asked.append(argv) or recorded)
    found = quota_sources.from_source("diskusage_report", "/scratch/normandf/run", "normandf",
                                      timeout=5)
    assert asked == [["diskusage_report"]]
    assert found is not None and found.filesystem == "/scratch"
    assert (found.bytes.used, found.bytes.hard) == (148 * 1024**3, 500 * 1024**3)
    assert quota_sources.from_source("diskusage_report", "/project/def-x", "normandf",
                                     timeout=5) is None  # no row for that tree: no guess


def test_a_source_not_on_path_is_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proc, "which", lambda name: None)
    monkeypatch.setattr(quota, "run_tool", lambda argv, timeout: pytest.fail(f"ran {argv}"))
    assert quota_sources.from_source("lfs", "/", "alice", timeout=5) is None


def test_the_sources_settings_name_are_the_ones_scratchenv_reads() -> None:
    assert set(get_args(QuotaSource)) == set(quota_sources.SOURCES)
    assert {c.quota_source for c in centres.table().values()} - {None} <= set(
        quota_sources.SOURCES)


@pytest.mark.parametrize("value", ["L_SCRATCH/x", "{env[X]}/../y", "{home}/x", "relative"])
def test_a_node_local_directory_that_is_no_setting_is_refused(value: str) -> None:
    row = ('[x]\nname = "X"\nsource = ["https://example.org/"]\nchecked = "2026-12-07"\n'
           f'node_local_dir = "{value}"\n')
    with pytest.raises(ConfigError, match=r"centres.toml \[x\]"):
        centres.parse(row)


def test_env_says_the_node_local_directory_and_quota_tool_come_from_the_centre(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from scratchenv.main import main

    for name, value in pawsey(tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(["env"]) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()
            if line.strip()}
    assert rows["quota_source"] == ["lfs", "centre", "pawsey", "($PAWSEY_PROJECT)"]
    assert rows["node_local"] == ["default"]  # Pawsey documents no node-local directory
