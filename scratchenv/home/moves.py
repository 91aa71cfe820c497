"""Which places in home belong to which catalogue entry, and where `migrate` takes them.

The ownership rule: a file in home belongs to the most specific entry whose
default location contains it. XDG_CACHE_HOME owns ~/.cache *except* the directories of
entries with a default of their own below it (~/.cache/huggingface, ~/.cache/pip, ...):
those move to their own destination, whether or not their tool is chosen this time, so
nothing is moved twice or lands in the wrong place. Never moved along with anything:
- files pinned in home on purpose (anchor = "home", e.g. HF_TOKEN_PATH: the token stays),
  and the names the catalogue says stay `beside` them (stored_tokens);
- places of tools that ignore the variables (offenders.toml): moved, the tool would not
  find them;
- plan locations that lie in home themselves (the scratch root, when it is under home).
A tool switched off in settings has no entry, so its default is not carved out: it moves
with XDG_CACHE_HOME to $XDG_CACHE_HOME/<name>, which is exactly where that tool looks then.
When two entries share one default, the first in plan order owns it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Literal

from scratchenv.checkpoints.recognise import LEGACY_HF
from scratchenv.errors import ConfigError
from scratchenv.home.rcsourced import sourced_files
from scratchenv.locations import below, inside, tilde
from scratchenv.plain import record

if TYPE_CHECKING:
    from scratchenv.plan import Plan


@record
class Keep:
    """A path inside a move's source that stays where it is, and why."""

    path: str
    why: str


@record
class Move:
    """Take `source` (a tool's default in home) to `dest` (its place in the plan)."""

    tool: str
    var: str
    source: str
    dest: str
    kind: Literal["dir", "file"]
    keeps: tuple[Keep, ...] = ()
    always_link: bool = False
    """Leave a symlink at the source once moved, with or without --link (a checkout's
    .venv: its tools and its own scripts look for it there)."""


@record
class Offender:
    """A place in home that no variable moves (offenders.toml)."""

    key: str
    path: str
    what: str
    advice: str


@cache
def _offender_table() -> dict[str, dict[str, str]]:
    import tomllib
    from importlib import resources

    text = resources.files("scratchenv.home").joinpath("offenders.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _under_home(text: str, home: str) -> str:
    return os.path.normpath(home + text[1:]) if text.startswith("~/") else os.path.normpath(text)


def _candidates(plan: Plan) -> tuple[list[Move], list[Keep]]:
    """Every entry's (source, dest) in home, first owner wins; and the pinned places."""
    home = os.path.normpath(plan.home)
    real_home = os.path.realpath(home)
    moves: list[Move] = []
    pinned: list[Keep] = []
    taken: set[str] = set()
    for change in plan.variables:
        entry = change.entry
        if entry is None or entry.default is None:
            continue
        default = entry.default_path(home)
        if default is None or not default.startswith("/"):
            continue  # "./x": the working directory, not home
        source = os.path.normpath(default)
        value = os.path.normpath(change.value)
        # On real paths: a root at ~/scratch that links to /scratch/$USER is not home.
        if entry.anchor == "home" or inside(os.path.realpath(value), real_home):
            why = f"{change.name} is pinned in home on purpose"
            pinned += [Keep(path, why) for path in dict.fromkeys((source, value))]
            for name in entry.beside:  # the tool looks for them beside the pinned file
                pinned += [Keep(os.path.join(os.path.dirname(path), name),
                                f"it stays beside {change.name}")
                           for path in dict.fromkeys((source, value))]
            continue
        if not below(source, home) or source in taken:
            continue
        taken.add(source)
        moves.append(Move(entry.tool, change.name, source, value, entry.kind))
    legacy = os.path.join(home, LEGACY_HF)
    pinned.append(Keep(legacy, "old checkpoints, not cache: `scratchenv checkpoints archive` "
                               "takes them"))
    for root in map(os.path.normpath, plan.roots):
        if below(root, home):
            pinned.append(Keep(root, f"the {plan.root_name(root)}"))
    return moves, pinned


def offenders(plan: Plan) -> list[Offender]:
    """The offenders.toml places this plan's entries do not cover, in file order.

    An entry with its default at or below the place covers it (CONDA_PKGS_DIRS at
    ~/.conda/pkgs covers ~/.conda): the advice would be stale and the sizes counted twice."""
    return [Offender(key, path, fields["what"], advice(plan, fields))
            for key, path, fields in _uncovered(plan)]


def _uncovered(plan: Plan) -> list[tuple[str, str, dict[str, str]]]:
    """(key, path, fields) of each offender: what moves need, without the advice (which
    may load the whole catalogue, pydantic and all)."""
    home = os.path.normpath(plan.home)
    sources = [move.source for move in _candidates(plan)[0]]
    found = []
    for key, fields in _offender_table().items():
        path = _under_home(fields["path"], home)
        if not any(inside(source, path) for source in sources):
            found.append((key, path, fields))
    return found


def advice(plan: Plan, fields: dict[str, str]) -> str:
    """An offender's advice: its own text, or made from the catalogue entry it names."""
    if "var" not in fields:
        return fields["advice"].replace("{root}", plan.root)
    from scratchenv.config.catalogue import load_default

    var = fields["var"]
    change = plan.get(var)
    entry = change.entry if change is not None else load_default().get(var)
    if entry is None:
        raise ConfigError(f"offenders.toml: {var} is not a catalogue variable")
    then = fields.get("then") or f"`scratchenv migrate {entry.tool}`"
    if change is not None:
        return f"{var} is set (to {change.value}): {then}"
    if entry.opt_in:
        return (f"turn on {var} with enable = [\"{entry.tool}\"] in config ({entry.caveat}), "
                f"then {then}")
    return f"{var} is switched off: take {entry.tool} out of `disable`, then {then}"


def _minimal(keeps: Iterable[Keep]) -> tuple[Keep, ...]:
    """Drop keeps inside other keeps; sorted by path for stable output."""
    ordered = sorted(dict((keep.path, keep) for keep in keeps).values(), key=lambda k: k.path)
    kept: list[Keep] = []
    for keep in ordered:
        if not any(inside(keep.path, outer.path) for outer in kept):
            kept.append(keep)
    return tuple(kept)


def home_moves(plan: Plan) -> list[Move]:
    """Every entry's move out of home, in plan order, each with what it must leave behind."""
    moves, pinned = _candidates(plan)
    foreign = [Keep(path, f"{key} would not find it moved") for key, path, _ in _uncovered(plan)]
    owners = [Keep(m.source, f"`migrate {m.tool}` moves it") for m in moves]
    sourced = [Keep(path, f"{rc} sources it: moved, every new shell would print an error")
               for path, rc in sourced_files(plan.home).items()]
    result = []
    for move in moves:
        keeps = [k for k in (*pinned, *foreign, *owners, *sourced) if below(k.path, move.source)]
        result.append(Move(move.tool, move.var, move.source, move.dest, move.kind,
                           _minimal(keeps)))
    return result


def select(moves: Sequence[Move], names: Sequence[str]) -> list[Move]:
    """The moves of the named tools (catalogue keys) or variables; all when none are named."""
    if not names:
        return list(moves)
    known = {move.tool for move in moves} | {move.var for move in moves}
    unknown = [name for name in names if name not in known]
    if unknown:
        tools = ", ".join(dict.fromkeys(move.tool for move in moves))
        raise ConfigError(f"nothing to migrate for {', '.join(unknown)}; known tools: {tools}")
    return [move for move in moves if move.tool in names or move.var in names]


def known_places(plan: Plan) -> list[str]:
    """Every place in home that an entry, a pinned file or an offender accounts for."""
    moves, pinned = _candidates(plan)
    paths = [m.source for m in moves] + [k.path for k in pinned] + [
        path for _, path, _ in _uncovered(plan)]
    return list(dict.fromkeys(paths))


def superseded(move: Move) -> list[str]:
    """Files in the move's source that are removed, not moved: copies of what the
    destination already has and its tool makes again (rustup and its proxies in
    ~/.cargo/bin once Cargo on scratch has its own). Moving them could only conflict."""
    if move.var not in ("CARGO_HOME", "RUSTUP_HOME"):
        return []
    from scratchenv.bootstrap import rust  # only for these two (tomllib, zipfile, proc)

    if move.var == "CARGO_HOME":
        return rust.superseded_proxies(move.source, move.dest)
    return rust.superseded_settings(move.source, move.dest)


def superseded_note(paths: Sequence[str], home: str) -> str:
    """How doctor and migrate describe superseded files ("" when there are none)."""
    if not paths:
        return ""
    where = tilde(os.path.dirname(paths[0]), home)
    names = ", ".join(os.path.basename(path) for path in paths)
    return f"removes rustup's own files in {where} that scratch has too ({names})"


def found_keeps(move: Move) -> list[Keep]:
    """Files in the move's source found on disk to stay there: rustup's shell setup in
    ~/.cargo, which rc files source."""
    if move.var != "CARGO_HOME":
        return []
    from scratchenv.bootstrap import rust

    return [Keep(path, "rustup's shell setup, sourced by rc files")
            for path in rust.env_scripts(move.source)]


def left_out(move: Move) -> list[str]:
    """Everything in the move's source that does not move: keeps, found keeps, superseded."""
    return [k.path for k in (*move.keeps, *found_keeps(move))] + superseded(move)


def existing_keeps(move: Move, home: str) -> str:
    """The keeps of `move` that exist, as text ("" when none do)."""
    found = {k.path: k for k in (*found_keeps(move), *move.keeps)}  # one reason a path
    return ", ".join(f"{tilde(k.path, home)} ({k.why})" for k in found.values()
                     if os.path.lexists(k.path))
