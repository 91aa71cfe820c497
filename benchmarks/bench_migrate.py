"""`scratchenv migrate` of a 200k-file tree to another file system, against `cp -a` + `rm -rf`.

Both sides start from the same freshly written tree and end with it at the destination and
gone from the source; ours also verifies every copy (size and mtime) before unlinking.
As root, source and destination are two fresh tmpfs mounts; otherwise the source is in
/dev/shm (a tmpfs) and the destination in the temp directory (usually another file system).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from common import Row, sized

FILES = sized(200_000, 200)
REPEAT = sized(3, 1)


def write_tree(base: str, files: int = FILES) -> None:
    """A cache-like tree: 2,000 directories of 100 files, mostly small, a few of 4 MiB."""
    for i in range(files // 100):
        d = f"{base}/d{i // 20}/e{i % 20}"
        os.makedirs(d)
        for k in range(100):
            size = 4 * 1024**2 if (i * 100 + k) % 20_000 == 0 else (k * 37) % 4096
            with open(f"{d}/f{k}", "wb") as handle:
                handle.write(b"x" * size)


@contextmanager
def place(where: str) -> Iterator[str]:
    """A directory on its own tmpfs (root), else a plain directory under `where`."""
    path = tempfile.mkdtemp(dir=where)
    mounted = os.geteuid() == 0
    if mounted:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3g,mode=700", "tmpfs", path],
                       check=True)
    try:
        yield path
    finally:
        if mounted:
            subprocess.run(["umount", path], check=True)
        shutil.rmtree(path, ignore_errors=True)


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def rows() -> list[Row]:
    ours, base = [], []
    source_fs = tempfile.gettempdir() if os.geteuid() == 0 else "/dev/shm"
    with ExitStack() as stack:
        src = stack.enter_context(place(source_fs))
        dst = stack.enter_context(place(tempfile.gettempdir()))
        home, root = f"{src}/home", f"{dst}/scratch"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XDG_", "SCRATCHENV_", "PIP_"))}
        env.update(HOME=home, SCRATCHENV_ROOT=root, SCRATCHENV_CONFIG=f"{src}/none.toml")
        tree, copy = f"{home}/.cache/pip", f"{dst}/copy"
        for _ in range(REPEAT):
            write_tree(tree)
            t = time.perf_counter()
            subprocess.run(["cp", "-a", tree, copy], check=True)
            subprocess.run(["rm", "-rf", tree], check=True)
            base.append(time.perf_counter() - t)
            shutil.rmtree(copy)
            write_tree(tree)
            ours.append(timed([sys.executable, "-m", "scratchenv", "migrate", "pip", "--apply",
                               "--yes"], env=env))
            assert not os.path.exists(tree)
            shutil.rmtree(root)
    # Best of REPEAT, interleaved: on a shared machine the minimum is the least disturbed run.
    return [Row(f"migrate {FILES // 1000}k files across file systems", min(ours), min(base),
                "cp -a + rm -rf", 1.0)]
