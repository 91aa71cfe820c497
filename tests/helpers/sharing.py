"""Making usage.scan share a test's small tree with its helper processes.

A tree a test can afford is walked here before a helper has started (the helper is then
ended unasked), so the walk here waits until a helper has taken the first chunk.
"""

from __future__ import annotations

import fcntl
import struct
import termios
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any


def share_early(usage: ModuleType, setattr: Callable[[Any, str, Any], None] = setattr, *,
                cores: int = 2, wait: bool = True) -> None:
    """Make `usage` share any tree of 50 entries and more with `cores - 1` helpers (even
    on a 1-core runner); `setattr`: monkeypatch.setattr in a test, the builtin in a script.
    `wait`: the walk here starts once a helper has taken a chunk (not for helpers meant
    to fail before they take one)."""
    setattr(usage, "HANDOFF_ENTRIES", 50)
    setattr(usage, "SHARE_DIRECTORIES", 4)
    setattr(usage, "usable_cores", lambda: cores)
    if not wait:
        return
    take = usage.take_tickets

    def after_a_helper(tickets: int, chunks: list[list[str]], *rest: Any) -> Any:
        deadline = time.monotonic() + 30
        while chunks and _unread(tickets) == 4 * len(chunks) and time.monotonic() < deadline:
            time.sleep(0.005)
        return take(tickets, chunks, *rest)

    setattr(usage, "take_tickets", after_a_helper)


def _unread(pipe: int) -> int:
    return struct.unpack("i", fcntl.ioctl(pipe, termios.FIONREAD, b"\0" * 4))[0]
