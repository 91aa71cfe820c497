"""The quota parsers on recorded real outputs (tests/fixtures/quota/README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scratchenv.checks.quota_findings import quota_findings
from scratchenv.disk import quota
from scratchenv.disk.quota import Limit, Quota

FIXTURES = Path(__file__).parent.parent / "fixtures" / "quota"
K, M, G, T = 1024, 1024**2, 1024**3, 1024**4


def parsed(name: str) -> list[Quota]:
    from scratchenv.disk import quota_sources

    parse = {"lfs": quota.parse_lfs, "quota": quota.parse_quota,
             "mmlsquota": quota.parse_mmlsquota, "beegfs": quota_sources.parse_beegfs,
             "showquota": quota_sources.parse_showquota,
             "diskusage_report": quota_sources.parse_diskusage_report,
             }[name.split("-")[0]]
    return parse((FIXTURES / name).read_text())


def test_every_fixture_parses_to_something() -> None:
    names = sorted(path.name for path in [*FIXTURES.glob("*.txt"), *FIXTURES.glob("*.json")]
                   if not path.name.startswith(("lfs-project-", "mmlsattr-")))
    assert len(names) >= 12
    for name in names:
        assert parsed(name), name


def test_lfs_kbytes_with_brackets() -> None:
    [fred] = parsed("lfs-ozstar-kbytes.txt")
    assert fred.filesystem == "/fred"
    assert fred.bytes == Limit(used=1041408 * K, soft=5242880 * K, hard=6291456 * K)
    assert fred.files == Limit(used=0)


def test_lfs_human_units_and_default_quota_lines() -> None:
    [mila] = parsed("lfs-mila-human.txt")
    assert mila.filesystem == "/home/mila"
    assert mila.bytes.used == int(99.99 * G)
    assert (mila.bytes.soft, mila.bytes.hard) == (None, 100 * G)
    assert mila.files == Limit(used=921718, hard=1048576)
    [relative] = parsed("lfs-human-relative.txt")
    assert relative.bytes.used == int(792.3 * M)
    assert relative.bytes.hard == int(9.537 * T)
    [lustre] = parsed("lfs-lustre-defaults.txt")
    assert (lustre.bytes.soft, lustre.bytes.hard) == (8 * T, 10 * T)
    assert (lustre.files.soft, lustre.files.hard) == (3_000_000, 36_000_000)


def test_lfs_long_name_on_its_own_line_and_grace() -> None:
    # lfs prints names longer than 15 characters on a line of their own; an asterisk marks
    # a value over its soft limit (lfs-quota(1)). Not found recorded: see the README.
    text = ("Disk quotas for usr alice (uid 1000):\n"
            "     Filesystem  kbytes   quota   limit   grace   files   quota   limit   grace\n"
            "/lus/scratch/projects\n"
            "                 2048*    1024    4096  6d23h       5       0       0       -\n")
    [entry] = quota.parse_lfs(text)
    assert entry.filesystem == "/lus/scratch/projects"
    assert entry.bytes == Limit(used=2 * M, soft=M, hard=4 * M, grace="6d23h")
    assert entry.bytes.over_soft and not entry.bytes.at_hard


def test_lfs_inaccurate_data_notice_is_not_a_row() -> None:
    # lfs prints this after a table with `[...]` values (lfs.c, `lfs quota`); the OzSTAR
    # table has them, its page did not show the line.
    text = (FIXTURES / "lfs-ozstar-kbytes.txt").read_text() + (
        'Some errors happened when getting quota info. Some devices may be not working or '
        'deactivated. The data in "[]" is inaccurate.\n')
    [fred] = quota.parse_lfs(text)
    assert fred.bytes.used == 1041408 * K


def test_quota_s_over_soft_limit_with_grace_and_wrapped_device() -> None:
    [entry] = parsed("quota-s-over-soft.txt")
    assert entry.filesystem == "/dev/mapper/ubuntu--vg-ubuntu--lv"
    assert entry.bytes == Limit(used=8976 * M, soft=6144 * M, hard=10240 * M, grace="3days")
    assert entry.bytes.over_soft
    assert entry.files == Limit(used=88307)


def test_quota_s_file_counts_are_decimal() -> None:
    [gaea] = parsed("quota-s-nfs-gaea.txt")
    assert gaea.filesystem == "ncrc-svm1.ncrc.gov:/ncrc/home2"
    assert gaea.bytes == Limit(used=9228 * M, soft=51200 * M, hard=51200 * M)
    assert gaea.files == Limit(used=101_000, soft=4_295_000_000, hard=4_295_000_000)


def test_quota_s_two_filesystems_and_inline_name() -> None:
    home, vol = parsed("quota-s-two-filesystems.txt")
    assert (home.filesystem, vol.filesystem) == ("/dev/mapper/system-home",
                                                 "/dev/mapper/SFA7700X-vol1")
    assert home.bytes == Limit(used=7876 * M, hard=10240 * M)
    assert vol.bytes == Limit(used=10 * G, hard=1024 * G)
    assert vol.files.used == 1_771_000
    [inline] = parsed("quota-s-inline.txt")
    assert inline.filesystem == "/home"
    assert inline.bytes == Limit(used=14340 * M, soft=16384 * M, hard=20480 * M)


def test_mmlsquota_kb_in_doubt_and_no_limits_rows() -> None:
    [group] = parsed("mmlsquota-kb-group.txt")
    assert group.filesystem == "homelv"
    assert group.bytes == Limit(used=3037467456 * K, soft=3100639232 * K, hard=3208642560 * K,
                                in_doubt=155284000 * K)
    assert group.files == Limit(used=1927934, in_doubt=78)
    rows = parsed("mmlsquota-kb-no-limits.txt")
    assert [row.filesystem for row in rows] == ["cma_g1", "cma_u"]


def test_mmlsquota_units_and_fileset_column() -> None:
    [amarel] = parsed("mmlsquota-auto-amarel.txt")
    assert amarel.bytes == Limit(used=int(78.18 * G), soft=100 * G, hard=110 * G,
                                 in_doubt=int(561.5 * M))
    [wustl] = parsed("mmlsquota-auto-fileset.txt")
    assert wustl.filesystem == "cache1-fs1:home1"
    assert (wustl.bytes.soft, wustl.bytes.hard, wustl.files.used) == (9 * G, 10 * G, 5961)
    [vsc] = parsed("mmlsquota-kb-fileset.txt")
    assert vsc.filesystem == "vol_ddn2:leuven_scratch"
    assert vsc.bytes.used == 1444864 * K


def test_mmlsquota_grace_in_days() -> None:
    line = ("fs0        USR          2048       1024       4096          0   6 days |"
            "       10       0        0        0     none")
    header = ("Filesystem type             KB      quota      limit   in_doubt    grace |"
              "    files   quota    limit in_doubt    grace  Remarks")
    [entry] = quota.parse_mmlsquota(header + "\n" + line)
    assert entry.bytes.grace == "6 days"
    assert entry.files.grace is None


def test_pick_matches_device_mount_point_or_gpfs_name() -> None:
    home, vol = parsed("quota-s-two-filesystems.txt")
    assert quota.pick([home, vol], source="/dev/mapper/SFA7700X-vol1", point="/data") == vol
    assert quota.pick([home, vol], source="tmpfs", point="/x") is None
    [wustl] = parsed("mmlsquota-auto-fileset.txt")
    assert quota.pick([wustl], source="cache1-fs1", point="/home") == wustl


@pytest.mark.parametrize(("space", "files", "expected"), [
    (Limit(used=1 * G, hard=20 * G), Limit(used=10), ("pass", "pass")),
    (Limit(used=12 * G, hard=100 * G), Limit(used=10), ("warn", "pass")),
    (Limit(used=20 * G, hard=20 * G), Limit(used=10), ("fail", "pass")),
    (Limit(used=7 * G, soft=6 * G, hard=10 * G, grace="3days"), Limit(used=1), ("warn", "pass")),
    (Limit(used=7 * G, soft=6 * G, hard=10 * G, grace="none"), Limit(used=1), ("fail", "pass")),
    (Limit(used=1 * G), Limit(used=95, hard=100), ("pass", "warn")),
    (Limit(used=1 * G), Limit(used=100, hard=100), ("pass", "fail")),
])
def test_home_findings_from_a_quota(space: Limit, files: Limit, expected: tuple[str, str]) -> None:
    found = quota_findings(Quota(source="quota", filesystem="/home", bytes=space, files=files),
                           subject="/home/u", limit=10 * G)
    assert tuple(f.status for f in found) == expected
    assert [f.check for f in found] == ["home.usage", "home.files"]


@pytest.mark.parametrize("space", [
    Limit(used=95 * G, hard=100 * G),  # nearly full: a warning of its own
    Limit(used=12 * G, soft=11 * G, hard=100 * G, grace="3days"),  # over soft, in grace
    Limit(used=12 * G, hard=100 * G),
])
def test_over_the_limit_is_a_failure_for_the_checklist(space: Limit) -> None:
    home = Quota(source="quota", filesystem="/home", bytes=space, files=Limit(used=1))
    strict = quota_findings(home, subject="/home/u", limit=10 * G, over="fail")
    assert strict[0].status == "fail"
    assert "more than 10G" in strict[0].message
    assert quota_findings(home, subject="/home/u", limit=10 * G)[0].status == "warn"


def test_statvfs_is_the_last_resort(tmp_path: Path) -> None:
    usage = quota.filesystem_usage(str(tmp_path))
    assert usage is not None and usage.source == "statvfs"
    assert usage.bytes.hard and usage.bytes.used <= usage.bytes.hard
    assert 0 < quota.free_space(str(tmp_path / "not" / "yet")) <= usage.bytes.hard


def test_user_quota_asks_the_tool_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from plumbum import local

    # A `quota` that prints the recorded over-soft output, for this machine's device.
    source, _, _ = quota.mount_of(str(tmp_path))
    text = (FIXTURES / "quota-s-over-soft.txt").read_text()
    text = text.replace("/dev/mapper/ubuntu--vg-ubuntu--lv", source)
    fake = tmp_path / "bin" / "quota"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat <<'END'\n{text}END\nexit 1\n")
    fake.chmod(0o755)
    path = f"{fake.parent}:{os.environ['PATH']}"
    monkeypatch.setenv("PATH", path)  # proc reads os.environ now, or plumbum's own copy:
    with local.env(PATH=path):
        found = quota.user_quota(str(tmp_path), "jyao")
        elsewhere = quota.user_quota("/proc", "jyao")
    assert found is not None
    assert (found.source, found.filesystem, found.bytes.grace) == ("quota", source, "3days")
    assert elsewhere is None  # another file system's row is not this one's quota


def test_output_in_an_unknown_shape_is_no_answer_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plumbum import local

    source, _, _ = quota.mount_of(str(tmp_path))
    text = ("Disk quotas for user jyao (uid 1000):\n"
            "     Filesystem   space   quota   limit   grace   files   quota   limit   grace\n"
            f"{source}   12M  n/a  n/a  -  5  n/a  n/a  -\n")
    fake = tmp_path / "bin" / "quota"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat <<'END'\n{text}END\n")
    fake.chmod(0o755)
    path = f"{fake.parent}:{os.environ['PATH']}"
    monkeypatch.setenv("PATH", path)
    with local.env(PATH=path):
        assert quota.user_quota(str(tmp_path), "jyao") is None


def test_a_starred_row_without_its_grace_column_still_parses() -> None:
    # quota-s-over-soft.txt with the grace column left out (seen from some quota builds).
    text = ("Disk quotas for user jyao (uid 1000):\n"
            "     Filesystem   space   quota   limit   grace   files   quota   limit   grace\n"
            "/dev/sda1  8976M*  6144M  10240M  88307  0  0\n")
    [entry] = quota.parse_quota(text)
    assert entry.bytes == Limit(used=8976 * M, soft=6144 * M, hard=10240 * M)
    assert entry.files == Limit(used=88307)


def test_a_400_digit_quota_number_is_not_an_answer() -> None:
    text = ("Disk quotas for user jyao (uid 1000):\n"
            "     Filesystem   space   quota   limit   grace   files   quota   limit   grace\n"
            f"/dev/sda1  {'9' * 400}  6144M  10240M  88307  0  0\n")
    with pytest.raises(ValueError, match="too large"):
        quota.parse_quota(text)
