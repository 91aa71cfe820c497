"""What one simple command does to the environment, read statically.

`export X=v`, `X=v cmd`, `unset X`, `printf -v X …`, `setenv X v`, through any number of
command wrappers (`env`, `srun`, `exec`, `nohup`, `timeout 1h`, `nice`, `stdbuf`,
`command`, `builtin`, `time`): each gives an Effect. What only the running shell knows
(`eval $x`, `source` of a file, `read X`) is an Effect too, for the rules to judge.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Literal

from scratchenv.checks.shellwords import Part, Word, word
from scratchenv.plain import record

EffectKind = Literal["set", "unset", "clear", "unknown", "code", "source"]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=")
_DECLARES = frozenset({"export", "declare", "typeset", "readonly", "local"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
# srun options that take no value (srun(1)); every other option takes the next word
# unless it has `=`. Enough to find where srun's own options end and the command begins.
_SRUN_FLAGS = frozenset("EhHklOQsuvVXZ")
_SRUN_LONG_FLAGS = frozenset({
    "exclusive", "label", "unbuffered", "pty", "overcommit", "quiet", "verbose", "no-kill",
    "kill-on-bad-exit", "multi-prog", "disable-status", "test-only", "quit-on-interrupt",
    "spread-job", "use-min-nodes", "whole", "overlap", "exact", "help", "usage", "version",
    "preserve-env", "no-allocate", "reboot", "contiguous", "hold", "immediate", "wait",
})


@record
class Effect:
    """`set` NAME to the worst of `values`; `unset` NAME; `clear` every variable (env -i);
    `unknown`: NAME (or any, when None) changed in a way only the running shell knows,
    `why`; `code`: shell text that runs here (`eval '…'`, `bash -c '…'`); `source` a file
    (`values[0]`)."""

    kind: EffectKind
    name: str | None = None
    values: tuple[Word, ...] = ()
    why: str = ""
    line: int = 0


@dataclass
class Reading:
    """A command's effects, and the command that finally runs (wrappers taken off)."""

    effects: list[Effect] = field(default_factory=list)
    runs: list[Word] = field(default_factory=list)


def read(words: list[Word]) -> Reading:
    """The effects of one simple command, through its wrappers."""
    reading = Reading()
    _read(words, reading)
    return reading


def assignment(word: Word) -> tuple[str, Word] | None:
    """(NAME, value) for a word `NAME=value` whose name is written out plainly."""
    first = word.parts[0] if word.parts else None
    if first is None or first.kind != "lit" or first.quoted:
        return None
    match = _ASSIGNMENT.match(first.text)
    if not match:
        return None
    rest = first.text[match.end():]
    parts = ([Part("lit", rest)] if rest else []) + word.parts[1:]
    return match["name"], Word(word.line, parts)


def _read(words: list[Word], reading: Reading) -> None:  # noqa: C901 - one branch per verb
    at = 0
    while at < len(words) and (assigned := assignment(words[at])):
        reading.effects.append(Effect("set", assigned[0], (assigned[1],), line=words[at].line))
        at += 1
    if at >= len(words):
        return
    verb, args = words[at].literal, words[at + 1:]
    reading.runs = words[at:]
    if verb is None:
        return  # `$RUNNER args`: a command chosen at run time
    line = words[at].line
    texts = [arg.literal for arg in args]
    flags = [text for text in texts if text and text.startswith(("-", "+"))]
    name = os.path.basename(verb)
    if verb in _DECLARES:
        unexport = (verb == "export" and "-n" in flags) or "+x" in flags
        for arg, text in zip(args, texts, strict=True):
            if (assigned := assignment(arg)) and not unexport:
                reading.effects.append(Effect("set", assigned[0], (assigned[1],), line=arg.line))
            elif unexport and text and not text.startswith(("-", "+")):
                reading.effects.append(Effect("unset", text.split("=", 1)[0], line=arg.line))
    elif verb in ("unset", "unsetenv") and "-f" not in flags:
        reading.effects += [Effect("unset", text, line=line) for text in texts
                            if text and not text.startswith("-")]
    elif verb == "setenv" and len(args) >= 2 and texts[0]:
        reading.effects.append(Effect("set", texts[0], (args[1],), line=line))
    elif verb == "printf" and texts[:1] == ["-v"] and len(args) >= 3 and texts[1]:
        # printf -v NAME FORMAT ARGS: the value is made of the format and its arguments.
        reading.effects.append(Effect("set", texts[1].split("[", 1)[0], tuple(args[2:]),
                                      line=line))
    elif verb in ("read", "mapfile", "readarray"):
        for text in texts:
            if text and _NAME.fullmatch(text):
                reading.effects.append(Effect("unknown", text, why=f"{verb} sets it from input",
                                              line=line))
    elif verb == "eval":
        if any(arg.parts and arg.parts[0].kind in ("param", "cmdsub") for arg in args):
            reading.effects.append(Effect("unknown", why="eval runs text made at run time",
                                          line=line))
        reading.effects.append(Effect("code", values=tuple(args), line=line))
    elif verb in ("source", "."):
        if args:
            reading.effects.append(Effect("source", values=(args[0],), line=line))
    elif name in _SHELLS and "-c" in texts:
        code = args[texts.index("-c") + 1:][:1]
        reading.effects.append(Effect("code", values=tuple(code), line=line))
    elif name == "env":
        _read(_env(args, texts, reading), reading)
    elif (rest := _unwrap(verb, name, args, texts)) is not None:
        if name == "srun":
            reading.effects += _srun_exports(args[:len(args) - len(rest)])
        _read(rest, reading)


def _env(args: list[Word], texts: list[str | None], reading: Reading) -> list[Word]:
    """`env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]... [COMMAND]`: its effects,
    and the command it runs."""
    at = 0
    while at < len(args):
        text, arg = texts[at], args[at]
        if text in ("-i", "-", "--ignore-environment") or (
                text and re.fullmatch(r"-[0v]*i[0v]*", text)):
            reading.effects.append(Effect("clear", line=arg.line))
        elif text in ("-u", "--unset", "-C", "--chdir", "-S", "--split-string"):
            value = texts[at + 1] if at + 1 < len(texts) else None
            if text in ("-u", "--unset") and value:
                reading.effects.append(Effect("unset", value, line=arg.line))
            if text in ("-S", "--split-string") and at + 1 < len(args):
                reading.effects.append(Effect("code", values=(args[at + 1],), line=arg.line))
            at += 1
        elif text and text.startswith(("--unset=", "-u")) and len(text) > 2:
            reading.effects.append(Effect("unset", text.split("=", 1)[1] if "=" in text
                                          else text[2:], line=arg.line))
        elif assigned := assignment(arg):
            reading.effects.append(Effect("set", assigned[0], (assigned[1],), line=arg.line))
        elif text == "--":
            pass
        elif not (text and text.startswith("-")):
            break
        at += 1
    return args[at:]


def _unwrap(verb: str, name: str, args: list[Word], texts: list[str | None]) -> list[Word] | None:
    """The command a wrapper runs, or None when `verb` is no wrapper."""
    valued: frozenset[str]
    if verb in ("exec", "command", "builtin", "time", "nohup") or name == "nohup":
        if verb == "command" and ({"-v", "-V"} & {t for t in texts if t}):
            return []  # command -v NAME only looks it up
        valued = frozenset({"-a"}) if verb == "exec" else frozenset()
        return _after_options(args, texts, valued)
    if name == "timeout":
        rest = _after_options(args, texts, frozenset({"-s", "-k", "--signal", "--kill-after"}))
        return rest[1:]  # the duration
    if name == "nice":
        return _after_options(args, texts, frozenset({"-n", "--adjustment"}))
    if name == "stdbuf":
        return _after_options(args, texts, frozenset({"-i", "-o", "-e", "--input", "--output",
                                                      "--error"}))
    if name == "srun":
        return _after_srun_options(args, [arg.text for arg in args])  # --export=X=$HOME
    return None


def _after_options(args: list[Word], texts: list[str | None],
                   valued: frozenset[str]) -> list[Word]:
    at = 0
    while at < len(args) and (text := texts[at]) and text.startswith("-") and text != "-":
        at += 1
        if text == "--":
            break
        if text in valued:
            at += 1
    return args[at:]


def _srun_exports(options: list[Word]) -> list[Effect]:
    """`srun --export=ALL,NAME=VALUE`: each NAME=VALUE is set for the step."""
    found = []
    for at, option in enumerate(options):
        text = option.text
        if text.startswith("--export="):
            value = text.split("=", 1)[1]
        elif text == "--export" and at + 1 < len(options):
            value = options[at + 1].text
        else:
            continue
        for item in value.split(","):
            name, sep, item_value = item.partition("=")
            if sep and _NAME.fullmatch(name):
                found.append(Effect("set", name, (word(item_value),), line=option.line))
    return found


def _after_srun_options(args: list[Word], texts: list[str | None]) -> list[Word]:
    at = 0
    while at < len(args) and (text := texts[at]) and text.startswith("-"):
        at += 1
        if text == "--":
            break
        if text.startswith("--"):
            if "=" not in text and text[2:] not in _SRUN_LONG_FLAGS:
                at += 1
        else:
            for position, letter in enumerate(text[1:], 1):
                if letter not in _SRUN_FLAGS:
                    if position == len(text) - 1:
                        at += 1
                    break
    return args[at:]

