"""scratchenv doctor: what fills home, what migrate would do, exit code = fixable findings."""

from __future__ import annotations

import json
import os

import pytest
from fs_helpers import isolate

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
