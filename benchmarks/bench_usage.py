"""The size scan (usage.scan) against `du -s` on a generated 200k-file tree.

Warm cache (the tree was just written and synced), as on a login node re-checking a cache. Ours runs
in-process (what `status`/`verify` pay), du as a process; runs are interleaved. A second row
times `scratchenv status` as a whole process (start-up, settings, the walk of the root holding
that tree, the report): what a person waits for.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Row, side_by_side, sized

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratchenv.disk.usage import scan  # noqa: E402

FILES = sized(200_000, 200)


def make_tree(root: str, files: int = FILES) -> None:
    """`files` files of 0..5 KB in 20 x 100 directories, with a few hard links and symlinks."""
    per_dir = 100
    for index in range(files // per_dir):
        directory = os.path.join(root, f"d{index // 100:02d}", f"e{index % 100:03d}")
        os.makedirs(directory)
        for number in range(per_dir):
            with open(os.path.join(directory, f"f{number:03d}"), "wb") as handle:
                handle.write(b"x" * ((number * 37) % 5000))
        os.link(os.path.join(directory, "f001"), os.path.join(directory, "hard"))
        os.symlink("f002", os.path.join(directory, "soft"))


def rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as base:
        tmp = f"{base}/scratch"
        make_tree(tmp)
        os.chmod(tmp, 0o700)
        # Written back before timing: otherwise the kernel's flush of the new tree takes a
        # core during the first runs (the scan uses both, du one), and the tree stays cached.
        os.sync()
        assert scan(tmp).bytes == int(subprocess.run(
            ["du", "-s", "--block-size=1", tmp], capture_output=True, text=True, check=True
        ).stdout.split()[0]), "scan and du disagree"
        timings: dict[str, list[float]] = {"du": [], "scan": []}
        for _ in range(sized(15, 1)):
            for key in timings:
                start = time.perf_counter()
                if key == "du":
                    subprocess.run(["du", "-s", tmp], check=True, stdout=subprocess.DEVNULL)
                else:
                    scan(tmp)  # as status and doctor call it: local disk, adaptive
                timings[key].append(time.perf_counter() - start)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
        env.update(HOME=f"{base}/home", SCRATCHENV_ROOT=tmp, SCRATCHENV_CONFIG=f"{base}/none")
        os.mkdir(env["HOME"], 0o700)
        status = side_by_side([str(Path(sys.executable).with_name("scratchenv")), "status"],
                              ["du", "-s", tmp], repeat=7, env=env)
    du = statistics.median(timings["du"])
    # The thread pool (network file systems) is not a row: on a local disk it only adds
    # GIL contention; it pays where every stat waits for a server.
    return [Row(f"usage.scan {FILES // 1000}k files (local disk)",
                statistics.median(timings["scan"]), du, "du -s", 0.8),
            Row(f"scratchenv status, root of {FILES // 1000}k files", *status, "du -s", 1.5)]
