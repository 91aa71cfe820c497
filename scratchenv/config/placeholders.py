"""Placeholders in settings' templates (root_pattern, scratch_subdir, profiles, the
catalogue's defaults): a closed set, substituted by this one small parser.

Not `str.format`: it evaluates format specs (`{user:>99999999999}` asks for a string of
that length) and attribute or item chains (`{user.__init__.__globals__}`). Here a
placeholder is `{NAME}` for a name the caller allows (`{user}`, `{cluster}`) or
`{env[VAR]}` where the caller allows the environment; `{{` and `}}` are literal braces.
Anything else is one clear line (`PlaceholderError`, a ValueError).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

# A pattern, compiled by `re` on first use: compiling at import costs every command.
_TOKEN = r"\{\{|\}\}|\{([^{}]*)\}|[{}]"
_NAME = r"[a-z_]+"
_ENV = r"env\[([A-Za-z_][A-Za-z0-9_]*)\]"


class PlaceholderError(ValueError):
    """A template with something other than the allowed placeholders: why, in one line."""


class MissingValue(PlaceholderError):
    """An allowed placeholder whose value is not known (an unset variable, no cluster)."""

    def __init__(self, placeholder: str, message: str) -> None:
        super().__init__(message)
        self.placeholder = placeholder


Piece = tuple[str, str]
"""("text", literal), ("name", NAME) for `{NAME}`, or ("env", VAR) for `{env[VAR]}`."""


def pieces(text: str, names: tuple[str, ...], *, env: bool = False) -> list[Piece]:
    """`text` parsed into literal text and placeholders: `{NAME}` for NAME in `names`,
    `{env[VAR]}` when `env`; `{{`/`}}` are literal braces. PlaceholderError otherwise."""
    import re

    allowed = [f"{{{name}}}" for name in names] + (["{env[NAME]}"] if env else [])
    found: list[Piece] = []
    position = 0
    for match in re.finditer(_TOKEN, text):
        found.append(("text", text[position:match.start()]))
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            found.append(("text", token[0]))
            continue
        inside = match.group(1)
        if inside is None:
            raise PlaceholderError(f"{text!r}: a lone {token!r} (write {token * 2} for the "
                                   f"character); placeholders: {', '.join(allowed)}")
        variable = re.fullmatch(_ENV, inside)
        if re.fullmatch(_NAME, inside) and inside in names:
            found.append(("name", inside))
        elif variable and env:
            found.append(("env", variable.group(1)))
        else:
            raise PlaceholderError(f"{text!r}: {{{inside}}} is not a placeholder; the only "
                                   f"ones are {', '.join(allowed)}")
    found.append(("text", text[position:]))
    return [piece for piece in found if piece != ("text", "")]


def substitute(text: str, values: Mapping[str, str | None], *,
               env: Mapping[str, str] | None = None, keep: tuple[str, ...] = ()) -> str:
    """`text` with each placeholder replaced: `{NAME}` from `values` (its keys are the
    allowed names), `{env[VAR]}` from `env` (allowed only when given). Names in `keep`
    stay as they are (a pattern a modulefile fills in later). PlaceholderError when `text`
    holds anything else; MissingValue when a value is None or a variable is unset."""
    result = []
    for kind, value in pieces(text, (*values, *keep), env=env is not None):
        if kind == "text":
            result.append(value)
        elif kind == "name" and value in keep:
            result.append(f"{{{value}}}")
        elif kind == "name":
            known = values[value]
            if known is None:
                raise MissingValue(value, f"{text!r} needs {{{value}}}, which is not known here")
            result.append(known)
        else:
            assert env is not None
            if value not in env:
                raise MissingValue(f"env[{value}]", f"{text!r} needs ${value}, which is not set")
            result.append(env[value])
    return "".join(result)


def check(text: str, names: tuple[str, ...], *, env: bool = False) -> None:
    """Raise PlaceholderError unless `text` uses only `names` (and `{env[VAR]}` with
    `env`); an unset variable is not an error here (it is known only at use)."""
    with contextlib.suppress(MissingValue):
        substitute(text, dict.fromkeys(names, "x"), env={} if env else None)


def user_pattern(path: str, user: str) -> str | None:
    """`path` with each component that is `user` replaced by `{user}` (a root as the
    template a modulefile fills in at load time); None when none is."""
    parts = path.split("/")
    if user and user in parts:
        return "/".join("{user}" if part == user else part for part in parts)
    return None
