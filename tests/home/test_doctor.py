"""scratchenv doctor: what fills home, what migrate would do, exit code = fixable findings."""

from __future__ import annotations

import json
import os

import pytest
from helpers.fs import isolate, with_our_packages

from scratchenv.main import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    isolate(monkeypatch, home, tmp_path / "scratch")
    return home


def put(path, data=b"x" * 5000):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def doctor_json(capsys) -> tuple[int, dict]:
    code = main(["doctor", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_clean_home_has_no_findings(home, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "nothing to fix" in out
    assert "PATH" not in out  # no table of nothing


def test_reports_each_default_with_sizes_and_what_migrate_does(home, tmp_path, capsys):
    put(home / ".cache" / "pip" / "http" / "a")
    put(home / ".cache" / "pip" / "http" / "b")
    put(home / ".cargo" / "registry" / "c")
    put(home / ".cache" / "huggingface" / "hub" / "m")
    put(home / ".cache" / "huggingface" / "token", b"t")
    code, report = doctor_json(capsys)
    movable = {f["tool"]: f for f in report["findings"] if f["kind"] == "movable"}
    assert sorted(movable) == ["cargo", "huggingface", "pip"]
    assert code == 1 and report["fixable"] == 3 and report["schema_version"] == 1
    pip = movable["pip"]
    assert pip["path"] == f"{home}/.cache/pip" and pip["files"] == 3  # http/, a, b
    assert pip["bytes"] >= 10000 and pip["fixable"] is True
    assert f"moves it to {tmp_path}/scratch/cache/pip" in pip["action"]
    assert "~/.cache/huggingface/token (HF_TOKEN_PATH is pinned" in movable["huggingface"]["action"]

    assert main(["doctor"]) == 1  # not 3: a count would read as a crash
    out = capsys.readouterr().out
    assert "~/.cache/pip" in out and "3 findings `scratchenv migrate` fixes" in out


def test_data_left_behind_says_the_variable_is_set(home, tmp_path, monkeypatch, capsys):
    # The issue: "huggingface (HF_HOME unset)" although HF_HOME was set (to scratch).
    put(home / ".cache" / "huggingface" / "hub" / "m")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "scratch" / "cache" / "huggingface"))
    _, report = doctor_json(capsys)
    [hf] = [f for f in report["findings"] if f.get("tool") == "huggingface"]
    assert "HF_HOME unset" not in hf["what"]
    assert f"HF_HOME is set to {tmp_path}/scratch/cache/huggingface" in hf["what"]
    monkeypatch.delenv("HF_HOME")
    _, report = doctor_json(capsys)
    [hf] = [f for f in report["findings"] if f.get("tool") == "huggingface"]
    assert "HF_HOME unset" in hf["what"]


def test_the_pinned_token_alone_is_not_a_finding(home, capsys):
    put(home / ".cache" / "huggingface" / "token", b"t")
    code, report = doctor_json(capsys)
    assert code == 0 and report["findings"] == []


def test_offenders_and_large_unknown_directories_are_reported_not_counted(home, monkeypatch,
                                                                          capsys):
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__LARGE_DIR", "16K")
    put(home / ".vscode-server" / "bin" / "code")
    put(home / ".cache" / "nanochat" / "base_data" / "shard0")
    for i in range(5):
        put(home / "datasets" / f"part{i}")
    put(home / "notes" / "small.txt", b"hi")
    code, report = doctor_json(capsys)
    kinds = {(f["kind"], os.path.basename(f["path"])) for f in report["findings"]}
    assert ("offender", ".vscode-server") in kinds
    assert ("offender", "nanochat") in kinds
    assert ("unknown", "datasets") in kinds
    assert ("unknown", "notes") not in kinds  # small
    assert ("movable", ".cache") not in kinds  # ~/.cache holds only nanochat: not xdg's
    assert code == 0


def test_many_files_count_like_many_bytes(home, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHENV_THRESHOLDS__MANY_FILES", "50")
    for i in range(60):
        put(home / "tiny-files" / f"f{i}", b"")
    _, report = doctor_json(capsys)
    assert [f["files"] for f in report["findings"] if f["kind"] == "unknown"] == [60]


def test_many_findings_exit_1_with_the_count_in_json(home, tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text("".join(f'[vars.MY_{i}_CACHE]\npath = "mine/{i}"\ndefault = "~/mine{i}"\n'
                              for i in range(101)))
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    for i in range(101):
        put(home / f"mine{i}" / "f", b"1")
    code, report = doctor_json(capsys)
    assert report["fixable"] == 101 and code == 1


def test_an_interrupted_migration_is_a_fixable_finding(home, tmp_path, capsys):
    journal = tmp_path / "scratch" / ".scratchenv" / "migrate.json"
    put(journal, json.dumps({"tools": ["pip"], "link": True}).encode())
    code, report = doctor_json(capsys)
    assert code == 1
    assert report["findings"][0]["kind"] == "interrupted"
    assert "`scratchenv migrate pip --apply --link`" in report["findings"][0]["action"]


def test_legacy_checkpoints_are_archived_never_migrated_into_the_cache(home, tmp_path, capsys):
    """doctor, migrate, archive and clean agree: ~/.cache/huggingface/transformers holds the
    old setup's checkpoints; migrate leaves it, doctor's advice (run exactly) archives it."""
    import shlex

    legacy = home / ".cache" / "huggingface" / "transformers"
    state = legacy / "run" / "checkpoint-10" / "trainer_state.json"
    put(state, b'{"global_step": 10}')
    put(home / ".cache" / "huggingface" / "hub" / "m")
    _, report = doctor_json(capsys)
    hf = next(f for f in report["findings"] if f["tool"] == "huggingface")
    assert "leaves ~/.cache/huggingface/transformers (old checkpoints" in hf["action"]
    old = next(f for f in report["findings"] if f["kind"] == "checkpoints")
    assert old["path"] == str(legacy)

    assert main(["migrate", "huggingface", "--apply"]) == 0
    capsys.readouterr()
    assert state.read_bytes() == b'{"global_step": 10}'
    assert not (home / ".cache" / "huggingface" / "hub").exists()
    assert not (tmp_path / "scratch" / "cache" / "huggingface" / "transformers").exists()

    command = shlex.split(old["action"].split("`")[1])
    assert command[0] == "scratchenv"
    assert main(command[1:]) == 0
    capsys.readouterr()
    assert not legacy.exists()
    archived = list((tmp_path / "scratch").glob("archived_models_*/*/run/checkpoint-10"))
    assert len(archived) == 1 and (archived[0] / "trainer_state.json").exists()
    _, after = doctor_json(capsys)
    assert not [f for f in after["findings"] if f["kind"] == "checkpoints"]


def test_doctor_says_where_scratchenv_runs_from_and_warns_on_scratch(home, tmp_path):
    """Installed after activation (PIPX_HOME on scratch), scratchenv's own venv is on the
    purged root: doctor says so; run from elsewhere, it only says where it runs from."""
    import subprocess
    import sys

    root = tmp_path / "scratch"
    venv = root / "pipx" / "venvs" / "scratchenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    env = with_our_packages()
    for python, warned in ((str(venv / "bin" / "python"), True), (sys.executable, False)):
        done = subprocess.run([python, "-m", "scratchenv", "doctor", "--json"],
                              capture_output=True, text=True, env=env)
        assert done.stderr == "", done.stderr
        report = json.loads(done.stdout)
        mine = [f for f in report["findings"] if f["kind"] == "install"]
        if warned:
            assert report["install"] == str(venv)
            assert mine and mine[0]["path"] == str(venv) and "purge" in mine[0]["what"]
        else:
            assert report["install"] == os.path.realpath(sys.prefix) and not mine
    shown = subprocess.run([str(venv / "bin" / "python"), "-m", "scratchenv", "doctor"],
                           capture_output=True, text=True, env=env)
    assert f"scratchenv runs from {venv} (never moved or cleaned)" in shown.stdout



def _pipx() -> str:
    """The real pipx: beside this interpreter (the test extra installs it), else on PATH."""
    import sysconfig

    from helpers import need

    beside = os.path.join(sysconfig.get_path("scripts"), "pipx")
    return beside if os.access(beside, os.X_OK) else need("pipx")


def _app_wheel(where, name):
    """A wheel with one console script, made here: pipx installs it without the index."""
    import base64
    import hashlib
    import zipfile

    dist = f"{name}-1.0"
    files = {f"{name}.py": f"def main():\n    print('{name} runs')\n",
             f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\n"
                                        "Root-Is-Purelib: true\nTag: py3-none-any\n",
             f"{dist}.dist-info/entry_points.txt": f"[console_scripts]\n{name} = {name}:main\n"}
    path = where / f"{dist}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for member, text in files.items():
            data = text.encode()
            wheel.writestr(member, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{member},sha256={digest.decode()},{len(data)}")
        record.append(f"{dist}.dist-info/RECORD,,")
        wheel.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return path


@pytest.mark.slow
def test_pipx_apps_of_an_older_pipx_home_are_reported_and_the_advice_reinstalls_them(
        home, tmp_path, monkeypatch, capsys):
    """pipx 1.1 kept apps in ~/.local/pipx, later ones in ~/.local/share/pipx, a single-root
    setup on the scratch root; with PIPX_HOME on the persistent root, `pipx list` shows none
    of them. doctor names each; its command, run exactly, brings the apps back."""
    import subprocess

    pipx = _pipx()
    persistent = tmp_path / "persistent"
    persistent.mkdir()
    monkeypatch.setenv("SCRATCHENV_PERSISTENT_ROOT", str(persistent))
    path = f"{os.path.dirname(pipx)}:{os.environ['PATH']}"
    # One shared pip for every PIPX_HOME: pipx builds it once, not per home.
    env = {**os.environ, "HOME": str(home), "PATH": path, "PIPX_BIN_DIR": str(home / "bin"),
           "PIPX_SHARED_LIBS": str(tmp_path / "pipx-shared")}
    old = {home / ".local/pipx": "oldapp", home / ".local/share/pipx": "newapp",
           tmp_path / "scratch" / "pipx": "scratchapp"}
    for pipx_home, name in old.items():
        installed = subprocess.run([pipx, "install", str(_app_wheel(tmp_path, name))],
                                   env={**env, "PIPX_HOME": str(pipx_home)},
                                   capture_output=True, text=True)
        assert installed.returncode == 0, installed.stderr
    _, report = doctor_json(capsys)
    found = {f["path"]: f for f in report["findings"] if f["kind"] in ("pipx", "tier")
             and "pipx install" in f["action"]}
    assert sorted(found) == sorted(map(str, old))
    assert "(oldapp)" in found[str(home / ".local/pipx")]["what"]
    for finding in found.values():
        command = finding["action"].split("`")[1]
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    _, after = doctor_json(capsys)
    assert not [f for f in after["findings"] if f["path"] in found
                and f["kind"] in ("pipx", "tier")]
    listed = subprocess.run([pipx, "list", "--short"],
                            env={**env, "PIPX_HOME": str(persistent / "pipx")},
                            capture_output=True, text=True)
    assert sorted(line.split()[0] for line in listed.stdout.splitlines()) == sorted(old.values())
    ran = subprocess.run([str(home / "bin" / "oldapp")], capture_output=True, text=True)
    assert ran.stdout == "oldapp runs\n"
