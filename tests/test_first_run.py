"""A new user's first commands, as issue 24 walked them: what they print is true and
reads right (a backup named only when one was made, plurals, steps counted from 1)."""

from __future__ import annotations

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
