"""The command line as a tool: typos answered with the nearest command, flag or choice;
completion generated from the parser, tried in the real bash, zsh and fish; the man page
generated from the same parser, up to date, and well-formed roff."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CHECKOUT, need, unavailable
from helpers.cli import cli

from scratchenv.main import main


@pytest.mark.parametrize(("argv", "hint"), [
    (["stauts"], "invalid choice: 'stauts'; did you mean status?"),
    (["env", "--fromat", "sh"], "unrecognized arguments: --fromat sh; did you mean --format?"),
    (["env", "--format", "shh"], "invalid choice: 'shh'; did you mean sh?"),
    (["checkpoints", "stauts"], "invalid choice: 'stauts'; did you mean status?"),
])
def test_a_typo_gets_the_nearest_command_flag_or_choice_and_exit_2(argv, hint, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith(hint), err


def test_a_word_near_nothing_lists_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["xyzzy"])
    assert "invalid choice: 'xyzzy' (choose from activate, env, init," in capsys.readouterr().err


def completion(shell: str, tmp_path: Path) -> Path:
    try:
        import shtab  # noqa: F401
    except ImportError:
        unavailable("shtab is not installed; `make test` installs it (a dependency)")
    done = cli("completion", shell)
    assert done.returncode == 0, done.stderr
    path = tmp_path / f"completion.{shell}"
    path.write_text(done.stdout)
    return path


def test_bash_completes_commands_flags_and_choices(tmp_path):
    script = completion("bash", tmp_path)
    probe = r'''
. "$1"
complete -p scratchenv
ask() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        COMPREPLY=(); _shtab_scratchenv scratchenv "${@: -1}" "${@: -2:1}"
        echo "${COMPREPLY[*]}"; }
ask scratchenv stat
ask scratchenv env --fo
ask scratchenv env --format js
'''
    done = subprocess.run([need("bash"), "-c", probe, "bash", str(script)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "complete -o bashdefault -F _shtab_scratchenv scratchenv", "status", "--format", "json"]


def test_fish_completes_commands_flags_and_choices(tmp_path):
    script = completion("fish", tmp_path)
    probe = ('source $argv[1]; complete -C "scratchenv stat"; '
             'complete -C "scratchenv env --fo"; complete -C "scratchenv env --format js"')
    done = subprocess.run([need("fish"), "--no-config", "-c", probe, str(script)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == \
        ["status", "--format", "json"]


def test_zsh_compinit_finds_it_and_a_tab_completes_a_command(tmp_path):
    script = completion("zsh", tmp_path)
    functions = tmp_path / "functions"
    functions.mkdir()
    script.rename(functions / "_scratchenv")
    # A real interactive zsh on a pseudo-terminal: compinit, then `scratchenv stat<TAB>`.
    probe = r'''
zmodload zsh/zpty
zpty z 'env PS1="> " TERM=dumb zsh -f -i'
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "print -r REG=\$_comps[scratchenv]"
zpty -w -n z $'scratchenv stat\t'
seen=
for i in {1..300}; do
    zpty -r -t z out && seen+=$out
    [[ $seen == *"scratchenv status"* ]] && break
    sleep 0.1
done
zpty -d z
print -r -- $seen
'''
    done = subprocess.run([need("zsh"), "-f", "-c", probe, "zsh", str(functions)],
                          capture_output=True, text=True, timeout=60)
    assert "REG=_scratchenv" in done.stdout, done.stdout
    assert "scratchenv status" in done.stdout.split("REG=_scratchenv", 1)[1], done.stdout


def test_the_man_page_is_what_the_parser_gives_now():
    done = subprocess.run([sys.executable, str(CHECKOUT / "tools" / "manpage.py"), "-"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shipped = (CHECKOUT / "man" / "scratchenv.1").read_text(encoding="utf-8")
    assert done.stdout == shipped, "man/scratchenv.1 is out of date: run `make man`"


def test_the_man_page_renders_without_a_warning_and_lists_every_command():
    from scratchenv.main import COMMANDS

    page = CHECKOUT / "man" / "scratchenv.1"
    checked = subprocess.run([need("groff"), "-man", "-ww", "-z", str(page)],
                             capture_output=True, text=True, timeout=60)
    assert (checked.returncode, checked.stderr) == (0, "")
    shown = subprocess.run([need("man"), "-l", str(page)], capture_output=True, text=True,
                           env={**os.environ, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": ""},
                           timeout=60)
    text = shown.stdout.replace("\u2010", "-")
    assert "scratchenv env [-h] [--format {table,sh,bash" in text
    assert all(f"\n   {name}\n" in text for name in COMMANDS), text


def test_tcsh_takes_the_completion_with_every_command(tmp_path):
    from scratchenv.main import COMMANDS

    script = completion("tcsh", tmp_path)
    done = subprocess.run([need("tcsh"), "-f", "-c", f"source {script}; complete scratchenv"],
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    assert f"'p/1/({' '.join(COMMANDS)})/'" in done.stdout, done.stdout


def test_a_named_command_loads_only_its_own_module():
    # Start-up (issue 27): `scratchenv verify` must not import migrate's, clean's, ... code.
    probe = ("import sys\nfrom scratchenv.main import main\n"
             "try:\n    main(['verify', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('scratchenv.commands.')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(CHECKOUT)})
    assert done.stdout.splitlines()[-1] == "['scratchenv.commands.verify']"


@pytest.mark.parametrize("argv", [
    ["verify", "--help"], ["--root", "/r", "--debug", "env", "--help"],
    ["--config=/c", "checkpoints", "--help"], ["verify", "--fromat"],
])
def test_a_command_alone_in_the_parser_answers_as_in_the_whole_tree(argv, capsys, monkeypatch):
    import scratchenv.main as entry

    named_command, answers = entry._named_command, []
    assert named_command(argv) is not None
    for named in (named_command, lambda _args: None):
        monkeypatch.setattr(entry, "_named_command", named)
        with pytest.raises(SystemExit) as exited:
            main(argv)
        answers.append((exited.value.code, capsys.readouterr()))
    assert answers[0] == answers[1]


def test_verify_alone_runs_with_the_arguments_the_parser_gives():
    """main runs `scratchenv verify` without building the parser: with what it would give."""
    from scratchenv.commands import verify
    from scratchenv.main import build_parser

    parsed = vars(build_parser("verify").parse_args(["verify"]))
    parser_own = ("run", "root_parser", "command", "version")
    assert {name: value for name, value in parsed.items() if name not in parser_own} == vars(
        verify.alone())
