"""A new user's first commands, as issue 24 walked them: what they print is true and
reads right (a backup named only when one was made, plurals, steps counted from 1)."""

from __future__ import annotations

from pathlib import Path

from scratchenv.main import main


def test_init_names_a_backup_only_when_there_was_a_file_to_back_up(root, isolated, capsys):
    assert main(["init", "bash"]) == 0
    out = capsys.readouterr().out
    assert out == f"{isolated / '.bashrc'}: wrote the scratchenv block\n"
    assert not (isolated / ".bashrc.scratchenv-backup").exists()

    assert main(["init", "bash", "--reverse"]) == 0
    out = capsys.readouterr().out
    assert out == (f"{isolated / '.bashrc'}: removed the scratchenv block "
                   "(backup: .bashrc.scratchenv-backup)\n")
    assert (isolated / ".bashrc.scratchenv-backup").is_file()


def one_pip_cache_file(home: Path) -> None:
    (home / ".cache" / "pip").mkdir(parents=True)
    (home / ".cache" / "pip" / "wheel").write_bytes(b"x" * 5000)


def test_one_of_a_thing_is_said_in_the_singular(root, isolated, capsys):
    one_pip_cache_file(isolated)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert ("1 finding `scratchenv migrate` fixes: it shows the plan; "
            "`scratchenv migrate --apply` moves it\n") in out

    assert main(["migrate", "--apply", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "moved 1 file (" in out and "files" not in out, out

    from scratchenv.checks.findings import Finding, Report
    from scratchenv.checks.report import summary_line

    finding = Finding(check="x", subject="y", status="warn", message="m")
    assert summary_line(Report(findings=[finding])) == "0 passed, 1 warning, 0 failed, 0 skipped"


def test_bootstrap_dry_run_numbers_the_steps_it_shows_from_1(root, capsys):
    assert main(["bootstrap", "--dry-run", "--rust"]) == 0
    numbered = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert numbered and numbered[0].startswith("[1/"), numbered
    assert [line.split("]")[0] for line in numbered] == \
        [f"[{n}/{len(numbered)}" for n in range(1, len(numbered) + 1)]


def test_a_root_given_with_dots_is_exported_without_them(tmp_path, monkeypatch, capsys):
    (tmp_path / "scratch").mkdir()
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "deep")
    monkeypatch.setenv("SCRATCHENV_ROOT", f"{tmp_path}/./x/../scratch")
    assert main(["env", "--format", "json"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["HF_HOME"] == f"{tmp_path}/scratch/cache/huggingface"
    # link/.. is where the kernel goes: the parent of the link's target, not tmp_path.
    monkeypatch.setenv("SCRATCHENV_ROOT", f"{tmp_path}/link/../deep")
    assert main(["env", "--format", "json"]) == 0
    hf_home = json.loads(capsys.readouterr().out)["HF_HOME"]
    assert hf_home == f"{tmp_path}/real/deep/cache/huggingface"


def test_a_bad_value_names_the_file_or_variable_it_came_from(root, isolated, capsys,
                                                             monkeypatch):
    config = isolated / ".config" / "scratchenv" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('missing_root = "loud"\n[thresholds]\nhome_warn = "lots"\n')
    assert main(["env"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scratchenv: error: invalid setting missing_root: must be 'warn' or "
                          f"'silent', not 'loud' (in config: {config}) (and 1 more)\n"), err
    config.write_text('[thresholds]\nhome_warn = "lots"\n')
    assert main(["env"]) == 2
    assert capsys.readouterr().err == (
        "scratchenv: error: invalid setting thresholds.home_warn: not a size: 'lots' (use e.g. "
        f"30G, 512M, 1.5T) (in config: {config})\n")
    config.unlink()
    monkeypatch.setenv("SCRATCHENV_MISSING_ROOT", "x")
    assert main(["env"]) == 2
    assert capsys.readouterr().err == (
        "scratchenv: error: invalid setting missing_root: must be 'warn' or 'silent', not 'x' "
        "(in the environment: SCRATCHENV_MISSING_ROOT)\n")


def test_status_lists_an_existing_token_file_instead_of_folding_it_into_the_empty(
        root, isolated, capsys):
    token = isolated / ".cache" / "huggingface" / "token"
    token.parent.mkdir(parents=True)
    token.write_text("hf_x\n")
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line.startswith("HF_TOKEN_PATH ")]
    assert len(listed) == 1 and listed[0].endswith(str(token)), out
    folded = next(line for line in out.splitlines() if "empty or not created yet" in line)
    assert "HF_TOKEN_PATH" not in folded


def test_doctor_and_migrate_show_one_size_for_one_thing(root, isolated, capsys):
    (isolated / ".rustup").mkdir()
    (isolated / ".rustup" / "settings.toml").write_text('version = "12"\n\n[overrides]\n')
    assert main(["doctor"]) == 1
    doctor_row = next(line for line in capsys.readouterr().out.splitlines()
                      if "~/.rustup " in line)
    assert main(["migrate"]) == 0
    migrate_row = next(line for line in capsys.readouterr().out.splitlines()
                       if line.startswith("rustup "))
    size = doctor_row.split()[2]
    assert size == migrate_row.split()[3] and size.endswith("K"), (doctor_row, migrate_row)
