"""The journal of a run that moves files (migrate, checkpoints adopt and archive): a small JSON
file under the root, present while the run is under way, so a killed run is noticed and the
same command finishes it.

It records, before anything is copied, the token of each run's temporary names (only files
named with those are ever taken for leftovers, copying.part_name), the sources a run began
removing (their directory times at the destination are right already, see
Survey.source_touched), and whatever else the command needs to carry on where it stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from scratchenv.config.reading import read_written_dict
from scratchenv.disk.copying import new_token
from scratchenv.errors import ScratchenvError
from scratchenv.fsutil import atomic_write, makedirs_private


class Journal:
    """The journal at `path` as it is now: `data` is empty when there is none (or it is not
    ours: another user's journal says nothing)."""

    def __init__(self, path: str | os.PathLike[str], what: str = "journal") -> None:
        self.path = Path(path)
        self.what = what
        """What error messages call it ("migration journal")."""
        data = read_written_dict(self.path)
        self.found = data is not None
        """A run left it: it did not finish."""
        self.data: dict = data if data is not None else {}

    @property
    def parts(self) -> list[str]:
        """Tokens of the temporary names its runs used (copying.part_name)."""
        found = self.data.get("parts")
        return [t for t in found if isinstance(t, str) and t.isalnum()] if isinstance(
            found, list) else []

    @property
    def touched(self) -> set[str]:
        """Sources whose removal began."""
        found = self.data.get("touched")
        return {p for p in found if isinstance(p, str)} if isinstance(found, list) else set()

    def begin(self, **changes: object) -> str:
        """A token for this run's temporary names, recorded (with `changes`) before the
        first copy."""
        token = new_token()
        self.save(parts=[*self.parts, token], **changes)
        return token

    def touch(self, source: str) -> None:
        """Note that the run begins removing `source`."""
        self.save(touched=sorted(self.touched | {source}))

    def save(self, **changes: object) -> None:
        self.data.update(changes)
        try:
            makedirs_private(str(self.path.parent))  # the root too, if new: 0700
            atomic_write(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n",
                         mode=0o600)
        except OSError as problem:  # often the first write under the root: nothing moved yet
            raise ScratchenvError(f"cannot write the {self.what} {self.path}: "
                                  f"{problem.strerror} (is the scratch root writable?)") from None
        self.found = True

    def forget(self) -> None:
        """Drop the journal: nothing is left to finish."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.found = False
