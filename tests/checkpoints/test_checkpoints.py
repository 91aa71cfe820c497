"""Per-worktree checkpoint directories: real git worktrees, the real CLI, real files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import need, need_root
from helpers.cli import cli

from scratchenv.checkpoints import api
from scratchenv.checkpoints import directories as checkpoints
from scratchenv.checkpoints.identity import ID_FILE, sanitise
from scratchenv.errors import ScratchenvError


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch root and a home under tmp_path; the working directory is a plain dir."""
    scratch, home = tmp_path / "scratch", tmp_path / "home"
    scratch.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("SCRATCHENV_ROOT", str(scratch))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("SCRATCHENV_PROJECT", "SCRATCHENV_CONFIG", "SCRATCH", "GIT_DIR",
                 "GIT_WORK_TREE", "SCRATCHENV_CHECKPOINTS__LAYOUT"):
        monkeypatch.delenv(name, raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return scratch


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return done.stdout


@pytest.fixture
def repo(root: Path, tmp_path: Path) -> Path:
    """A git repository with one commit, at tmp_path/src/repo."""
    need("git")
    path = tmp_path / "src" / "repo"
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "first")
    return path


def make_checkpoint(directory: Path, step: int, *, complete: bool = True,
                    age: float = 3600) -> Path:
    """A checkpoint-<step> like the Trainer leaves it, last touched `age` seconds ago."""
    path = directory / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"\0" * 1024)
    if complete:
        (path / checkpoints.TRAINER_STATE).write_text(json.dumps({"global_step": step}))
    when = time.time() - age
    for child in path.iterdir():
        os.utime(child, (when, when))
    os.utime(path, (when, when))
    return path


# Identity and naming


def test_two_worktrees_of_one_repository_get_different_directories(repo: Path, root: Path):
    for name in ("wt-a", "wt-b"):
        git(repo, "worktree", "add", "-q", f"../{name}")
    a, b = repo.parent / "wt-a", repo.parent / "wt-b"
    (a / "sub").mkdir()

    dir_a = cli("checkpoints", "dir", cwd=a / "sub")
    dir_b = cli("checkpoints", "dir", cwd=b)
    dir_main = cli("checkpoints", "dir", cwd=repo)

    assert dir_a.returncode == 0, dir_a.stderr
    assert dir_a.stdout == f"{root}/checkpoints_src_wt-a\n"  # from a sub-directory too
    assert dir_b.stdout == f"{root}/checkpoints_src_wt-b\n"
    assert dir_main.stdout == f"{root}/checkpoints_src_repo\n"
    assert not any(root.iterdir())  # `dir` creates nothing

    for worktree in (a, b):
        done = cli("checkpoints", "setup", cwd=worktree)
        assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in root.iterdir())
    assert made == ["checkpoints_src_wt-a", "checkpoints_src_wt-b"]
    for worktree, name in ((a, "checkpoints_src_wt-a"), (b, "checkpoints_src_wt-b")):
        assert stat.S_IMODE((root / name).stat().st_mode) == 0o700
        record = checkpoints.read_metadata(root / name)
        gitdir = repo / ".git" / "worktrees" / worktree.name
        token = (gitdir / ID_FILE).read_text().strip()
        assert record == {"id": name.removeprefix("checkpoints_"), "worktree": str(worktree),
                          "project": None, "gitdir": str(gitdir), "worktree_id": token,
                          "parent_device": worktree.parent.stat().st_dev}
    assert not (repo / ".git" / ID_FILE).exists()  # the main checkout was never set up


def test_same_names_in_different_places_are_disambiguated(repo: Path, root: Path, tmp_path):
    first, second = tmp_path / "x" / "proj" / "main", tmp_path / "y" / "proj" / "main"
    for where in (first, second):
        where.parent.mkdir(parents=True)
        git(repo, "worktree", "add", "-q", "--detach", str(where))

    one = cli("checkpoints", "setup", cwd=first)
    two = cli("checkpoints", "setup", cwd=second)

    digest = hashlib.sha256(str(second).encode()).hexdigest()[:8]
    assert one.returncode == two.returncode == 0, two.stderr
    assert f"created: {root}/checkpoints_proj_main " in one.stdout
    assert f"created: {root}/checkpoints_proj_main-{digest} " in two.stdout
    assert f"taken by {first}" in two.stdout
    # Stable afterwards: each worktree keeps finding its own directory.
    assert cli("checkpoints", "dir", cwd=first).stdout == f"{root}/checkpoints_proj_main\n"
    again = cli("checkpoints", "dir", cwd=second)
    assert again.stdout == f"{root}/checkpoints_proj_main-{digest}\n"
    assert "taken by" in again.stderr


def test_names_that_sanitise_alike_do_not_share(root: Path, tmp_path, monkeypatch):
    spaced, underscored = tmp_path / "a b" / "w", tmp_path / "a_b" / "w"
    paths = []
    for where in (spaced, underscored):
        where.mkdir(parents=True)
        monkeypatch.chdir(where)
        paths.append(api.setup_checkpoint_directory())
    assert paths[0] == f"{root}/checkpoints_a_b_w"
    assert paths[1].startswith(f"{root}/checkpoints_a_b_w-")
    monkeypatch.chdir(spaced)
    assert api.get_checkpoint_dir() == paths[0]


@pytest.mark.parametrize("name", ["../..", "a/b", "x y", "..hidden", "", "über/ünï", "a..b"])
def test_sanitised_names_are_safe_directory_names(name: str):
    clean = sanitise(name)
    assert clean and "/" not in clean and ".." not in clean and " " not in clean
    assert not clean.startswith((".", "-"))


def test_project_name_overrides_the_worktree(repo: Path, root: Path):
    done = cli("checkpoints", "setup", "--project", "My Run", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert (root / "checkpoints_My_Run").is_dir()
    # The global flag means the same; SCRATCHENV_PROJECT (the cache layout) does not.
    before = cli("--project", "My Run", "checkpoints", "dir", cwd=repo)
    assert before.stdout == f"{root}/checkpoints_My_Run\n"
    env = {**os.environ, "SCRATCHENV_PROJECT": "nanochat"}
    plain = cli("checkpoints", "dir", cwd=repo, env=env)
    assert plain.stdout == f"{root}/checkpoints_src_repo\n"


def test_outside_git_the_working_directory_is_the_identity(root: Path, tmp_path, monkeypatch):
    plain = tmp_path / "runs" / "exp1"
    plain.mkdir(parents=True)
    monkeypatch.chdir(plain)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # not even git
    path = api.setup_checkpoint_directory()
    assert path == f"{root}/checkpoints_runs_exp1"
    assert not (plain / ".gitignore").exists()


def test_setup_adds_gitignore_entries_once(repo: Path, root: Path):
    (repo / ".gitignore").write_text("*.pyc\n.art/")  # no final newline
    for _ in range(2):
        assert cli("checkpoints", "setup", cwd=repo).returncode == 0
    lines = (repo / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["*.pyc", ".art/"]
    for entry in checkpoints.GITIGNORE_ENTRIES:
        assert lines.count(entry) == 1, entry
    assert "already has the entries" in cli("checkpoints", "setup", cwd=repo).stdout


def test_setup_makes_a_missing_root_private(root: Path, tmp_path, monkeypatch):
    new_root = tmp_path / "fresh" / "scratch"
    monkeypatch.setenv("SCRATCHENV_ROOT", str(new_root))
    monkeypatch.setenv("SCRATCHENV_CHECKPOINTS__LAYOUT", "ckpt/run-{id}")
    monkeypatch.chdir(tmp_path)
    path = Path(api.setup_checkpoint_directory())
    for made in (tmp_path / "fresh", new_root, new_root / "ckpt", path):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made


def test_a_gitignore_that_cannot_be_read_is_one_line(repo: Path, root: Path):
    (repo / ".gitignore").mkdir()
    done = cli("checkpoints", "setup", cwd=repo)
    assert done.returncode == 1
    assert done.stderr == f"scratchenv: error: cannot read {repo}/.gitignore: Is a directory\n"


@pytest.mark.parametrize("argv", [["checkpoints", "dir"], ["activate", "--shell", "bash"]])
def test_a_removed_working_directory_is_one_line(root: Path, tmp_path, argv):
    gone = tmp_path / "removed-worktree"
    gone.mkdir()
    code = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
            "from scratchenv.main import main; raise SystemExit(main(sys.argv[2:]))")
    done = subprocess.run([sys.executable, "-c", code, str(gone), *argv], capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("scratchenv: error: the working directory no longer exists")
    assert len(done.stderr.splitlines()) == 1


def test_setup_races_end_in_one_directory(root: Path, tmp_path):
    where = tmp_path / "race" / "wt"
    where.mkdir(parents=True)
    code = "from scratchenv.checkpoints import setup_checkpoint_directory as s; print(s())"
    runs = [subprocess.Popen([sys.executable, "-c", code], cwd=where, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = {run.communicate(timeout=120)[0] for run in runs}
    assert outputs == {f"{root}/checkpoints_race_wt\n"}
    assert [p.name for p in root.iterdir()] == ["checkpoints_race_wt"]


def test_layout_is_configurable_and_checked(root: Path, tmp_path, monkeypatch):
    where = tmp_path / "lay" / "out"
    where.mkdir(parents=True)
    monkeypatch.setenv("SCRATCHENV_CHECKPOINTS__LAYOUT", "ckpt/run-{id}")
    assert cli("checkpoints", "setup", cwd=where).returncode == 0
    assert (root / "ckpt" / "run-lay_out").is_dir()
    status = json.loads(cli("checkpoints", "status", "--json", cwd=where).stdout)
    assert [d["id"] for d in status] == ["lay_out"]

    monkeypatch.setenv("SCRATCHENV_CHECKPOINTS__LAYOUT", "../{id}")
    bad = cli("checkpoints", "dir", cwd=where)
    assert bad.returncode == 2
    assert bad.stderr.startswith("scratchenv: error: invalid setting checkpoints.layout")
    assert len(bad.stderr.splitlines()) == 1


# Cleanup


def test_cleanup_keeps_newest_by_step_and_leaves_symlink_targets_alone(root: Path, tmp_path):
    where = tmp_path / "clean" / "wt"
    where.mkdir(parents=True)
    assert cli("checkpoints", "setup", cwd=where).returncode == 0
    ckdir = root / "checkpoints_clean_wt"
    for step in (2, 9, 10, 100):
        make_checkpoint(ckdir, step)
    target = tmp_path / "precious"
    target.mkdir()
    (target / "data.bin").write_text("keep me")
    (ckdir / "checkpoint-999").symlink_to(target)  # would be "newest" if followed
    (ckdir / "checkpoint-2" / "link-out").symlink_to(target)  # inside a deleted one

    dry = cli("checkpoints", "cleanup", "--keep", "2", cwd=where)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: would delete 2 checkpoints" in dry.stdout
    assert sorted(p.name for p in ckdir.iterdir() if p.name.startswith("checkpoint-")) == [
        "checkpoint-10", "checkpoint-100", "checkpoint-2", "checkpoint-9", "checkpoint-999"]

    only_yes = cli("checkpoints", "cleanup", "--keep", "2", "--yes", cwd=where)
    assert "--yes only skips the question; --apply acts" in only_yes.stdout
    assert "dry run: would delete 2 checkpoints" in only_yes.stdout
    assert (ckdir / "checkpoint-2").is_dir()

    done = cli("checkpoints", "cleanup", "--keep", "2", "--apply", cwd=where)
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in ckdir.iterdir())
    assert left == [".scratchenv-worktree", "checkpoint-10", "checkpoint-100", "checkpoint-999"]
    assert (ckdir / "checkpoint-999").is_symlink()
    assert (target / "data.bin").read_text() == "keep me"
    assert "symlink" in done.stdout


def test_cleanup_skips_a_checkpoint_still_being_written(root: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ckdir = Path(api.setup_checkpoint_directory())
    make_checkpoint(ckdir, 1000)  # an older run that went further
    make_checkpoint(ckdir, 500)
    writing = make_checkpoint(ckdir, 20, complete=False, age=0)
    crashed = make_checkpoint(ckdir, 10, complete=False, age=3600)

    removed = api.cleanup_old_checkpoints(keep_latest=2)

    assert removed == [str(crashed)]
    assert writing.is_dir()
    assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == [
        "checkpoint-1000", "checkpoint-20", "checkpoint-500"]


def test_a_checkpoint_being_written_does_not_count_towards_keep(root: Path, tmp_path,
                                                                 monkeypatch):
    """Mid-save, the newest finished checkpoint is the only one a crash would leave."""
    monkeypatch.chdir(tmp_path)
    ckdir = Path(api.setup_checkpoint_directory())
    make_checkpoint(ckdir, 100)
    make_checkpoint(ckdir, 200)
    make_checkpoint(ckdir, 300, complete=False, age=0)

    removed = api.cleanup_old_checkpoints(keep_latest=1)

    assert removed == [str(ckdir / "checkpoint-100")]
    assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == [
        "checkpoint-200", "checkpoint-300"]


def _name_best(ckdir: Path, newest: int, best: str) -> None:
    """What the Trainer writes with load_best_model_at_end=True: the path it saved to."""
    state = ckdir / f"checkpoint-{newest}" / checkpoints.TRAINER_STATE
    state.write_text(json.dumps({"global_step": newest, "best_metric": 0.25,
                                 "best_model_checkpoint": best}))


def test_cleanup_keeps_the_best_checkpoint_and_says_why(root: Path, tmp_path):
    where = tmp_path / "best" / "wt"
    where.mkdir(parents=True)
    assert cli("checkpoints", "setup", cwd=where).returncode == 0
    ckdir = root / "checkpoints_best_wt"
    for step in (2, 4, 6, 8):
        make_checkpoint(ckdir, step)
    # Recorded where the run saved it before the directory was adopted here: matched by name.
    _name_best(ckdir, 8, "/old/scratch/checkpoints_x/checkpoint-4")

    dry = cli("checkpoints", "cleanup", "--keep", "1", cwd=where)
    assert dry.returncode == 0, dry.stderr
    lines = [line.split() for line in dry.stdout.splitlines()]
    assert ["keep", "checkpoint-8", "newest"] in lines
    assert ["keep", "checkpoint-4", "best", "(0.25):", "best_model_checkpoint", "in",
            "trainer_state.json"] in lines
    assert "dry run: would delete 2 checkpoints" in dry.stdout

    done = cli("checkpoints", "cleanup", "--keep", "1", "--apply", "--yes", cwd=where)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == ["checkpoint-4",
                                                                  "checkpoint-8"]


def test_the_api_keeps_the_best_checkpoint(root: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ckdir = Path(api.setup_checkpoint_directory())
    for step in (10, 20, 30):
        make_checkpoint(ckdir, step)
    _name_best(ckdir, 30, str(ckdir / "checkpoint-10"))

    removed = api.cleanup_old_checkpoints(keep_latest=1)

    assert removed == [str(ckdir / "checkpoint-20")]
    assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == ["checkpoint-10",
                                                                  "checkpoint-30"]


def test_the_exit_hook_cleans_the_directory_the_run_saved_into(root: Path, tmp_path,
                                                               monkeypatch):
    """A `project_name=` run registers cleanup at exit: the worktree's directory (another
    run's checkpoints) is not touched."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(api, "_saved_into", None, raising=False)
    worktree_dir = Path(api.get_checkpoint_dir())
    for step in (1, 2, 3):
        make_checkpoint(worktree_dir, step)
    run_dir = Path(api.setup_checkpoint_directory(project_name="sweep-7"))
    assert run_dir != worktree_dir
    for step in (5, 6, 7):
        make_checkpoint(run_dir, step)

    removed = api.cleanup_old_checkpoints(keep_latest=1)

    assert removed == [str(run_dir / "checkpoint-6"), str(run_dir / "checkpoint-5")]
    assert sorted(p.name for p in worktree_dir.glob("checkpoint-*")) == [
        "checkpoint-1", "checkpoint-2", "checkpoint-3"]
    # Named explicitly, a directory is cleaned as given.
    assert api.cleanup_old_checkpoints(1, directory=str(worktree_dir)) == [
        str(worktree_dir / "checkpoint-2"), str(worktree_dir / "checkpoint-1")]


def test_ranks_cleaning_up_at_once_do_not_fail(root: Path, tmp_path, monkeypatch):
    """Every rank of a job may call cleanup_old_checkpoints from atexit with the same plan."""
    from scratchenv.config.settings import load_settings
    from scratchenv.plan import build_plan

    monkeypatch.chdir(tmp_path)
    ckdir = Path(api.setup_checkpoint_directory())
    for step in (1, 2, 3):
        make_checkpoint(ckdir, step)
    plan = build_plan(load_settings())
    cleanups = [checkpoints.plan_cleanup(plan, ckdir, 1) for _rank in range(2)]
    for cleanup in cleanups:
        checkpoints.apply_cleanup(plan, cleanup)
    assert [p.name for p in ckdir.glob("checkpoint-*")] == ["checkpoint-3"]


def test_cleanup_refuses_keep_below_one(root: Path, tmp_path):
    done = cli("checkpoints", "cleanup", "--keep", "0", "--apply", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "scratchenv: error: keep must be at least 1, not 0 " \
                          "(the newest is never deleted)\n"


def test_remove_tree_never_leaves_the_root(root: Path, tmp_path):
    outside = tmp_path / "outside"
    (outside / "checkpoint-1").mkdir(parents=True)
    link = root / "checkpoints_x"
    link.symlink_to(outside)
    with pytest.raises(ScratchenvError, match="outside"):
        checkpoints.remove_tree(link / "checkpoint-1", root)
    with pytest.raises(ScratchenvError, match="not a real directory"):
        checkpoints.remove_tree(link, root)
    assert (outside / "checkpoint-1").is_dir()


def test_a_checkpoint_on_a_read_only_mount_is_one_clear_error(tmp_path):
    need_root("to mount a file system read-only")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        (mnt / "checkpoint-1").mkdir()
        (mnt / "checkpoint-1" / "model.bin").write_text("weights")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        with pytest.raises(ScratchenvError) as caught:
            checkpoints.remove_tree(mnt / "checkpoint-1", mnt)
        assert str(caught.value) == f"cannot delete {mnt}/checkpoint-1: Read-only file system"
        assert (mnt / "checkpoint-1" / "model.bin").read_text() == "weights"
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_latest_checkpoint_is_the_newest_complete_one(root: Path, tmp_path):
    ckdir = tmp_path / "out"
    assert api.latest_checkpoint(str(ckdir)) is None
    make_checkpoint(ckdir, 4)
    make_checkpoint(ckdir, 6, complete=False, age=0)
    assert api.latest_checkpoint(str(ckdir)) == str(ckdir / "checkpoint-4")


# Status and orphans


def test_status_and_prune_orphans(repo: Path, root: Path):
    git(repo, "worktree", "add", "-q", "../gone")
    git(repo, "worktree", "add", "-q", "../stays")
    for name in ("gone", "stays"):
        assert cli("checkpoints", "setup", cwd=repo.parent / name).returncode == 0
    make_checkpoint(root / "checkpoints_src_gone", 7)
    (root / "checkpoints_handmade").mkdir()  # no record: never an orphan
    git(repo, "worktree", "remove", "--force", "../gone")

    status = json.loads(cli("checkpoints", "status", "--json", cwd=repo).stdout)
    by_id = {d["id"]: d for d in status}
    assert sorted(by_id) == ["handmade", "src_gone", "src_stays"]
    assert by_id["src_gone"]["worktree_exists"] is False
    assert by_id["src_gone"]["checkpoints"] == 1
    assert by_id["src_gone"]["newest"] == "checkpoint-7"
    assert by_id["src_stays"]["worktree_exists"] is True
    assert by_id["handmade"]["worktree_exists"] is None
    table = cli("checkpoints", "status", cwd=repo).stdout
    assert "1 orphaned" in table

    dry = cli("checkpoints", "prune-orphans", cwd=repo)
    assert "dry run" in dry.stdout and (root / "checkpoints_src_gone").is_dir()
    done = cli("checkpoints", "prune-orphans", "--apply", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in root.iterdir()) == [
        "checkpoints_handmade", "checkpoints_src_stays"]


def test_pruning_is_a_library_the_command_only_shows(repo: Path, root: Path):
    from scratchenv.checkpoints import pruning
    from scratchenv.config.settings import load_settings
    from scratchenv.plan import build_plan

    git(repo, "worktree", "add", "-q", "../gone")
    assert cli("checkpoints", "setup", cwd=repo.parent / "gone").returncode == 0
    make_checkpoint(root / "checkpoints_src_gone", 3)
    git(repo, "worktree", "remove", "--force", "../gone")
    plan = build_plan(load_settings())
    orphans = pruning.find_orphans(plan)
    assert [d.path for d in orphans.gone] == [root / "checkpoints_src_gone"]
    pruning.prune_orphans(plan, orphans.gone)
    assert not (root / "checkpoints_src_gone").exists()
    assert pruning.find_orphans(plan).gone == []


def test_importing_scratchenv_never_imports_torch_or_transformers(root: Path, tmp_path):
    code = (
        "import sys, scratchenv, scratchenv.checkpoints\n"
        "from scratchenv.main import main\n"
        "assert main(['checkpoints', 'status']) == 0\n"
        "checkpoints_dir = scratchenv.checkpoints.get_checkpoint_dir()\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_prune_orphans_keeps_what_it_cannot_see(repo: Path, root: Path, tmp_path: Path):
    from helpers.fs import as_a_user

    hidden = tmp_path / "hidden"
    hidden.mkdir()
    git(repo, "worktree", "add", "-q", str(hidden / "wt"))
    assert cli("checkpoints", "setup", cwd=hidden / "wt").returncode == 0
    make_checkpoint(root / "checkpoints_hidden_wt", 3)
    hidden.chmod(0o000)  # the parent cannot be read: the worktree may well be there
    try:
        done = subprocess.run(as_a_user([sys.executable, "-m", "scratchenv", "checkpoints",
                                         "prune-orphans", "--apply", "--yes"]),
                              cwd=repo, capture_output=True, text=True, timeout=120)
    finally:
        hidden.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "no orphaned checkpoint directories" in done.stdout
    assert "cannot see it (Permission denied): kept" in done.stderr
    assert (root / "checkpoints_hidden_wt" / "checkpoint-3").is_dir()


def test_prune_orphans_keeps_a_worktree_on_an_unmounted_file_system(repo: Path, root: Path,
                                                                      tmp_path: Path):
    need_root("to mount and unmount a file system")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], check=True)
    mounted = True
    try:
        git(repo, "worktree", "add", "-q", str(mnt / "wt"))
        assert cli("checkpoints", "setup", cwd=mnt / "wt").returncode == 0
        make_checkpoint(root / "checkpoints_mnt_wt", 5)
        subprocess.run(["umount", "-l", str(mnt)], check=True)
        mounted = False
        done = cli("checkpoints", "prune-orphans", "--apply", "--yes", cwd=repo)
        assert done.returncode == 0, done.stderr
        assert "not mounted?" in done.stderr
        assert (root / "checkpoints_mnt_wt" / "checkpoint-5").is_dir()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_checkpoint_cleanup_never_deletes_through_a_symlinked_parent(root: Path, tmp_path,
                                                                       monkeypatch):
    elsewhere = tmp_path / "elsewhere-ckpt"
    elsewhere.mkdir()
    (root / "ckpt").symlink_to(elsewhere)
    monkeypatch.setenv("SCRATCHENV_CHECKPOINTS__LAYOUT", "ckpt/checkpoints_{id}")
    work = tmp_path / "proj"
    work.mkdir()
    assert cli("checkpoints", "setup", cwd=work).returncode == 0
    ckdir = next(elsewhere.glob("checkpoints_*"))
    for step in (1, 2, 3):
        make_checkpoint(ckdir, step)
    done = cli("checkpoints", "cleanup", "--keep", "1", "--apply", "--yes", cwd=work)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and all("through a symlink" in line for line in lines)
    assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == [
        "checkpoint-1", "checkpoint-2", "checkpoint-3"]


def test_checkpoint_cleanup_never_crosses_a_mount_point(root: Path, tmp_path, monkeypatch):
    """A home directory bind-mounted inside an old checkpoint: that checkpoint is kept
    whole and named, the others are still cleaned up."""
    need_root("to bind-mount a directory")
    monkeypatch.chdir(tmp_path)
    ckdir = Path(api.setup_checkpoint_directory())
    for step in (1, 2, 3):
        make_checkpoint(ckdir, step)
    thesis = tmp_path / "home-thesis"
    thesis.mkdir()
    (thesis / "chapter3.tex").write_text("the only copy")
    mounted = ckdir / "checkpoint-1" / "notes"
    mounted.mkdir()
    subprocess.run(["mount", "--bind", str(thesis), str(mounted)], check=True)
    try:
        done = cli("checkpoints", "cleanup", "--keep", "1", "--apply", "--yes", cwd=tmp_path)
        assert (thesis / "chapter3.tex").read_text() == "the only copy"
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"kept {ckdir / 'checkpoint-1'}" in done.stderr and "mount point" in done.stderr
        assert sorted(p.name for p in ckdir.glob("checkpoint-*")) == [
            "checkpoint-1", "checkpoint-3"]
        assert api.cleanup_old_checkpoints(keep_latest=1) == []  # atexit: no exception
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_a_worktree_path_that_is_not_utf8_works(root: Path, tmp_path):
    work = os.fsdecode(os.fsencode(str(tmp_path)) + b"/proj\xff")
    os.mkdir(work)
    for action in ("dir", "setup", "status", "cleanup"):
        done = cli("checkpoints", action, cwd=work)
        assert done.returncode == 0, (action, done.stderr)
        assert done.stderr == ""
    assert (root / f"checkpoints_{tmp_path.name}_proj").is_dir()
