"""The Plan resolved for a set of inputs, kept so that the next command with the same
inputs rebuilds it from plain data, without pydantic or the settings' sources.

Kept in cache.py's answers (kind "plan"), so it is reused only while every input is what
it was: the inputs key (the settings' files by content, SCRATCHENV_* and the other
variables the settings read, the version and scratchenv's own files, the user), and the
file-system facts the settings were decided from (recorded.file_system_inputs: each root
and every directory leading to it, detection's candidates, the centres' path shapes). Any
change is a miss: the settings are built and validated by pydantic again, and kept anew.

The Plan is written with marshal (hex digits in the answer's text): each record (plan.py's,
records.py's) a dict of its fields tagged with its class. Not JSON: its import (and re's,
which it needs) was an eighth of verify's start-up. marshal's format is the interpreter's
own, and the inputs key names the interpreter; marshal builds only data (no code runs), and
its file is in the user's state directory beside the activation file the shell sources.
Standard library only when reading.
"""

from __future__ import annotations

import marshal

from scratchenv.config.records import Entry, Login, Project, Purge, Thresholds, Unsynced
from scratchenv.errors import ScratchenvError
from scratchenv.login import cache
from scratchenv.plain import fields, is_record
from scratchenv.plan import CheckpointPlace, Plan, PrependPath, SetVar

TYPE_CHECKING = False  # not `typing`: its import costs the fast path ~2 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

    from scratchenv.config.settings import Settings

KIND = "plan"
_TAG = "@"
_RECORDS: dict[str, type] = {kind.__name__: kind for kind in (
    Plan, SetVar, PrependPath, CheckpointPlace, Entry, Unsynced, Thresholds, Login, Purge,
    Project)}
"""Every class a Plan is made of: nothing else is built from a kept resolution."""


def encoded(plan: Plan) -> str:
    """`plan` as text (decoded() gives an equal Plan back)."""
    return packed(_plain(plan))


def packed(value: object) -> str:
    """Plain data (dicts, tuples, strings, numbers, None) as the text decoded() reads."""
    return marshal.dumps(value).hex()  # type: ignore[arg-type]


def _plain(value: object) -> object:
    if is_record(value):
        if type(value).__name__ not in _RECORDS:
            raise TypeError(f"{type(value).__name__} is not a record a Plan is made of")
        return {_TAG: type(value).__name__,
                **{field.name: _plain(getattr(value, field.name)) for field in fields(value)}}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"a Plan holds {type(value).__name__}, which is not kept")


def decoded(text: str) -> Plan:
    """The Plan encoded() wrote; ValueError when `text` is not one."""
    try:
        plan = _built(marshal.loads(bytes.fromhex(text)))
    except (EOFError, TypeError, RecursionError) as error:  # cut short, not marshal's, too deep
        raise ValueError(str(error)) from None
    if not isinstance(plan, Plan):
        raise ValueError("not a plan")
    return plan


def _built(value: object) -> object:
    if type(value) is tuple:
        return tuple(item if type(item) in _LEAVES else _built(item) for item in value)
    if type(value) is not dict:
        raise ValueError(f"a kept Plan holds {type(value).__name__}")  # a code object, a set
    kind = _RECORDS.get(value.get(_TAG))  # type: ignore[arg-type]
    if kind is None:
        raise ValueError(f"not a record: {value.get(_TAG)!r}")
    try:
        return kind(**{name: item if type(item) in _LEAVES else _built(item)
                       for name, item in value.items() if name != _TAG})
    except TypeError as error:  # a field this version does not have
        raise ValueError(str(error)) from None


_LEAVES = frozenset({str, int, float, bool, type(None)})


def recalled(environ: Mapping[str, str], cwd: str) -> Plan | None:
    """The Plan kept for these inputs, when every one of them is unchanged; else None."""
    try:
        answer = cache.lookup(KIND, environ, cwd)
        return None if answer is None else decoded(answer.stdout)
    except (OSError, ValueError, ScratchenvError):
        return None  # the validated path says what is wrong, if anything


def keep(settings: Settings, plan: Plan, environ: Mapping[str, str], cwd: str) -> None:
    """Keep `plan`, resolved from `settings` for these inputs, for the next command; a
    resolution that cannot be kept faithfully is not (the next command builds it again)."""
    from scratchenv.login.recorded import file_system_inputs

    try:
        found = file_system_inputs(settings, plan, environ)
        if found is None:
            return
        paths, shapes = found
        cache.store(KIND, environ, cwd, cache.Answer(encoded(plan), paths=paths,
                                                     shapes=shapes))
    except (OSError, TypeError, ScratchenvError):
        pass  # a resolution that cannot be kept is only slower next time

