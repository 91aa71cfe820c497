from __future__ import annotations

import os

from conftest import cli


def test_an_rc_file_that_cannot_be_written_is_one_clear_error(root, isolated):
    config = isolated / ".config"
    config.write_text("a file where fish's directory would be\n")
    result = cli("init", "fish")
    assert result.returncode == 2
    assert result.stderr.startswith(f"scratchenv: error: cannot write {config}/fish/config.fish: ")
    assert result.stderr.count("\n") == 1
    assert config.read_text() == "a file where fish's directory would be\n"


def test_a_symlinked_rc_file_stays_a_link_and_gets_the_block(root, isolated):
    dotfiles = isolated / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_text('alias ll="ls -l"\n')
    rc = isolated / ".bashrc"
    rc.symlink_to("dotfiles/bashrc")
    assert cli("init", "bash").returncode == 0
    assert os.readlink(rc) == "dotfiles/bashrc"
    assert (dotfiles / "bashrc").read_text().startswith('alias ll="ls -l"\n# >>> scratchenv >>>')
    assert cli("init", "bash", "--reverse").returncode == 0
    assert os.readlink(rc) == "dotfiles/bashrc"
    assert (dotfiles / "bashrc").read_text() == 'alias ll="ls -l"\n'


def test_a_login_shell_init_cannot_serve_is_refused_not_given_a_bashrc(root, isolated):
    result = cli("init", env={**os.environ, "SHELL": "/bin/tcsh"})
    assert result.returncode == 2
    assert result.stderr == ("scratchenv: error: your shell is tcsh ($SHELL); init writes the rc "
                             "file of bash, zsh or fish: name one, e.g. `scratchenv init bash`\n")
    assert list(isolated.iterdir()) == []
    assert cli("init", "bash", env={**os.environ, "SHELL": "/bin/tcsh"}).returncode == 0
    assert "# >>> scratchenv >>>" in (isolated / ".bashrc").read_text()
