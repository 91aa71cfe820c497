"""Which files the shells' startup files source (home/rcsourced.py), as rc files write it."""

from __future__ import annotations

from pathlib import Path

from scratchenv.home.rcsourced import sourced_files


def test_the_ways_rc_files_source_a_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "fish").mkdir(parents=True)
    (home / ".bashrc").write_text(
        '. "$HOME/.cargo/env"\n'
        "[ -f ~/.fzf.bash ] && source ~/.fzf.bash\n"
        "# . ~/.commented/out.sh\n"
        'if [ -r "${HOME}/.nix-profile/etc/profile.d/nix.sh" ]; then . '
        '"${HOME}/.nix-profile/etc/profile.d/nix.sh"; fi\n'
        "echo 'unbalanced\n"
        ". ./relative.sh\n")
    (home / ".config" / "fish" / "config.fish").write_text("source ~/.cargo/env.fish\n")
    (home / ".tcshrc").write_text("source ~/.cargo/env.csh\n")
    (home / ".fzf.bash").write_text("source '$HOME/.fzf/shell/key-bindings.bash'\n"
                                    ". $HOME/.fzf/shell/completion.bash\n")

    found = sourced_files(str(home))

    assert found == {
        f"{home}/.cargo/env": "~/.bashrc",
        f"{home}/.fzf.bash": "~/.bashrc",
        f"{home}/.nix-profile/etc/profile.d/nix.sh": "~/.bashrc",
        f"{home}/.cargo/env.fish": "~/.config/fish/config.fish",
        f"{home}/.cargo/env.csh": "~/.tcshrc",
        # through ~/.fzf.bash (single quotes keep $HOME literal in sh, but it names the
        # same file the user meant; keeping one file too many loses nothing)
        f"{home}/.fzf/shell/key-bindings.bash": "~/.bashrc",
        f"{home}/.fzf/shell/completion.bash": "~/.bashrc",
    }
