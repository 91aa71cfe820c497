"""`scratchenv bootstrap` for real, offline: venvs made by python -m venv and by uv, a wheel
served from 127.0.0.1 and installed with pip's and uv's caches on scratch, the real rustup
from the `rustup` wheel installing under a temp root, and `cargo build` through it."""

from __future__ import annotations

import functools
import http.server
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import unavailable
from helpers.cli import cli
from helpers.wheels import make_wheel

from scratchenv import proc
from scratchenv.bootstrap import rust
from scratchenv.config.settings import load_settings
from scratchenv.plan import build_plan

PROJECT = "demo"


def _missing(what: str) -> None:
    unavailable(f"{what} is missing")


@pytest.fixture(scope="module")
def machine_sysroot() -> str:
    """The machine's own Rust toolchain (found before any test moves HOME)."""
    found = proc.which("rustc")
    if found is None:
        _missing("rustc")
    result = proc.run([found, "--print", "sysroot"], timeout=60)
    if not result.ok:
        _missing(f"a working rustc ({result.stderr.strip()})")
    return result.stdout.strip()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """An empty HOME and a scratch root that does not exist yet; nothing real is touched."""
    home, root = tmp_path / "home", tmp_path / "scratch"
    home.mkdir(exist_ok=True)
    for name in list(os.environ):
        # PIP_*: this machine's own pip settings (find-links, a CA bundle) are not the test's.
        if name.startswith(("SCRATCHENV_", "XDG_", "SLURM_", "CARGO", "RUSTUP", "UV_", "PIP_")) or \
                name in ("VIRTUAL_ENV", "PIP_CACHE_DIR", "HF_HOME", "TORCH_HOME"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SCRATCHENV_ROOT", str(root))
    monkeypatch.setenv("SCRATCHENV_PROJECT", PROJECT)
    monkeypatch.chdir(tmp_path)
    return {"home": home, "root": root, "venv": root / f"{PROJECT}-venv", "tmp": tmp_path}


def bootstrap(*args: str) -> tuple[int, str, str]:
    """`scratchenv bootstrap ARGS`, in-process: (exit code, stdout, stderr)."""
    done = cli("bootstrap", *args)
    return done.returncode, done.stdout, done.stderr


def activated() -> dict[str, str]:
    """The environment a user has after activation (what bootstrap's children get too)."""
    return build_plan(load_settings()).apply(os.environ)


def home_files(home: Path) -> list[str]:
    return sorted(str(path.relative_to(home)) for path in home.rglob("*"))


def tree(root: Path) -> dict[str, int]:
    """Every path under the root with its mtime, except the logs (one more per run)."""
    logs = root / ".scratchenv" / "logs"
    return {str(p): p.lstat().st_mtime_ns for p in root.rglob("*")
            if p != logs and logs not in p.parents}


class _CachingHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index(env: dict[str, Path]) -> Iterator[str]:
    """A find-links page on 127.0.0.1 serving the wheel `tiny` (pip caches HTTP downloads)."""
    wheels = env["tmp"] / "wheels"
    make_wheel(wheels, "tiny", "0.1", {"tiny/__init__.py": b"ANSWER = 42\n"})
    handler = functools.partial(_CachingHandler, directory=str(wheels))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def requirements(env: dict[str, Path], index: str, *, pip: bool, package: str = "tiny") -> str:
    # pip caches plain-http downloads only from a trusted host; uv refuses that option.
    lines = ["--no-index", f"--find-links {index}", package]
    if pip:
        lines.insert(0, "--trusted-host 127.0.0.1")
    path = env["tmp"] / f"requirements-{package}.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def venv_imports_tiny(venv: Path) -> bool:
    result = proc.run([str(venv / "bin" / "python"), "-c", "import tiny; print(tiny.ANSWER)"])
    return result.ok and result.stdout.strip() == "42"


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_python_m_venv_and_pip_with_its_cache_on_scratch(env, index, capsys):
    req = requirements(env, index, pip=True)
    code, out, err = bootstrap("--venv", "--no-uv", "--python", sys.executable, "-r", req)
    assert (code, err) == (0, "")
    assert f"-m venv {env['venv']}" in out
    assert "Successfully installed" not in out, "the tools' output only with -v (and in the log)"
    assert venv_imports_tiny(env["venv"])
    assert "uv =" not in (env["venv"] / "pyvenv.cfg").read_text()
    pip_cache = env["root"] / "cache" / "pip"
    shown = proc.run([str(env["venv"] / "bin" / "python"), "-m", "pip", "cache", "dir"],
                     env=activated())
    assert shown.stdout.strip() == str(pip_cache)
    assert files_under(pip_cache), "the download should be in pip's cache on scratch"
    for directory in (env["root"], env["venv"], env["root"] / "wandb" / "runs"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    # Only what a tool needs to exist beforehand is made; the rest is made by its tool.
    assert not (env["root"] / "cache" / "huggingface").exists()
    assert "not made: " in out and "directories their tools make on first use" in out
    logs = list((env["root"] / ".scratchenv" / "logs").glob("bootstrap-*.log"))
    assert len(logs) == 1 and "Successfully installed tiny-0.1" in logs[0].read_text()
    assert home_files(env["home"]) == []


def test_uv_venv_and_uv_cache_on_scratch(env, index, capsys):
    code, out, err = bootstrap("--venv", "--uv", "--python", sys.executable, "-v",
                         "-r", requirements(env, index, pip=False))
    assert (code, err) == (0, "")
    assert "venv --python" in out and "+ tiny==0.1" in out
    assert "uv =" in (env["venv"] / "pyvenv.cfg").read_text()
    assert venv_imports_tiny(env["venv"])
    assert proc.run([str(env["venv"] / "bin" / "python"), "-m", "pip", "--version"]).ok, \
        "a venv uv makes has pip too"
    cached = list((env["root"] / "cache" / "uv").glob("archive-v*/*/tiny/__init__.py"))
    assert len(cached) == 1, "uv's cache on scratch should hold the unpacked wheel"
    installed = next(env["venv"].glob("lib/python*/site-packages/tiny/__init__.py"))
    # Cache and venv share the scratch file system, so uv hard-links instead of copying.
    assert os.path.samefile(cached[0], installed)
    assert home_files(env["home"]) == []


def test_rustup_from_the_wheel_then_cargo_builds_through_scratch(env, machine_sysroot, capsys):
    if rust.rustup_binary_in_wheel() is None:
        _missing("the `rustup` wheel (pip install -e '.[test]')")
    code, out, err = bootstrap("--rust", "--toolchain", "none")
    assert (code, err) == (0, "")
    assert "-y --no-modify-path --default-toolchain none" in out
    cargo_home, rustup_home = env["root"] / ".cargo", env["root"] / ".rustup"
    rustup = str(cargo_home / "bin" / "rustup")
    child = activated()
    assert child["CARGO_HOME"] == str(cargo_home) and child["RUSTUP_HOME"] == str(rustup_home)
    for argv in ([rustup, "toolchain", "link", "machine", machine_sysroot],
                 [rustup, "default", "machine"]):
        result = proc.run(argv, env=child, timeout=120)
        assert result.ok, result.stderr
    crate = env["tmp"] / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n')
    (crate / "src" / "main.rs").write_text('fn main() { println!("built on scratch"); }\n')
    cargo = proc.run(["cargo", "build", "--offline"], env=child, cwd=str(crate), timeout=300)
    assert cargo.ok, cargo.stderr
    built = proc.run([str(crate / "target" / "debug" / "tiny")])
    assert built.stdout == "built on scratch\n"
    assert proc.run(["sh", "-c", "command -v cargo"], env=child).stdout.strip() == \
        str(cargo_home / "bin" / "cargo")
    assert "machine" in (rustup_home / "settings.toml").read_text()
    assert home_files(env["home"]) == []
    # The toolchain now exists: asking for it is kept, not reinstalled.
    code, out, _ = bootstrap("--rust", "--toolchain", "machine", "-v")
    assert code == 0 and "toolchain machine: kept" in out and "created" not in out


@pytest.mark.slow
def test_rerun_is_a_quick_no_op(env, index, capsys):
    req = requirements(env, index, pip=True)
    args = ("--no-uv", "--python", sys.executable, "-r", req, "--toolchain", "none")
    assert bootstrap(*args)[0] == 0
    before = tree(env["root"])
    code, out, err = bootstrap(*args)
    assert (code, err) == (0, "")
    assert len(out.splitlines()) <= 4, out  # the root, the summary, what was not made, the log
    code, out, err = bootstrap(*args, "-v")
    assert (code, err) == (0, "")
    steps = [line for line in out.splitlines() if line.startswith(("[", "directory "))]
    assert steps and all(line.endswith(": kept") for line in steps), out
    assert f"summary: {len(steps) + 1} kept\n" in out
    assert tree(env["root"]) == before
    assert len(list((env["root"] / ".scratchenv" / "logs").iterdir())) == 3
    assert home_files(env["home"]) == []


@pytest.mark.slow
def test_venv_whose_python_was_deleted_is_reported_then_repaired(env, index, capsys):
    req = requirements(env, index, pip=True)
    args = ("--venv", "--no-uv", "--python", sys.executable, "-r", req)
    assert bootstrap(*args)[0] == 0
    for python in (env["venv"] / "bin").glob("python*"):
        python.unlink()
    code, out, err = bootstrap(*args)
    assert code == 1
    assert f"venv {env['venv']}: BROKEN: its bin/python is gone" in out
    assert "skipped" in out and "--repair" in err
    assert (env["venv"] / "pyvenv.cfg").exists(), "a broken venv is reported, not removed"
    code, out, err = bootstrap(*args, "--repair")
    assert (code, err) == (0, "")
    assert f"  repaired: venv {env['venv']}" in out
    assert venv_imports_tiny(env["venv"])


@pytest.mark.slow
def test_venv_whose_creation_was_interrupted_is_reported_then_repaired(env, capsys):
    # What ^C during `python -m venv` leaves: pyvenv.cfg and bin/python, no pip, no activate.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env["venv"])],
                   check=True)
    for script in (env["venv"] / "bin").glob("[aA]ctivate*"):
        script.unlink()
    args = ("--venv", "--no-uv", "--python", sys.executable)
    code, out, err = bootstrap(*args)
    assert code == 1
    assert f"venv {env['venv']}: BROKEN: incomplete (no bin/activate)" in out
    assert "--repair" in err
    code, out, err = bootstrap(*args, "--repair")
    assert (code, err) == (0, "")
    assert (env["venv"] / "bin" / "activate").is_file()
    assert subprocess.run([env["venv"] / "bin" / "python", "-m", "pip", "--version"],
                          capture_output=True).returncode == 0


@pytest.mark.slow
def test_failing_step_names_itself_and_a_rerun_continues(env, index, capsys):
    bad = requirements(env, index, pip=True, package="no-such-package")
    code, out, err = bootstrap("--venv", "--no-uv", "--python", sys.executable, "-r", bad)
    assert code == 1
    assert err.startswith(f"scratchenv: error: step requirements {bad} failed: `")
    assert f"-m pip install -r {bad}` exited 1" in err
    assert err.count("\n") == 1
    assert "Could not find a version that satisfies" in out, "the tool's last lines are shown"
    assert "  created: venv" in out, "what was done is kept"
    code, out, err = bootstrap("--venv", "--no-uv", "--python", sys.executable,
                         "-r", requirements(env, index, pip=True))
    assert (code, err) == (0, "")
    assert "created: venv" not in out and "created: requirements" in out
    assert venv_imports_tiny(env["venv"])


def test_dry_run_changes_nothing(env, capsys):
    code, out, err = bootstrap("--dry-run", "--no-uv", "--python", sys.executable)
    assert (code, err) == (0, "")
    assert f"scratch root {env['root']}: would create" in out
    assert f"would run {sys.executable} -I -m venv {env['venv']}" in out
    assert "--no-modify-path --default-toolchain none" in out
    assert "toolchain stable: would run" in out
    assert not env["root"].exists() and home_files(env["home"]) == []


def test_a_directory_two_variables_name_is_one_step(env, monkeypatch, capsys):
    config = env["tmp"] / "config.toml"
    config.write_text('[vars.MY_RUNS_DIR]\npath = "wandb/runs"\nmust_exist = true\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    code, out, _ = bootstrap("--dry-run", "-v", "--venv", "--no-uv", "--python", sys.executable)
    assert code == 0
    assert out.count(f"directory {env['root']}/wandb/runs: would run") == 1


def test_rustup_init_downloaded_from_the_index_when_not_installed(env, monkeypatch, capsys):
    """No rustup wheel next to scratchenv: it is fetched with pip (offline here: a local
    find-links holding a stand-in wheel) and its binary run under the name rustup-init."""
    fake = (b'#!/bin/sh\necho "called as $(basename "$0") $*"\n'
            b'mkdir -p "$CARGO_HOME/bin"\n'
            b'printf \'#!/bin/sh\\necho rustup 0.0\\n\' > "$CARGO_HOME/bin/rustup"\n'
            b'chmod +x "$CARGO_HOME/bin/rustup"\n')
    make_wheel(env["tmp"] / "links", "rustup", "9.9", {"rustup-9.9.data/scripts/rustup": fake})
    monkeypatch.setattr(rust, "rustup_binary_in_wheel", lambda: None)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(env["tmp"] / "links"))
    code, out, err = bootstrap("--rust", "--toolchain", "none", "-v")
    assert (code, err) == (0, "")
    assert "called as rustup-init -y --no-modify-path --default-toolchain none" in out
    assert (env["root"] / ".scratchenv" / "downloads" / "rustup-9.9-py3-none-any.whl").exists()
    code, out, _ = bootstrap("--rust", "--toolchain", "none", "-v")
    assert code == 0 and "rustup: kept" in out


@pytest.mark.parametrize("args, message", [
    (["--rust", "--rustup-init", "/nonexistent/rustup-init"], "not an executable file"),
    (["--venv", "--python", "/nonexistent/python3"], "no such interpreter"),
    (["-r", "/nonexistent/requirements.txt"], "requirements file"),
    (["--venv", "--python", "/"], "--python /: not an executable file"),
    (["--venv", "-r", "/"], "requirements file / is not a file"),
])
def test_bad_input_is_one_line_and_changes_nothing(env, capsys, args, message):
    code, out, err = bootstrap(*args)
    assert code == 2 and out == ""
    assert err.startswith("scratchenv: error: ") and message in err and err.count("\n") == 1
    assert not env["root"].exists()


def test_a_root_it_cannot_write_in_is_one_line(env, capsys):
    env["root"].mkdir()
    (env["root"] / ".scratchenv").write_text("in the way\n")  # as a read-only root would be
    code, out, err = bootstrap("--venv")
    assert code == 1 and out == ""  # a run-time failure, not a usage error
    assert err == f"scratchenv: error: cannot write the bootstrap log in {env['root']}/" \
                  ".scratchenv/logs: Not a directory (is the scratch root writable?)\n"
    assert sorted(p.name for p in env["root"].iterdir()) == [".scratchenv"]


def test_venv_needs_a_project(env, monkeypatch, capsys):
    monkeypatch.delenv("SCRATCHENV_PROJECT")
    code, _, err = bootstrap("--venv")
    assert code == 2 and "set a project" in err


@pytest.fixture
def uv_on_path(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> str:
    """The real uv (the `uv` wheel of the test extra), alone in a directory put on PATH."""
    try:
        from uv import find_uv_bin

        real = find_uv_bin()
    except (ImportError, FileNotFoundError):
        _missing("uv (pip install -e '.[test]')")
    bin_dir = env["tmp"] / "uv-bin"
    bin_dir.mkdir()
    (bin_dir / "uv").symlink_to(real)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return str(bin_dir / "uv")


@pytest.fixture
def site_pip_conf(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site that configures pip only: no public index, its packages in a wheel directory."""
    wheels = env["tmp"] / "site-wheels"
    make_wheel(wheels, "sitepkg", "0.1", {"sitepkg/__init__.py": b"ANSWER = 42\n"})
    conf = env["tmp"] / "pip.conf"
    conf.write_text(f"[global]\nno-index = true\nfind-links = {wheels}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    return conf


def plain_requirements(env: dict[str, Path], *packages: str) -> str:
    path = env["tmp"] / "requirements-plain.txt"
    path.write_text("".join(f"{p}\n" for p in packages))
    return str(path)


def venv_runs(venv: Path, code: str) -> str:
    result = proc.run([str(venv / "bin" / "python"), "-c", code])
    assert result.ok, result.stderr
    return result.stdout.strip()


def test_uv_installs_from_the_index_only_pip_is_configured_for(env, uv_on_path, site_pip_conf,
                                                               capsys):
    code, out, err = bootstrap("--venv", "--python", sys.executable, "-v",
                         "-r", plain_requirements(env, "sitepkg"))
    assert (code, err) == (0, ""), out
    assert f"$ {uv_on_path} pip install" in out and "+ sitepkg==0.1" in out
    note = next(line for line in out.splitlines() if "note: uv gets pip's settings: " in line)
    assert "find-links" in note and "no-index" in note
    assert venv_runs(env["venv"], "import sitepkg; print(sitepkg.ANSWER)") == "42"
    # The venv has its own pip, so `pip install` after activation installs into it.
    pip = proc.run([str(env["venv"] / "bin" / "pip"), "--version"])
    assert pip.ok and str(env["venv"]) in pip.stdout


def test_a_setting_uv_lacks_means_pip_installs(env, uv_on_path, site_pip_conf, capsys):
    with site_pip_conf.open("a") as conf:
        conf.write("prefer-binary = true\n")
    code, out, err = bootstrap("--venv", "--python", sys.executable,
                         "-r", plain_requirements(env, "sitepkg"))
    assert (code, err) == (0, ""), out
    assert "note: uv has no equivalent of pip's `prefer-binary` setting: installing with pip" \
        in out
    assert venv_runs(env["venv"], "import sitepkg; print(sitepkg.ANSWER)") == "42"


def test_a_venv_uv_made_without_pip_is_repaired_in_place(env, uv_on_path, site_pip_conf,
                                                         capsys):
    venv = env["venv"]
    env["root"].mkdir()
    subprocess.run([uv_on_path, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run([uv_on_path, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                    "--no-index", "--find-links", str(env["tmp"] / "site-wheels"), "sitepkg"],
                   check=True)
    code, out, err = bootstrap("--venv", "--python", sys.executable)
    assert code == 1 and "--repair" in err
    assert f"venv {venv}: BROKEN: no pip in it (as `uv venv` makes them)" in out
    code, out, err = bootstrap("--venv", "--python", sys.executable, "--repair")
    assert (code, err) == (0, ""), out
    assert f"  repaired: venv {venv}" in out
    assert venv_runs(venv, "import pip, sitepkg; print(sitepkg.ANSWER)") == "42", \
        "pip added, what was installed kept"
    # --no-uv on the venv uv made: pip installs into it.
    (env["tmp"] / "site-wheels" / "sitepkg-0.1-py3-none-any.whl").rename(
        env["tmp"] / "site-wheels" / "sitepkg-0.1-py3-none-any.whl.bak")
    make_wheel(env["tmp"] / "site-wheels", "otherpkg", "0.2", {"otherpkg/__init__.py": b""})
    code, out, err = bootstrap("--venv", "--no-uv", "--python", sys.executable,
                         "-r", plain_requirements(env, "otherpkg"))
    assert (code, err) == (0, ""), out
    assert f"{venv}/bin/python -I -m pip install -r" in out
    venv_runs(venv, "import otherpkg")
