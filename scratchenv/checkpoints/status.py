"""Every checkpoint directory of this user, on either root: its worktree (where it is now,
and whether it is gone), how many checkpoints, how big, the newest; which have no ownership
record (unclaimed) and which lost their worktree (orphans)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scratchenv.checkpoints.identity import locate
from scratchenv.checkpoints.listing import list_checkpoints
from scratchenv.checkpoints.ownership import read_metadata
from scratchenv.checkpoints.places import checkpoint_bases, directories, root_holding
from scratchenv.plain import record

if TYPE_CHECKING:
    from scratchenv.plan import Plan


@record
class DirStatus:
    path: Path
    id: str
    worktree: str | None
    """Where its worktree is now (it may have moved since the record was written)."""
    project: str | None
    worktree_exists: bool | None
    """None when unknown (no record) or not tied to a worktree (a named project)."""
    checkpoints: int
    bytes: int
    newest: str | None
    recorded_worktree: str | None = None
    doubt: str = ""
    """Why it is unknown whether the worktree is there (kept, and said)."""
    root: Path | None = None
    """The root it is on."""
    belongs_on: Path | None = None
    """The checkpoints tier's root, when it is on the other one (left there before
    `persistent_root` or `tiers` changed): training resumes from it where it is."""

    @property
    def move_advice(self) -> str:
        """The command that moves it to `belongs_on` (empty when it is there already)."""
        if self.belongs_on is None:
            return ""
        if self.project:
            return f"`scratchenv checkpoints adopt --project {self.project} {self.path}`"
        if self.worktree and self.worktree_exists is not False:
            return f"`cd {self.worktree} && scratchenv checkpoints adopt {self.path}`"
        return (f"`scratchenv checkpoints adopt {self.path}` in its worktree (or "
                f"`scratchenv checkpoints archive {self.path}`)")

    @property
    def orphan(self) -> bool:
        """Its worktree is really gone: `git worktree prune` would drop it."""
        return self.worktree_exists is False

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "id": self.id,
            "worktree": self.worktree,
            "recorded_worktree": self.recorded_worktree,
            "project": self.project,
            "worktree_exists": self.worktree_exists,
            "checkpoints": self.checkpoints,
            "bytes": self.bytes,
            "newest": self.newest,
            "root": str(self.root) if self.root else None,
            "belongs_on": str(self.belongs_on) if self.belongs_on else None,
        }


def unclaimed(plan: Plan) -> list[Path]:
    """Checkpoint directories on either root without an ownership record: made by hand or
    by the seed's script (`{root}/checkpoints_*`); kept, and reported."""
    return [path for _, path in directories(plan) if read_metadata(path) is None]


UNCLAIMED_ADVICE = ("`scratchenv checkpoints adopt --in-place {path}`, run in its worktree, "
                    "records it as that worktree's; `scratchenv checkpoints archive {path}` "
                    "archives it")


def all_directories(plan: Plan) -> list[DirStatus]:
    """Every checkpoint directory with its worktree, count, size and newest checkpoint;
    largest first."""
    result = [status_of(plan, id_, path) for id_, path in directories(plan)]
    result.sort(key=lambda d: (-d.bytes, str(d.path)))
    return result


def status_of(plan: Plan, id_: str, path: Path, *, measure: bool = True) -> DirStatus:
    """One directory's status; `measure=False` leaves its size at 0 (the caller has it)."""
    from scratchenv.disk.usage import scan

    record = read_metadata(path)
    checkpoints, _ = list_checkpoints(path)
    where = locate(record)
    recorded = record.get("worktree") if record else None
    root, primary = root_holding(plan, path), checkpoint_bases(plan)[0]
    return DirStatus(
        path=path,
        id=id_,
        worktree=where.path,
        project=record.get("project") if record else None,
        worktree_exists=None if where.gone is None else not where.gone,
        checkpoints=len(checkpoints),
        bytes=scan(str(path)).bytes if measure else 0,
        newest=checkpoints[0].name if checkpoints else None,
        recorded_worktree=recorded if isinstance(recorded, str) else None,
        doubt=where.why,
        root=root,
        belongs_on=primary if root != primary else None,
    )
