"""A real one-node Slurm on loopback for the tests: munged, slurmctld and slurmd; the
`cluster` fixture is one for the whole session (every Slurm test is in one xdist group).

Started as root in the foreground (`-F`, `-D`) as children of the test session, so they are
stopped by PID at the end and, should the session die, get SIGTERM from the kernel
(PR_SET_PDEATHSIG) instead of outliving it. Everything lives in one temp directory: the
config, the state, the logs, and a private munge key and socket (a munged the machine may
already run is left alone). Ports are free loopback ports picked at start, so two sessions
on one machine do not collide. See the comments below for what each daemon insists on.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import unavailable

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "salloc", "scontrol", "squeue", "sinfo", "scancel")
FINISHED = frozenset({
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
    "BOOT_FAIL", "DEADLINE", "PREEMPTED",
})
_PR_SET_PDEATHSIG = 1
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


class SlurmUnavailable(Exception):
    """Slurm cannot be started here; the message says why."""


@dataclass
class Cluster:
    """A running cluster: `env` holds what a client needs to talk to it (SLURM_CONF)."""

    workdir: Path
    node: str
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    prolog_dir: Path = Path("/nonexistent")

    def run(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """A Slurm client, talking to this cluster."""
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **self.env})

    def job_ids(self) -> set[str]:
        """Every job the controller knows: queued, running, and recently finished."""
        out = self.run("scontrol", "show", "job", "--oneliner").stdout
        return set(re.findall(r"^JobId=(\d+)", out, re.MULTILINE))

    def job_state(self, job_id: str) -> dict[str, str]:
        out = self.run("scontrol", "show", "job", "--oneliner", job_id).stdout
        return dict(re.findall(r"(\w+)=(\S*)", out))

    def wait_for_job(self, job_id: str, timeout: float = 60) -> dict[str, str]:
        """Poll `scontrol show job` until the job has finished (no accounting, so no sacct)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.job_state(job_id)
            if state.get("JobState") in FINISHED:
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} not finished after {timeout}s: {state}"
                                     f"\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        parts = []
        for log in sorted(self.workdir.glob("log/*")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here, or None."""
    if os.geteuid() != 0:
        return "needs root: to start a test Slurm (munged, slurmctld, slurmd)"
    missing = [name for name in DAEMONS + CLIENTS if _program(name) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (`make test` installs them)"
    host = socket.gethostname()
    try:
        address = socket.gethostbyname(host)
    except OSError as error:
        return f"host name {host!r} does not resolve ({error}); add it to /etc/hosts"
    if not address.startswith("127."):
        return f"host name {host!r} resolves to {address}, not loopback: the test cluster " \
               "would listen beyond loopback"
    return None


@contextmanager
def running_cluster(timeout: float = 30, extra: Sequence[str] = ()) -> Iterator[Cluster]:
    """Start munged, slurmctld and slurmd; yield once the node is idle; stop them by PID.
    `extra`: more slurm.conf lines (e.g. `TaskProlog=...`), after the defaults."""
    reason = unavailable_reason()
    if reason:
        raise SlurmUnavailable(reason)
    # Not under pytest's tmp: its 0700 parents keep the munge user out of its own socket.
    workdir = Path(tempfile.mkdtemp(prefix="scratchenv-slurm-"))
    workdir.chmod(0o755)
    node = socket.gethostname().split(".")[0]
    cluster = Cluster(workdir, node, {"SLURM_CONF": str(workdir / "slurm.conf")})
    try:
        _start(cluster, timeout, extra)
        yield cluster
    finally:
        _stop(cluster)
        shutil.rmtree(workdir, ignore_errors=True)


def _start(cluster: Cluster, timeout: float, extra: Sequence[str] = ()) -> None:
    workdir = cluster.workdir
    for name in ("state", "spool", "log"):
        (workdir / name).mkdir()
    socket_path = _start_munge(cluster, timeout)
    ctld_port, slurmd_port = _free_port(), _free_port()
    (workdir / "slurm.conf").write_text(slurm_conf(
        workdir, cluster.node, socket_path, ctld_port, slurmd_port, os.cpu_count() or 1)
        + "".join(f"{line}\n" for line in extra))
    env = {**os.environ, **cluster.env}
    for name in ("slurmctld", "slurmd"):
        cluster.procs[name] = _spawn([_need(name), "-D"], workdir / "log" / f"{name}.out", env)
    deadline = time.monotonic() + timeout
    state = ""
    while state != "idle":
        _check_alive(cluster)
        if time.monotonic() > deadline:
            raise SlurmUnavailable(f"node {cluster.node} not idle after {timeout}s "
                                   f"(sinfo: {state!r})\n{cluster.log_tail()}")
        time.sleep(0.1)
        with suppress(subprocess.TimeoutExpired):
            state = cluster.run("sinfo", "--noheader", "--Node", "--format=%t", timeout=5) \
                .stdout.strip()


def _start_munge(cluster: Cluster, timeout: float) -> Path:
    """A private munged (own key and socket) running as the munge user, as it insists."""
    import pwd

    munge_dir = cluster.workdir / "munge"
    munge_dir.mkdir(mode=0o755)  # munged wants its socket directory open to all
    key = munge_dir / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    account = pwd.getpwnam("munge")
    for path in (munge_dir, key):
        os.chown(path, account.pw_uid, account.pw_gid)
    socket_path = munge_dir / "munge.socket"
    argv = [_need("munged"), "--foreground", f"--socket={socket_path}", f"--key-file={key}",
            f"--pid-file={munge_dir / 'munged.pid'}", f"--seed-file={munge_dir / 'seed'}",
            f"--log-file={munge_dir / 'munged.log'}"]
    cluster.procs["munged"] = _spawn(argv, cluster.workdir / "log" / "munged.out",
                                     dict(os.environ), user="munge")
    deadline = time.monotonic() + timeout
    while not socket_path.exists():
        _check_alive(cluster)
        if time.monotonic() > deadline:
            raise SlurmUnavailable(f"munged did not create {socket_path}\n{cluster.log_tail()}")
        time.sleep(0.05)
    return socket_path


def slurm_conf(workdir: Path, node: str, munge_socket: Path, ctld_port: int, slurmd_port: int,
               cpus: int) -> str:
    """One node, one partition, no cgroups, no accounting, no scheduling delay, loopback."""
    return "\n".join([
        "ClusterName=scratchenv-test",
        f"SlurmctldHost={node}",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge_socket}",
        f"StateSaveLocation={workdir}/state",
        f"SlurmdSpoolDir={workdir}/spool",
        f"SlurmctldPidFile={workdir}/slurmctld.pid",
        f"SlurmdPidFile={workdir}/slurmd.pid",
        f"SlurmctldLogFile={workdir}/log/slurmctld.log",
        f"SlurmdLogFile={workdir}/log/slurmd.log",
        # Listen on the address the host name resolves to (loopback here), not on all.
        "CommunicationParameters=NoCtldInAddrAny,NoInAddrAny",
        # No cgroups on these machines: track processes by /proc, bind no tasks.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "MpiDefault=none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        # Without it every batch job waits about 3 s before it is scheduled.
        "SchedulerParameters=batch_sched_delay=0",
        "ReturnToService=2",
        "KillWait=2",
        f"NodeName={node} CPUs={cpus} State=UNKNOWN",
        f"PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP",
        "",
    ])


def _stop(cluster: Cluster) -> None:
    """Cancel what is left, then stop the daemons by PID, newest first."""
    if "slurmd" in cluster.procs and cluster.procs["slurmd"].poll() is None:
        with suppress(subprocess.TimeoutExpired, OSError):
            left = cluster.run("squeue", "--noheader", "--format=%i", timeout=5).stdout.split()
            if left:
                cluster.run("scancel", *left, timeout=5)
                deadline = time.monotonic() + 10
                while left and time.monotonic() < deadline:
                    time.sleep(0.1)
                    left = cluster.run("squeue", "--noheader", "--format=%i",
                                       timeout=5).stdout.split()
    for proc in reversed(list(cluster.procs.values())):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _check_alive(cluster: Cluster) -> None:
    for name, proc in cluster.procs.items():
        if proc.poll() is not None:
            raise SlurmUnavailable(f"{name} exited with {proc.returncode}\n{cluster.log_tail()}")


def _spawn(argv: list[str], log: Path, env: dict[str, str], user: str | None = None
           ) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                                user=user, preexec_fn=_die_with_parent, start_new_session=True)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test session goes, however it goes."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _program(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def _need(name: str) -> str:
    path = _program(name)
    if path is None:
        raise SlurmUnavailable(f"{name} is not installed")
    return path


def submitted_id(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    match = re.search(r"Submitted batch job (\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return match.group(1)


def read_env(path: Path) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in path.read_text().split("\0") if "=" in item)
    return dict(pairs)


NO_PROLOG = "#!/bin/sh\n"
"""The site's TaskProlog between the tests that write their own: prints nothing, so no task
gets anything from it."""


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The session's one test Slurm (booting one takes seconds). Its slurm.conf names a
    TaskProlog, `cluster.prolog_dir / "taskprolog"`, that does nothing unless a test writes
    one (the `site_prolog` fixture puts the no-op back after it)."""
    reason = unavailable_reason()
    if reason and os.geteuid() != 0:
        unavailable(f"no test Slurm: {reason}")
    prolog_dir = Path(tempfile.mkdtemp(prefix="scratchenv-prolog-", dir="/tmp"))
    prolog_dir.chmod(0o755)
    _write_prolog(prolog_dir, NO_PROLOG)
    try:
        with running_cluster(extra=[f"TaskProlog={prolog_dir}/taskprolog"]) as running:
            running.prolog_dir = prolog_dir
            yield running
    except SlurmUnavailable as error:
        pytest.fail(f"cannot start the test Slurm: {error}")
    finally:
        shutil.rmtree(prolog_dir, ignore_errors=True)


@pytest.fixture
def site_prolog(cluster: Cluster) -> Iterator[Path]:
    """The directory of the cluster's TaskProlog program, for a test to write it (and a site
    config beside it); afterwards the program is the no-op again and the rest is gone."""
    yield cluster.prolog_dir
    for child in cluster.prolog_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    _write_prolog(cluster.prolog_dir, NO_PROLOG)


def _write_prolog(prolog_dir: Path, program: str) -> None:
    prolog = prolog_dir / "taskprolog"
    prolog.write_text(program)
    prolog.chmod(0o755)
