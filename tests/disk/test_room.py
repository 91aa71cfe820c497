"""The room a user has: statvfs and the quotas together, the limit that binds named.

Quotas cannot exist on this kernel, so the quota tools are fakes on PATH that print
recorded real output (tests/fixtures/quota/, sources in its README) for this machine's
device: what scratchenv reads is exactly what the tool printed on a real cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.cli import cli

from scratchenv.disk import quota
from scratchenv.disk.quota import Limit, Quota
from scratchenv.disk.room import room

FIXTURES = Path(__file__).parent.parent / "fixtures" / "quota"
G = 1024**3


def fake_quota_tool(bin_dir: Path, path: Path, *, fixture: str = "quota-s-over-soft.txt",
                    sleep: int = 0) -> dict[str, str]:
    """A `quota` that prints the recorded output for the device holding `path` (it exits 1,
    as quota does when over a limit); the environment that finds it first."""
    source, _, _ = quota.mount_of(str(path))
    text = (FIXTURES / fixture).read_text().replace("/dev/mapper/ubuntu--vg-ubuntu--lv", source)
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / "quota"
    tool.write_text(f"#!/bin/sh\n{'sleep ' + str(sleep) if sleep else ''}\n"
                    f"cat <<'END'\n{text}END\nexit 1\n")
    tool.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_check_space_counts_the_quota(root: Path, tmp_path: Path) -> None:
    # The recorded `quota -s`: 8976M used of a 10240M hard limit, over the 6144M soft limit
    # with 3days of grace. The file system here has far more free than the 1264M left.
    env = fake_quota_tool(tmp_path / "bin", root)
    short = cli("check-space", "--need", "2G", env=env)
    assert short.returncode == 1, short.stdout + short.stderr
    [line] = short.stderr.splitlines()[-1:]
    assert "not enough space" in line and "1.2G left, 2.0G needed" in line
    assert "limited by your quota (quota on" in line and "hard limit 10G" in line
    fits = cli("check-space", "--need", "1G", env=env)
    assert fits.returncode == 0, fits.stderr
    assert "limited by your quota" in fits.stdout
    assert "over the space soft limit 6.0G" in fits.stderr and "grace 3days" in fits.stderr


def test_without_a_quota_the_file_system_binds(root: Path) -> None:
    result = cli("check-space", "--need", "1M")
    assert result.returncode == 0
    assert "limited by the file system" in result.stdout


def test_verify_and_checklist_need_count_the_quota(root: Path, tmp_path: Path) -> None:
    env = fake_quota_tool(tmp_path / "bin", root)
    verified = cli("verify", "--need", "2G", "--json", env=env)


    findings = json.loads(verified.stdout)["findings"]
    [space] = [f for f in findings if f["check"] == "root.free_space"]
    assert space["status"] == "fail" and "limited by your quota" in space["message"]
    [grace] = [f for f in findings if f["check"] == "root.quota_grace"]
    assert grace["status"] == "warn" and "3days" in grace["message"]
    checklist = cli("checklist", "--need", "2G", env=env)
    assert checklist.returncode == 1
    assert "limited by your quota" in checklist.stdout


def test_an_expired_grace_leaves_no_room() -> None:
    over = Quota(source="quota", filesystem="/dev/x",
                 bytes=Limit(used=7 * G, soft=6 * G, hard=10 * G, grace="none"),
                 files=Limit(used=5))
    space = room("/", "alice", quotas=[over])
    assert space.bytes == 0 and "grace expired" in space.bytes_by
    assert space.short_of(1) is not None


def test_the_tightest_of_several_quotas_binds_bytes_and_files_apart() -> None:
    mine = Quota(source="lfs", filesystem="/scratch", bytes=Limit(used=G, hard=100 * G),
                 files=Limit(used=10, hard=1_000_000))
    group = Quota(source="lfs", filesystem="/scratch", kind="group", owner="lab",
                  bytes=Limit(used=95 * G, hard=100 * G), files=Limit(used=10, hard=2_000_000))
    project = Quota(source="lfs", filesystem="/scratch", kind="project", owner="42",
                    bytes=Limit(used=0, hard=1000 * G), files=Limit(used=999_990, hard=10**6))
    space = room("/", "alice", quotas=[mine, group, project])
    assert space.bytes <= 5 * G
    assert space.bytes_by.startswith("group lab's quota (lfs on /scratch): hard limit 100G")
    assert space.files == 10
    assert space.files_by.startswith("project 42's quota")
    assert "10 files left" in (space.short_of(0, 11) or "")


def test_a_hung_quota_tool_is_bounded_by_the_timeout(root: Path, tmp_path: Path) -> None:
    env = fake_quota_tool(tmp_path / "bin", root, sleep=600)
    code = ("from scratchenv.disk.room import room; import sys; "
            "print(room(sys.argv[1], 'jyao', timeout=2).bytes_by)")
    done = subprocess.run([sys.executable, "-c", code, str(root)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "the file system"
