"""What a release is made of: building writes nothing into the source tree, the sdist
holds the package and its documents (no half test suite), the wheel installs the documents
error messages point to, and `--version` says which copy runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile

import pytest
from helpers import files_under, need

pytestmark = pytest.mark.slow


def test_building_writes_nothing_into_the_source_tree(release):
    source, before, _ = release
    assert files_under(source) == before


def test_the_sdist_has_the_package_and_its_documents_and_no_tests(release):
    _, _, dist = release
    (sdist,) = dist.glob("scratchenv-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "SECURITY.md", "CHANGELOG.md", "LICENSE",
            "scratchenv/__init__.py", "scratchenv/config/catalogue.toml"} <= names
    assert not [name for name in names if name.startswith(("tests", "shell", "benchmarks"))]


def test_the_wheel_installs_the_documents_and_the_man_page(release):
    _, _, dist = release
    (wheel,) = dist.glob("scratchenv-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"scratchenv/docs/SECURITY.md", "scratchenv/docs/README.md",
            "scratchenv/docs/CHANGELOG.md"} <= names
    assert any(name.endswith(".data/data/share/man/man1/scratchenv.1") for name in names)


def test_man_finds_the_installed_page_from_the_command_on_path(installed, tmp_path):
    env = {"PATH": f"{installed}:/usr/bin:/bin", "HOME": str(tmp_path)}
    found = subprocess.run([need("man"), "-w", "scratchenv"], capture_output=True, text=True,
                           env=env, timeout=60)
    assert found.stdout.strip() == str(installed.parent / "share/man/man1/scratchenv.1"), \
        found.stderr


def test_version_says_which_copy_runs(installed, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([str(installed / "scratchenv"), "--version"], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    import scratchenv

    site = subprocess.run([str(installed / "python"), "-c",
                           "import scratchenv, os; print(os.path.dirname(scratchenv.__file__))"],
                          capture_output=True, text=True, env=env).stdout.strip()
    assert site.startswith(str(installed.parent))
    head = f"scratchenv {scratchenv.__version__} from {site} (Python {sys.version.split()[0]}, "
    assert done.stdout.startswith(head) and done.stdout.endswith(")\n"), done.stdout
    assert done.stdout[len(head):-2].startswith(str(installed / "python")), done.stdout


def test_an_installed_error_points_to_a_security_md_that_exists(installed, tmp_path):
    home = tmp_path / "home"
    (home / ".config" / "scratchenv").mkdir(parents=True)
    (home / ".config" / "scratchenv" / "config.toml").write_text(
        '[vars.LD_PRELOAD]\npath = "lib"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "SCRATCHENV_ROOT": str(tmp_path)}
    done = subprocess.run([str(installed / "scratchenv"), "env"], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 2, done.stderr
    pointed = done.stderr.split("(see ", 1)[1].split(")", 1)[0]
    assert pointed.endswith("scratchenv/docs/SECURITY.md") and os.path.isfile(pointed)
    assert str(installed.parent) in pointed
