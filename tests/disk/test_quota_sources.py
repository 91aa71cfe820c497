"""The quota sources centres ship, on recorded outputs (tests/fixtures/quota/README.md),
and the group, project and fileset quotas of a root that is such a directory."""

from __future__ import annotations

from pathlib import Path

from scratchenv.disk import quota
from scratchenv.disk.quota import Limit
from scratchenv.disk.quota_sources import (
    gpfs_fileset,
    lustre_project,
    parse_beegfs,
    parse_diskusage_report,
    parse_showquota,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "quota"
K, M, G, T = 1024, 1024**2, 1024**3, 1024**4


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_nersc_showquota_json() -> None:
    home, scratch = parse_showquota(text("showquota-json-documented.json"))
    assert (home.source, home.filesystem, home.kind) == ("showquota", "home", "user")
    assert home.bytes == Limit(used=1288490188, hard=40 * G)
    assert home.files == Limit(used=23456, hard=1_000_000)
    assert scratch.filesystem == "pscratch" and scratch.bytes.at_hard


def test_showquota_sizes_as_text_are_read_too() -> None:
    [row] = parse_showquota('[{"fs": "home", "space_used": "1.50GiB", "space_quota": "40GiB",'
                            ' "inode_used": "12k", "inode_quota": "1M"}]')
    assert row.bytes == Limit(used=int(1.5 * G), hard=40 * G)
    assert row.files == Limit(used=12_000, hard=1_000_000)


def test_alliance_diskusage_report() -> None:
    home, scratch = parse_diskusage_report(text("diskusage_report-tamia.txt"))
    assert (home.filesystem, home.kind, home.owner) == ("/home", "user", None)
    assert home.bytes == Limit(used=20 * G, hard=25 * G)
    assert scratch.files == Limit(used=418_000, hard=500_000)
    rows = parse_diskusage_report(text("diskusage_report-cedar-docs.txt"))
    assert [(r.filesystem, r.kind, r.owner) for r in rows] == [
        ("/home", "user", None), ("/scratch", "user", None), ("/project", "group", "user01"),
        ("/project", "group", "def-professor")]
    assert rows[0].bytes == Limit(used=109 * K, hard=50 * G)
    assert rows[1].bytes == Limit(used=4000, hard=20 * T)  # a bare number: bytes
    assert rows[3].bytes == Limit(used=9434 * G, hard=10 * T)
    assert rows[3].files == Limit(used=497_000, hard=500_000)


def test_beegfs_getquota_pools_and_unlimited() -> None:
    [wynton] = parse_beegfs(text("beegfs-wynton-pool.txt"))
    assert wynton.source == "beegfs-ctl" and wynton.owner == "cgalvin"
    assert wynton.bytes == Limit(used=int(703.60 * G), hard=1000 * G)
    assert wynton.files == Limit(used=4547442)  # unlimited: no hard limit
    scratch, home = parse_beegfs(text("beegfs-delftblue-pools.txt"))
    assert (scratch.filesystem, home.filesystem) == ("scratch", "home")
    assert home.bytes == Limit(used=int(3.44 * G), hard=8 * G)
    [mila] = parse_beegfs(text("beegfs-mila-unlimited.txt"))
    assert mila.bytes.hard == 5 * T and mila.files.hard is None


def test_lfs_group_and_project_quotas() -> None:
    [group] = quota.parse_lfs(text("lfs-g-human-wrapped.txt"))
    assert (group.kind, group.owner, group.filesystem) == ("group", "gwas_machine",
                                                           "/path/to/project")
    assert group.bytes == Limit(used=4 * K, hard=2 * T)
    assert group.files.hard == 101025
    [relative] = quota.parse_lfs(text("lfs-g-human-relative.txt"))
    assert relative.kind == "group" and relative.bytes.hard == 50 * T
    [project] = quota.parse_lfs(text("lfs-p-human-wrapped.txt"))
    assert (project.kind, project.owner) == ("project", "123456")
    assert project.bytes.hard == int(5.371 * T)
    assert project.files == Limit(used=208654, soft=2_000_000, hard=2_200_000)
    [kbytes] = quota.parse_lfs(text("lfs-p-kbytes-grace.txt"))
    assert kbytes.kind == "project" and kbytes.bytes.hard == 1258291 * K
    assert lustre_project(text("lfs-project-d.txt")) == "110255"
    assert lustre_project("0 - /scratch/alice\n") is None


def test_lfs_user_and_group_tables_in_one_output() -> None:
    both = ("Disk quotas for usr root (uid 0):\n"
            "     Filesystem  kbytes   quota   limit   grace   files   quota   limit   grace\n"
            "    /mnt/testfs    7528       0       0       -     759       0       0       -\n"
            "Disk quotas for grp root (gid 0):\n"
            "     Filesystem  kbytes   quota   limit   grace   files   quota   limit   grace\n"
            "    /mnt/testfs       0       0       0       -       0       0       0       -\n")
    user, group = quota.parse_lfs(both)
    assert (user.kind, group.kind, group.owner) == ("user", "group", "root")


def test_gpfs_fileset_quota() -> None:
    [fileset] = quota.parse_mmlsquota(text("mmlsquota-j-fileset.txt"))
    assert (fileset.kind, fileset.owner, fileset.filesystem) == ("fileset", "fset1",
                                                                 "gpfs1:fset1")
    assert fileset.bytes == Limit(used=99614720 * K, soft=99614720 * K, hard=104857600 * K,
                                  in_doubt=0, grace="6 days")
    assert gpfs_fileset(text("mmlsattr-L.txt")) == "fset1"
    assert gpfs_fileset("fileset name:         root\n") is None
    [group] = quota.parse_mmlsquota(text("mmlsquota-kb-group.txt"))
    assert (group.kind, group.owner) == ("group", "bioinfo")
