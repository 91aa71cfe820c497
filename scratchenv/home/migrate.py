"""`scratchenv migrate`: take what the tools already wrote in home to the plan's places.

Which place belongs to which entry is `moves.py`'s job; moving one tree safely is
disk/transfer.py's. Here: the plan for a run (surveys), the free-space check, what the run's
journal (disk/journal.py) records so that a killed run is finished, and `--link`.

Running out of space: refused up front when the destination is too small, by its free
space or by the quota that applies (disk/room.py; exit 1, nothing written); when it fills
up anyway mid-way (a quota no tool reported, other writers), the run stops at once with
exit 1, nothing removed from home, and the complete copies made so far kept so that a
re-run, after freeing space, continues.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scratchenv.disk.journal import Journal
from scratchenv.disk.room import SpaceCheck, space_checks_for
from scratchenv.disk.survey import Survey, survey
from scratchenv.disk.transfer import (
    DestinationFull,
    ProgressCallback,
    Transfer,
    TransferOutcome,
)
from scratchenv.errors import ScratchenvError
from scratchenv.home.kinds import Judge, top_note
from scratchenv.home.moves import (
    Move,
    home_moves,
    left_out,
    select,
    superseded,
)
from scratchenv.locations import inside, tilde
from scratchenv.plan import Plan
from scratchenv.realpaths import symlink_between

JOURNAL = ".scratchenv/migrate.json"
"""Under the root: present while a run is under way, so a killed one is noticed."""


@dataclass
class PlannedMove:
    """One move and what it involves now."""

    move: Move
    survey: Survey | None = None
    note: str = ""
    """Why there is nothing to move (empty when there is)."""
    link_only: bool = False
    """The source is gone and the destination is there: `--link` only adds the link."""
    superseded: list[str] = field(default_factory=list)
    """Files removed instead of moved (moves.superseded)."""
    kept: bool = False
    """The whole source stays on purpose (`note` says why): always shown."""

    @property
    def active(self) -> bool:
        s = self.survey
        # The top directory alone is nothing to move, unless it is empty (a run killed
        # before removing it, or a tool that made it and never wrote).
        # Conflicts alone are work too: the run reports them and exits 1.
        return s is not None and bool(s.items or len(s.dirs) > 1 or s.partials or s.empty
                                      or s.conflicts or self.superseded)


@dataclass
class MoveResult:
    step: PlannedMove
    outcome: TransferOutcome = field(default_factory=TransferOutcome)
    linked: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def left_behind(self) -> int:
        o = self.outcome
        return len(o.conflicts) + len(o.failed) + len(o.skipped)


def _real(path: str) -> str:
    return os.path.realpath(path)


def prepare(plan: Plan, names: Sequence[str] = (), extra: Sequence[Move] = (), *,
            keep_times: bool = True) -> list[PlannedMove]:
    """A step per selected move (all with a default in home when `names` is empty);
    `extra`: moves found on disk (checkout venvs, venvs.moves). `keep_times`: False when the
    root has a purge policy (copies get the current time)."""
    steps = []
    earlier = journal(plan)
    tokens = earlier.parts
    touched = {(m.get("source"), m.get("dest")) for m in earlier.data.get("moves", [])
               if isinstance(m, dict) and m.get("source_touched")}
    judge = Judge()
    for move in select([*home_moves(plan), *extra], names):
        step = PlannedMove(move)
        source, dest = move.source, move.dest
        linked = symlink_between(os.path.normpath(plan.home), source)
        if linked is not None and any(inside(_real(linked), _real(r)) for r in plan.roots):
            linked = None  # into the user's own root (an earlier `migrate --link`)
        what = top_note(source, move.always_link) if os.path.lexists(source) else None
        if linked is not None:
            step.note = (f"{tilde(linked, plan.home)} is a symlink to {_real(linked)}: left "
                         "alone (what lies there may be shared, and others' files are "
                         "never moved)")
            step.kept = True
        elif what is not None:
            step.note, step.kept = what, True
        elif os.path.islink(source):
            target = _real(source)
            step.note = ("already moved: a link to its destination" if target == _real(dest)
                         else f"a symlink to {target}: left alone")
        elif not os.path.lexists(source):
            step.note = "nothing in home"
            step.link_only = os.path.lexists(dest)
        elif _real(source) == _real(dest):
            step.note = "home and destination are the same place"
        elif inside(_real(dest), _real(source)) and not any(
                inside(_real(dest), _real(k.path)) for k in move.keeps):
            step.note = "the destination is inside the source: left alone"
        elif inside(_real(source), _real(dest)):
            step.note = "the source is inside the destination: left alone"
        else:
            step.superseded = superseded(move)
            step.survey = survey(source, dest, left_out(move), part_tokens=tokens,
                                 keep_times=keep_times, stays=judge, sized=True)
            step.survey.source_touched = (source, dest) in touched
            if not step.active and not step.survey.conflicts:
                step.note = "nothing to move"
        steps.append(step)
    return steps


def space_checks(steps: Sequence[PlannedMove]) -> list[SpaceCheck]:
    """One check per destination file system, with the needs of every step going there."""
    return space_checks_for([(step.move.dest, step.survey) for step in steps
                             if step.survey is not None and step.active])


def journal_path(plan: Plan) -> str:
    return os.path.join(plan.root, JOURNAL)


def journal(plan: Plan) -> Journal:
    """The migration journal as it is now (empty when no run is under way)."""
    return Journal(journal_path(plan), "migration journal")


def interrupted(plan: Plan) -> dict | None:
    """The journal of a run that did not finish, if any."""
    found = journal(plan)
    return found.data if found.found else None


def forget_interrupted(plan: Plan) -> None:
    """Drop the journal: nothing is left to finish."""
    journal(plan).forget()


def _record(steps: Sequence[PlannedMove], link: bool, verify: str) -> dict[str, object]:
    """What a re-run needs to know of this run, besides its temporary-name tokens."""
    return {
        "tools": list(dict.fromkeys(step.move.tool for step in steps)),
        "link": link,
        "verify": verify,
        "moves": [{"var": s.move.var, "source": s.move.source, "dest": s.move.dest,
                   "source_touched": bool(s.survey and s.survey.source_touched)}
                  for s in steps],
    }


def rerun_command(plan: Plan) -> str:
    """The command that finishes an interrupted run."""
    data = interrupted(plan) or {}
    tools = data.get("tools", [])
    if set(tools) >= {move.tool for move in home_moves(plan)}:
        tools = []  # the run named none: every tool, as without names
    words = ["scratchenv", "migrate", *tools, "--apply"]
    if data.get("link"):
        words.append("--link")
    if data.get("verify") == "hash":
        words += ["--verify", "hash"]
    return " ".join(words)


BarFactory = Callable[[str, int, int], "tuple[ProgressCallback | None, Callable[[], None]]"]
"""(label, bytes, files) -> (callback or None, close): how apply() shows progress."""


def _no_bar(
    label: str, nbytes: int, nfiles: int
) -> tuple[ProgressCallback | None, Callable[[], None]]:
    return None, lambda: None


def apply(plan: Plan, steps: Sequence[PlannedMove], *, link: bool = False, verify: str = "size",
          bar: BarFactory = _no_bar, keep_times: bool = True) -> list[MoveResult]:
    """Carry out the steps; raises ScratchenvError (exit 1) when space runs out.

    The journal records this run's temporary-name token before anything is copied, so a
    re-run after a kill removes exactly those leftovers (and never a user's file)."""
    short = [check for check in space_checks(steps) if not check.ok]
    if short:
        raise ScratchenvError(
            "not enough space, nothing moved: " + "; ".join(c.describe() for c in short))
    record = journal(plan)
    token = record.begin(started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         **_record(steps, link, verify))
    results = []
    for step in steps:
        result = MoveResult(step)
        if step.active and step.survey is not None:
            def touching(survey: Survey = step.survey) -> None:
                survey.source_touched = True
                record.save(**_record(steps, link, verify))

            result.outcome = _transfer(plan, step, verify, bar, touching, token, keep_times)
            _remove_superseded(step, result)
        elif step.survey is not None:
            result.outcome = TransferOutcome(conflicts=list(step.survey.conflicts),
                                     skipped=list(step.survey.skipped))
        source = step.move.source
        link_this = link or step.move.always_link
        if link_this and step.move.keeps:
            # A link would carry what must stay (the HF token, other entries' places) along.
            if step.active:
                result.notes.append(f"not linked: {tilde(source, plan.home)} holds places "
                                    "that stay in home")
        elif link_this and not os.path.lexists(source) and os.path.lexists(step.move.dest):
            try:
                os.makedirs(os.path.dirname(source), exist_ok=True)  # ~/.cache may be gone
                os.symlink(step.move.dest, source)
                result.linked = True
            except OSError as error:
                result.notes.append(f"not linked: {tilde(source, plan.home)}: {error.strerror}")
        elif link_this and step.active:
            result.notes.append(f"not linked: {tilde(source, plan.home)} still holds files")
        results.append(result)
    record.forget()
    return results


def _remove_superseded(step: PlannedMove, result: MoveResult) -> None:
    """Delete the superseded files, then the directories they leave empty."""
    for path in step.superseded:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as error:
            result.outcome.failed.append((os.path.relpath(path, step.move.source),
                                          f"not removed: {error.strerror}"))
    gone = [path for path in step.superseded if not os.path.lexists(path)]
    if gone:
        result.notes.append(f"removed {len(gone)} of rustup's own files: scratch has them too")
    parents = {os.path.dirname(path) for path in step.superseded}
    for directory in sorted(parents, key=len, reverse=True):
        while inside(directory, step.move.source):
            try:
                os.rmdir(directory)
            except OSError:
                break
            directory = os.path.dirname(directory)


def _transfer(plan: Plan, step: PlannedMove, verify: str, bar: BarFactory,
              before_removing: Callable[[], None], token: str,
              keep_times: bool) -> TransferOutcome:
    assert step.survey is not None
    s, tool = step.survey, step.move.tool
    copied, close_copy = bar(f"copy {tool}", s.copy_bytes, s.copy_files)
    closers = [close_copy]

    def start_verify() -> ProgressCallback | None:
        closers.pop()()
        callback, close = bar(f"verify {tool}", s.total_bytes, len(s.items))
        closers.append(close)
        return callback

    verified = _Deferred(start_verify) if copied is not None else None
    try:
        return Transfer(s, verify=verify, progress=copied, token=token,
                        keep_times=keep_times).run(verified, before_removing)
    except DestinationFull as full:
        raise ScratchenvError(
            f"the destination filled up while copying {tilde(full.path, plan.home)} "
            f"({full.error.strerror}): nothing of {tool} was removed from home; the copies made so "
            f"far stay in {step.move.dest}, so after freeing space `{rerun_command(plan)}` "
            f"continues") from None
    finally:
        for close in closers:
            close()


class _Deferred:
    """The verify bar's callback: opens that bar (closing the copy bar) on first use."""

    def __init__(self, start: Callable[[], ProgressCallback | None]) -> None:
        self._start: Callable[[], ProgressCallback | None] | None = start
        self._callback: ProgressCallback | None = None

    def __call__(self, nbytes: int, nfiles: int) -> None:
        if self._start is not None:
            self._callback, self._start = self._start(), None
        if self._callback is not None:
            self._callback(nbytes, nfiles)

