"""A login with the rc block (its activation file current) against the same shell with an
empty rc file: the block sources the file, which checks itself with builtins only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Row, side_by_side

# Each shell, interactive as a login terminal starts it, and the rc file its block is in.
SHELLS = {
    "bash": (["bash", "-i", "-c", "exit"], ".bashrc"),
    "zsh": (["zsh", "-i", "-c", "exit"], ".zshenv"),
    "fish": (["fish", "-i", "-c", "exit"], ".config/fish/config.fish"),
}
# Issue 27's goals: a login with the block against the same shell with an empty rc file.
GOALS = {"bash": 1.5, "zsh": 1.3, "fish": 1.5}


def rows() -> list[Row]:
    scratchenv = str(Path(sys.executable).with_name("scratchenv"))
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for shell, (argv, rc) in SHELLS.items():
            if shutil.which(shell) is None:
                print(f"bench_login: {shell} is not installed (make shells)", file=sys.stderr)
                continue
            ours, empty = Path(tmp, shell, "home"), Path(tmp, shell, "empty")
            for home in (ours, empty):
                (home / rc).parent.mkdir(parents=True, exist_ok=True)
                (home / rc).write_text("")
            base = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
            base["SCRATCHENV_ROOT"] = f"{tmp}/scratch"  # beside the homes, not around them
            env = {**base, "HOME": str(ours)}
            look_current(ours)
            subprocess.run([scratchenv, "init", shell], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,   # writes the file
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            t_ours, t_base = side_by_side(argv, argv, env=env,
                                          baseline_env={**base, "HOME": str(empty)})
            found.append(Row(f"{shell} -i login, block (file current)", t_ours, t_base,
                             f"{shell} -i, empty rc", GOALS[shell]))
        if shutil.which("bash") is not None:
            found.append(_home_line(scratchenv, Path(tmp, "watch")))
            if STOCK_BASHRC.is_file():
                found.append(_stock_bashrc(scratchenv, Path(tmp, "stock")))
            else:
                print(f"bench_login: no {STOCK_BASHRC} (not Debian?)", file=sys.stderr)
    return found


STOCK_BASHRC = Path("/etc/skel/.bashrc")
"""What a new account on Debian or Ubuntu starts with (it runs lesspipe and dircolors)."""


def _stock_bashrc(scratchenv: str, tmp: Path) -> Row:
    """A stock Debian ~/.bashrc with the block against the same .bashrc alone: what a
    user with the distribution's defaults notices."""
    argv, rc = SHELLS["bash"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
    base["SCRATCHENV_ROOT"] = str(tmp / "scratch")
    envs = []
    for name in ("ours", "stock"):
        home = tmp / name
        home.mkdir(parents=True)
        shutil.copyfile(STOCK_BASHRC, home / rc)
        envs.append({**base, "HOME": str(home)})
    look_current(tmp / "ours")
    subprocess.run([scratchenv, "init", "bash"], check=True, env=envs[0],
                   stdout=subprocess.DEVNULL)
    subprocess.run(argv, env=envs[0], stdin=subprocess.DEVNULL,   # writes the file
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    t_ours, t_base = side_by_side(argv, argv, env=envs[0], baseline_env=envs[1])
    return Row("bash -i, stock Debian .bashrc + block", t_ours, t_base,
               "bash -i, stock .bashrc alone", 1.05)


def look_current(home: Path, line: str = "") -> None:
    """A last look at home that is not due for a long time: the login reads it and starts no
    look in the background (a first login would, and it would outlive the benchmark)."""
    watch = home / ".local/state/scratchenv/home-watch"
    watch.parent.mkdir(parents=True, exist_ok=True)
    watch.parent.chmod(0o700)
    watch.write_text(f"{2**40}\n{line}\n")
    watch.chmod(0o600)


def _home_line(scratchenv: str, tmp: Path) -> Row:
    """The login's word about home (read from the last look with builtins) against the
    same login with `[login] warn = false`: it must cost nothing measurable."""
    argv, rc = SHELLS["bash"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
    base["SCRATCHENV_ROOT"] = str(tmp / "scratch")
    envs = []
    for name, config in (("warn", ""), ("quiet", "[login]\nwarn = false\n")):
        home = tmp / name
        (home / ".config/scratchenv").mkdir(parents=True)
        (home / ".config/scratchenv/config.toml").write_text(config)
        (home / rc).write_text("")
        env = {**base, "HOME": str(home)}
        # A current look with a line to say: the login reads it and prints it.
        look_current(home, "home 9.1G of 10G (+2.3G since Tue); scratchenv status --home")
        subprocess.run([scratchenv, "init", "bash"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        envs.append(env)
    t_ours, t_base = side_by_side(argv, argv, env=envs[0], baseline_env=envs[1])
    return Row("bash -i login, home line (look current)", t_ours, t_base,
               "bash -i, [login] warn = false", 1.05)

