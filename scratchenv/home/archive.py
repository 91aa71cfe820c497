"""Old checkpoints and model caches onto scratch: `checkpoints adopt` and `checkpoints archive`.

The seed's setup left checkpoints where the new one does not look: the legacy
`~/.cache/huggingface/transformers`, `.art/` and `checkpoints/` directories inside a checkout,
and checkpoint directories under another root. Its own migration was `cp -r` then `rm -rf`.
Here both moves go through the transfer engine migrate uses (transfer.py): each file copied,
synced and verified before its source goes, never over a different file at the destination,
and a killed run is finished by running the same command again.

- adopt: into this worktree's checkpoint directory (a `checkpoint-<step>` directory goes in
  as it is; a directory of them is merged in), or `in_place`: a checkpoint directory under
  the root is recorded as this worktree's and stays where it is.
- archive: into `{root}/archived_models_YYYYMMDD/<name>`, the name made from the path's last
  three parts (`src_repo_.art`). The day's folder is kept in a journal until the run
  finishes, so a run killed before midnight is finished into the same folder after it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scratchenv.checkpoints.directories import (
    METADATA,
    CheckpointDir,
    checkpoint_root,
    directories,
    read_metadata,
    resolve,
    setup,
    write_record,
)
from scratchenv.checkpoints.identity import Identity, locate, sanitise, with_worktree_id
from scratchenv.checkpoints.recognise import LEGACY_HF
from scratchenv.config.trust import read_written
from scratchenv.errors import ConfigError, ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private
from scratchenv.home.migrate import space_checks_for
from scratchenv.home.moves import tilde
from scratchenv.home.transfer import (
    DestinationFull,
    Survey,
    Transfer,
    TransferOutcome,
    new_token,
    survey,
)
from scratchenv.realpaths import inside

if TYPE_CHECKING:
    from scratchenv.config.settings import Settings

IN_CHECKOUT = (".art", "checkpoints")
"""Directory names the seed's training scripts wrote inside a checkout."""
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
    outcome: TransferOutcome = field(default_factory=TransferOutcome)

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
    """`.art/` and `checkpoints/` directories at the top of `checkout` or one level down."""
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
             parts: Sequence[str] = ()) -> Job:
    job = Job(source, dest)
    if not os.path.lexists(source):
        job.note = "not there"
    elif os.path.islink(source):
        job.note = f"a symlink to {os.path.realpath(source)}: left alone"
    elif not os.path.isdir(source):
        job.note = "not a directory"
    elif inside(os.path.realpath(dest), os.path.realpath(source)):
        job.note = "the destination is inside it: left alone"
    elif inside(os.path.realpath(source), os.path.realpath(dest)):
        job.note = "already in its destination"
    else:
        job.survey = survey(source, dest, keeps, part_tokens=parts)
        job.survey.source_touched = source in touched
    return job


# archive


def archive_name(path: str) -> str:
    """A readable folder name for `path`: its last three parts (`src_repo_.art`,
    `cache_huggingface_transformers`)."""
    return sanitise("_".join(path.rstrip("/").split("/")[-3:]))


class Journal:
    """A JSON file under the root, present while a run is under way: the archive folder it
    started, and the sources it began removing (their directory times at the destination are
    right already, see transfer.Survey.source_touched)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        found = read_written(path)  # another user's journal says nothing
        try:
            data = json.loads(found) if found is not None else None
        except ValueError:
            data = None
        self.data: dict = data if isinstance(data, dict) else {}

    @property
    def parts(self) -> list[str]:
        """Tokens of the temporary names its runs used (transfer.part_name)."""
        found = self.data.get("parts")
        return [t for t in found if isinstance(t, str) and t.isalnum()] if isinstance(
            found, list) else []

    @property
    def touched(self) -> set[str]:
        found = self.data.get("touched")
        return {p for p in found if isinstance(p, str)} if isinstance(found, list) else set()

    def save(self, **changes: object) -> None:
        self.data.update(changes)
        try:
            makedirs_private(str(self.path.parent))
            atomic_write(self.path, json.dumps(self.data, sort_keys=True) + "\n", mode=0o600)
        except OSError as problem:
            raise ScratchenvError(f"cannot write {self.path}: {problem.strerror} (is the "
                                  "scratch root writable?)") from None

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def archive_folder(root: Path, today: float | None = None) -> Path:
    """The folder an interrupted run started, else today's."""
    name = Journal(root / JOURNAL).data.get("folder")
    if not isinstance(name, str) or "/" in name or not name.startswith("archived_models_"):
        name = ARCHIVE_FOLDER.format(date=time.strftime("%Y%m%d", time.localtime(today)))
    return root / name


def plan_archive(root: Path, paths: Sequence[str]) -> list[Job]:
    """One job per path (absolute), into the archive folder."""
    folder = archive_folder(root)
    earlier = Journal(root / JOURNAL)
    touched, parts = earlier.touched, earlier.parts
    jobs: list[Job] = []
    names: set[str] = set()
    for path in paths:
        name = archive_name(path)
        while name in names:
            name += "_"
        names.add(name)
        jobs.append(_checked(path, str(folder / name), touched=touched, parts=parts))
    return jobs


def archive(root: Path, jobs: Sequence[Job], *, verify: str = "size") -> None:
    """Carry out archive jobs, with the journal that keeps a re-run in the same folder."""
    active = [job for job in jobs if job.active]
    if active:
        _check_space(active)
        journal = Journal(root / JOURNAL)
        journal.save(folder=os.path.basename(os.path.dirname(active[0].dest)))
        _run(active, verify, journal)
        if all(job.finished for job in active):
            journal.forget()


# adopt


def plan_adopt(settings: Settings, identity: Identity, paths: Sequence[str]) -> list[Job]:
    """One job per path (absolute): into the directory `identity` owns (created when run)."""
    target = resolve(settings, with_worktree_id(identity)).path
    earlier = Journal(settings.root_for("checkpoints") / ADOPT_JOURNAL)
    touched, parts = earlier.touched, earlier.parts
    jobs = []
    for path in paths:
        record = read_metadata(Path(path)) if os.path.isdir(path) else None
        if record is not None and not identity.owns(record) and locate(record).gone is False:
            owner = locate(record).path or record.get("project")
            jobs.append(Job(path, str(target), note=f"belongs to {owner}, which is still there"))
            continue
        if os.path.basename(path).startswith("checkpoint-"):
            jobs.append(_checked(path, str(target / os.path.basename(path)), touched=touched,
                                 parts=parts))
        else:
            keeps = [os.path.join(path, METADATA)] if record is not None else []
            job = _checked(path, str(target), keeps, touched=touched, parts=parts)
            job.record = keeps[0] if keeps else None
            jobs.append(job)
    return jobs


def adopt(settings: Settings, identity: Identity, jobs: Sequence[Job], *,
          verify: str = "size") -> CheckpointDir:
    """Carry out adopt jobs into this worktree's directory (set up first); returns it."""
    found = setup(settings, identity).directory
    active = [job for job in jobs if job.active]
    _check_space(active)
    journal = Journal(settings.root_for("checkpoints") / ADOPT_JOURNAL)
    _run(active, verify, journal)
    for job in active:
        # What is left is the old ownership record alone (ours to remove) or nothing.
        if job.record is not None and not job.outcome.conflicts and not job.outcome.failed:
            with contextlib.suppress(OSError):
                os.unlink(job.record)
                os.rmdir(job.source)
    if all(job.finished for job in active):
        journal.forget()
    return found


def adopt_in_place(settings: Settings, identity: Identity, path: str) -> CheckpointDir:
    """Record the checkpoint directory `path` (under the root) as this worktree's."""
    identity = with_worktree_id(identity)
    if identity.project is None and identity.worktree_id is None:
        raise ConfigError("adopt --in-place needs a git worktree (its id is what finds the "
                          "directory again); outside git, adopt without --in-place")
    real = os.path.realpath(path)
    under_root = {os.path.realpath(p): (id_, p) for id_, p in directories(settings)}
    if real not in under_root:
        raise ConfigError(f"{path} is not a checkpoint directory under "
                          f"{checkpoint_root(settings)}; adopt without --in-place moves it in")
    ours = resolve(settings, identity)
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
    token = new_token()
    if jobs:
        journal.save(parts=[*journal.parts, token])
    for job in jobs:
        assert job.survey is not None

        def touching(job: Job = job) -> None:
            journal.save(touched=sorted(journal.touched | {job.source}))

        try:
            job.outcome = Transfer(job.survey, verify=verify, token=token).run(
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
    if done.moved or done.finished or left:
        tail = f"; {left} left in place (conflicts or failures)" if left else ""
        return f"{source} -> {job.dest}: moved {done.moved} files{tail}"
    return f"{source} -> {job.dest}: {len(s.items)} files, {len(s.conflicts)} conflicts"
