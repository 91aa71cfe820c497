"""Files the shells' startup files source (`. "$HOME/.cargo/env"`, `source ~/.cache/wal/
colors.sh`): moved, every new shell prints an error, so they stay where the rc files name
them. Read from the usual startup files of sh, bash, zsh, fish, csh and ksh, and from the
files those source in turn (a few levels)."""

from __future__ import annotations

import os
import shlex

RC_FILES = (
    ".profile", ".bash_profile", ".bash_login", ".bashrc", ".bash_aliases",
    ".zshenv", ".zprofile", ".zshrc", ".zlogin", ".config/fish/config.fish",
    ".cshrc", ".tcshrc", ".login", ".kshrc", ".mkshrc",
)
_SOURCE_WORDS = {".", "source"}
_DEPTH = 3


def _expand(word: str, home: str) -> str | None:
    """`word` as a path, with $HOME, ${HOME} and ~ expanded; None unless absolute."""
    for spelling in ("${HOME}", "$HOME"):
        if word.startswith(spelling):
            word = home + word[len(spelling):]
    if word == "~" or word.startswith("~/"):
        word = home + word[1:]
    return os.path.normpath(word) if word.startswith("/") else None


def _sourced_by(path: str, home: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        if "source" not in line and "." not in line:
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            words = list(lexer)
        except ValueError:  # unbalanced quotes: not a line we can read
            continue
        for word, following in zip(words, words[1:], strict=False):
            if word in _SOURCE_WORDS:
                target = _expand(following, home)
                if target is not None:
                    found.append(target)
    return found


def sourced_files(home: str) -> dict[str, str]:
    """{file: the rc file (as ~/...) that sources it}, for every file sourced from home's
    startup files, directly or through files they source."""
    home = os.path.normpath(home)
    result: dict[str, str] = {}
    level = [(os.path.join(home, name), "~/" + name) for name in RC_FILES]
    for _ in range(_DEPTH):
        following = []
        for path, label in level:
            for target in _sourced_by(path, home):
                if target not in result:
                    result[target] = label
                    following.append((target, label))
        level = following
    return result
