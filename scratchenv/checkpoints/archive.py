"""Old checkpoints and model caches onto scratch: `checkpoints adopt` and `checkpoints archive`.

The seed's setup left checkpoints where the new one does not look: the legacy
`~/.cache/huggingface/transformers`, `.art/` and `checkpoints/` directories inside a checkout,
and checkpoint directories under another root. Its own migration was `cp -r` then `rm -rf`.
Here both moves go through the transfer engine migrate uses (disk/transfer.py): each file
copied, synced and verified before its source goes, never over a different file at the
destination, and a killed run is finished by running the same command again (disk/journal.py).

- adopt: into this worktree's checkpoint directory (a `checkpoint-<step>` directory goes in
  as it is; a directory of them is merged in), or `in_place`: a checkpoint directory under
  the root is recorded as this worktree's and stays where it is.
- archive: into `{root}/archived_models_YYYYMMDD/<name>`, the name made from the path's last
  three parts (`src_repo_.art`). The day's folder is kept in a journal until the run
  finishes, so a run killed before midnight is finished into the same folder after it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.checkpoints.directories import (
    METADATA,
    STEP,
    CheckpointDir,
    checkpoint_bases,
    checkpoint_root,
    directories,
    directory_for,
    list_checkpoints,
    read_metadata,
    resolve,
    root_holding,
    setup,
    write_record,
)
from scratchenv.checkpoints.identity import Identity, locate, sanitise, with_worktree_id
from scratchenv.checkpoints.recognise import LEGACY_HF
from scratchenv.disk.journal import Journal
from scratchenv.disk.room import space_checks_for
from scratchenv.disk.survey import Survey, survey
from scratchenv.disk.transfer import (
    DestinationFull,
    Transfer,
    TransferOutcome,
)
from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.locations import inside, tilde

if TYPE_CHECKING:
    from scratchenv.plan import Plan

IN_CHECKOUT = (".art", "checkpoints", "trainer_output")
"""Directory names the seed's training scripts wrote inside a checkout (`trainer_output`:
transformers' default `output_dir` when none is given)."""
ARCHIVE_FOLDER = "archived_models_{date}"
JOURNAL = ".scratchenv/archive.json"
"""Under the root: the folder of an archive run that has not finished."""
ADOPT_JOURNAL = ".scratchenv/adopt.json"


@dataclass
class Job:
    """Move `source` to `dest`; `note` says why not, when there is nothing to do."""

    source: str
    dest: str
    survey: Survey | None = None
    note: str = ""
    record: str | None = None
    """A checkpoint directory's ownership record in the source: left out, removed at the end."""
    holder: str | None = None
    """The directory of checkpoints `source` is in: removed once all of it is moved."""
    aside: str = ""
    """Why `dest` is kept apart from this worktree's checkpoints (adopt), when it is."""
    outcome: TransferOutcome = field(default_factory=TransferOutcome)
    keep_times: bool = True
    """False onto a purged root: copies get the current time (Plan.keeps_times)."""

    @property
    def active(self) -> bool:
        return self.survey is not None and not self.note

    @property
    def finished(self) -> bool:
        return not os.path.lexists(self.source)


# Where old checkpoints are.


def legacy_places(home: str, checkout: str | None) -> list[str]:
    """The seed's places that exist: the legacy transformers cache, then `.art/` and
    `checkpoints/` directories in `checkout` (its top two levels)."""
    found = []
    hf = os.path.join(home, LEGACY_HF)
    if os.path.isdir(hf) and not os.path.islink(hf):
        found.append(hf)
    if checkout is not None:
        found += in_checkout(checkout)
    return found


def in_checkout(checkout: str) -> list[str]:
    """IN_CHECKOUT directories at the top of `checkout` or one level down."""
    found = []
    levels = [checkout]
    for depth in range(2):
        below = []
        for directory in levels:
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.name == ".git" or not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.name in IN_CHECKOUT:
                    found.append(entry.path)
                elif depth == 0:
                    below.append(entry.path)
        levels = below
    return found


def _checked(source: str, dest: str, keeps: Sequence[str] = (), *,
             touched: set[str] | frozenset[str] = frozenset(),
             parts: Sequence[str] = (), keep_times: bool = True,
             files: bool = False) -> Job:
    job = Job(source, dest, keep_times=keep_times)
    if not os.path.lexists(source):
        job.note = "not there"
    elif os.path.islink(source):
        job.note = f"a symlink to {os.path.realpath(source)}: left alone"
    elif not os.path.isdir(source) and not files:
        job.note = "not a directory"
    elif inside(os.path.realpath(dest), os.path.realpath(source)):
        job.note = "the destination is inside it: left alone"
    elif inside(os.path.realpath(source), os.path.realpath(dest)):
        job.note = "already in its destination"
    else:
        job.survey = survey(source, dest, keeps, part_tokens=parts, keep_times=keep_times)
        job.survey.source_touched = source in touched
    return job


# archive


def archive_name(path: str) -> str:
    """A readable folder name for `path`: its last three parts (`src_repo_.art`,
    `cache_huggingface_transformers`)."""
    return sanitise("_".join(path.rstrip("/").split("/")[-3:]))


def archive_folder(root: Path, today: float | None = None) -> Path:
    """The folder an interrupted run started, else today's."""
    name = Journal(root / JOURNAL).data.get("folder")
    if not isinstance(name, str) or "/" in name or not name.startswith("archived_models_"):
        name = ARCHIVE_FOLDER.format(date=time.strftime("%Y%m%d", time.localtime(today)))
    return root / name


SOURCES = ".scratchenv-sources.json"
"""In an archive folder: which source each of its folders came from, {name: path}."""


def _sources(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / SOURCES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def plan_archive(root: Path, paths: Sequence[str], *, keep_times: bool = True) -> list[Job]:
    """One job per path (absolute), into the archive folder; `keep_times`: the root is not
    purged (Plan.keeps_times). Each source gets a folder of its own: a name already
    taken by another source (that day, or in this run) gets `-<8 hex of the path>`."""
    folder = archive_folder(root)
    earlier = Journal(root / JOURNAL)
    touched, parts = earlier.touched, earlier.parts
    known = _sources(folder)
    jobs: list[Job] = []
    names: set[str] = set()
    for path in paths:
        name = archive_name(path)
        if name in names or known.get(name, path) != path or (
                name not in known and os.path.lexists(folder / name)):
            digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
            name = f"{name}-{digest}"
        while name in names:
            name += "_"
        names.add(name)
        jobs.append(_checked(path, str(folder / name), touched=touched, parts=parts,
                             keep_times=keep_times))
    return jobs


def archive(root: Path, jobs: Sequence[Job], *, verify: str = "size") -> None:
    """Carry out archive jobs, with the journal that keeps a re-run in the same folder."""
    active = [job for job in jobs if job.active]
    if active:
        _check_space(active)
        journal = Journal(root / JOURNAL)
        folder = Path(os.path.dirname(active[0].dest))
        journal.save(folder=folder.name)
        known = _sources(folder)
        known.update({os.path.basename(job.dest): job.source for job in active})
        try:
            makedirs_private(str(folder))
            atomic_write(folder / SOURCES, json.dumps(known, indent=2, sort_keys=True) + "\n",
                         mode=0o600)
        except OSError as problem:
            raise ScratchenvError(f"cannot write {folder / SOURCES}: {problem.strerror}") from None
        _run(active, verify, journal)
        if all(job.finished for job in active):
            journal.forget()


# adopt


ADOPTED = "adopted"
"""Inside a checkpoint directory: what adopt kept apart, `adopted/<source>/checkpoint-<step>`
(not a `checkpoint-<step>` at the top, so neither the Trainer nor `latest_checkpoint()`
resumes from it by itself, and cleanup leaves it alone)."""


def plan_adopt(plan: Plan, identity: Identity, paths: Sequence[str]) -> list[Job]:
    """The jobs that move `paths` (absolute) into the directory `identity` owns (created when
    run). A checkpoint directory is one unit, never merged file by file: one whose name is
    taken already, or any when the directory holds a run already (a live directory), is kept
    apart under `adopted/<source>/`. A directory of checkpoints moves entry by entry."""
    found = resolve(plan, with_worktree_id(identity))
    target = found.path
    if root_holding(plan, target) != checkpoint_bases(plan)[0]:
        # Left on the other root before the tiers changed: adopting moves it to this one.
        target = directory_for(plan, found.id)
    earlier = Journal(Path(plan.checkpoint_place.root) / ADOPT_JOURNAL)
    touched, parts = earlier.touched, earlier.parts
    keep_times = plan.keeps_times(str(root_holding(plan, target)))
    started = earlier.data.get("dests")
    started = started if isinstance(started, dict) else {}
    live = bool(list_checkpoints(target)[0])
    taken: set[str] = set()
    jobs: list[Job] = []

    def place(source: str, label: str, holder: str | None, record: str | None) -> None:
        name = os.path.basename(source)
        dest, aside = target / name, ""
        if isinstance(started.get(source), str):  # an interrupted run chose already
            dest = Path(started[source])
            aside = "kept apart (chosen by the interrupted run)" if ADOPTED in dest.parts else ""
        elif live:
            dest, aside = target / ADOPTED / label / name, (
                "kept apart: this directory holds another run")
        elif name in taken or os.path.lexists(dest):
            dest, aside = target / ADOPTED / label / name, (
                f"kept apart: {name} is already there from another run")
        if not aside:
            taken.add(name)
        job = _checked(source, str(dest), touched=touched, parts=parts, keep_times=keep_times,
                       files=holder is not None)
        job.aside, job.holder, job.record = aside, holder, record
        jobs.append(job)

    for path in paths:
        if inside(os.path.realpath(path), os.path.realpath(target)):
            jobs.append(Job(path, str(target), note="already in its destination"))
            continue
        record = read_metadata(Path(path)) if os.path.isdir(path) else None
        if record is not None and not identity.owns(record) and locate(record).gone is False:
            owner = locate(record).path or record.get("project")
            jobs.append(Job(path, str(target), note=f"belongs to {owner}, which is still there"))
            continue
        if (os.path.islink(path) or not os.path.isdir(path)
                or STEP.fullmatch(os.path.basename(path))):
            place(path, archive_name(os.path.dirname(path)), None, None)
            continue
        try:
            children = sorted(e.name for e in os.scandir(path) if e.name != METADATA)
        except OSError as problem:
            jobs.append(Job(path, str(target), note=f"cannot read it: {problem.strerror}"))
            continue
        if not children:
            jobs.append(Job(path, str(target), note="nothing in it to adopt"))
        for child in children:
            place(os.path.join(path, child), archive_name(path), path,
                  os.path.join(path, METADATA) if record is not None else None)
    return jobs


def adopt(plan: Plan, identity: Identity, jobs: Sequence[Job], *,
          verify: str = "size") -> CheckpointDir:
    """Carry out adopt jobs into this worktree's directory (set up first); returns it."""
    found = setup(plan, identity).directory
    active = [job for job in jobs if job.active]
    _check_space(active)
    journal = Journal(Path(plan.checkpoint_place.root) / ADOPT_JOURNAL)
    if active:  # a re-run after a kill puts each source where this run chose
        journal.save(dests={job.source: job.dest for job in active})
    _run(active, verify, journal)
    for holder in sorted({job.holder for job in active if job.holder is not None}):
        mine = [job for job in active if job.holder == holder]
        if all(job.finished for job in mine):
            # What is left is the old ownership record alone (ours to remove) or nothing.
            with contextlib.suppress(OSError):
                if mine[0].record is not None:
                    os.unlink(mine[0].record)
                os.rmdir(holder)
    if all(job.finished for job in active):
        journal.forget()
        found = setup(plan, identity).directory  # the record goes where the run now is
    return found


def adopt_in_place(plan: Plan, identity: Identity, path: str) -> CheckpointDir:
    """Record the checkpoint directory `path` (under the root) as this worktree's."""
    identity = with_worktree_id(identity)
    if identity.project is None and identity.worktree_id is None:
        raise ConfigError("adopt --in-place needs a git worktree (its id is what finds the "
                          "directory again); outside git, adopt without --in-place")
    real = os.path.realpath(path)
    under_root = {os.path.realpath(p): (id_, p) for id_, p in directories(plan)}
    if real not in under_root:
        raise ConfigError(f"{path} is not a checkpoint directory under "
                          f"{checkpoint_root(plan)}; adopt without --in-place moves it in")
    ours = resolve(plan, identity)
    if os.path.isdir(ours.path) and os.path.realpath(ours.path) != real:
        raise ConfigError(f"this worktree already has {ours.path}; adopt without --in-place "
                          "moves the checkpoints into it")
    record = read_metadata(Path(real))
    if record is not None and not identity.owns(record) and locate(record).gone is False:
        raise ConfigError(f"{path} belongs to {locate(record).path or record.get('project')}, "
                          "which is still there")
    id_, where = under_root[real]
    found = CheckpointDir(where, id_, identity)
    write_record(found)
    return found


# Shared by both.


def _check_space(jobs: Sequence[Job]) -> None:
    pairs = [(job.dest, job.survey) for job in jobs if job.survey is not None]
    short = [check.describe() for check in space_checks_for(pairs) if not check.ok]
    if short:
        raise ScratchenvError("not enough space, nothing moved: " + "; ".join(short))


def _run(jobs: Sequence[Job], verify: str, journal: Journal) -> None:
    """Move each job's tree, noting in the journal which sources it began removing (and,
    before anything is copied, this run's temporary-name token)."""
    if not jobs:
        return
    token = journal.begin()
    for job in jobs:
        assert job.survey is not None

        def touching(job: Job = job) -> None:
            journal.touch(job.source)

        try:
            job.outcome = Transfer(job.survey, verify=verify, token=token,
                                   keep_times=job.keep_times).run(
                before_removing=touching)
        except DestinationFull as full:
            raise ScratchenvError(
                f"the destination filled up while copying {full.path} ({full.error.strerror}): "
                f"nothing of {job.source} was removed; the copies made so far stay in "
                f"{job.dest}, so after freeing space the same command continues") from None


def describe(job: Job, home: str) -> str:
    """One line for a job (dry run, or after the run)."""
    source = tilde(job.source, home)
    if job.note:
        return f"{source}: {job.note}"
    assert job.survey is not None
    s = job.survey
    done = job.outcome
    left = len(done.conflicts) + len(done.failed) + len(done.skipped)
    aside = f" ({job.aside}; resume from it only by naming it)" if job.aside else ""
    if done.moved or done.finished or left:
        tail = f"; {left} left in place (conflicts or failures)" if left else ""
        return f"{source} -> {job.dest}: moved {done.moved} files{tail}{aside}"
    return f"{source} -> {job.dest}: {len(s.items)} files, {len(s.conflicts)} conflicts{aside}"
