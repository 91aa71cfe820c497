"""`scratchenv checkpoints adopt` and `archive`: the old setup's checkpoints onto scratch through
the transfer engine (real files, the real CLI, a SIGKILL at an exact step and a re-run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import need
from helpers.cli import cli, cli_process
from helpers.fs import files_only, make_tree, snapshot

from scratchenv.checkpoints.archive import JOURNAL
from scratchenv.disk.copying import PART_PREFIX


@pytest.fixture
def env(tmp_path: Path, root: Path) -> dict[str, str]:
    """The child environment: a throwaway home, the scratch root, git config of its own."""
    need("git")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCRATCHENV_")}
    return {**environ, "HOME": str(tmp_path / "home"), "SCRATCHENV_ROOT": str(root),
            "SCRATCHENV_CONFIG": str(tmp_path / "no-config.toml"), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


@pytest.fixture
def checkout(tmp_path: Path, env: dict[str, str]) -> Path:
    """A git checkout at tmp/src/repo with one commit."""
    path = tmp_path / "src" / "repo"
    path.mkdir(parents=True)
    for argv in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *argv], cwd=path, env=env, check=True, capture_output=True)
    return path


def run(cwd: Path, env: dict[str, str], *args: str, kill_at: str | None = None):
    """`scratchenv checkpoints ARGS` in-process; with `kill_at`, a child SIGKILLed there."""
    if kill_at:
        return cli_process("checkpoints", *args, cwd=cwd, env=env, kill_at=kill_at)
    return cli("checkpoints", *args, cwd=cwd, env=env)


def checkpoint(directory: Path, step: int) -> Path:
    path = directory / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(os.urandom(3000 + step))
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return path


def today() -> str:
    return "archived_models_" + time.strftime("%Y%m%d")


def seed_places(home: Path, checkout: Path) -> dict[str, Path]:
    """The three places the old setup's migration section moved by hand."""
    places = {"cache_huggingface_transformers": home / ".cache/huggingface/transformers",
              "src_repo_.art": checkout / ".art",
              "repo_train_checkpoints": checkout / "train" / "checkpoints"}
    make_tree(places["cache_huggingface_transformers"], files=30)
    make_tree(places["src_repo_.art"], files=10)
    checkpoint(places["repo_train_checkpoints"], 100)
    return places


def test_archive_is_a_dry_run_then_moves_the_old_places_into_a_dated_folder(
        tmp_path, root, env, checkout):
    home = tmp_path / "home"
    places = seed_places(home, checkout)
    before = {name: snapshot(path) for name, path in places.items()}

    dry = run(checkout, env, "archive")
    assert dry.returncode == 0, dry.stderr
    assert "~/.cache/huggingface/transformers -> " in dry.stdout
    assert "dry run: nothing moved; rerun with --apply" in dry.stdout
    assert all(path.is_dir() for path in places.values()) and not (root / today()).exists()

    done = run(checkout, env, "archive", "--apply")
    assert done.returncode == 0, done.stdout + done.stderr
    for name, path in places.items():
        assert not path.exists()
        assert snapshot(root / today() / name) == before[name], name
    assert not (root / JOURNAL).exists()
    assert run(checkout, env, "archive").stdout.startswith("nothing to archive")


@pytest.mark.slow  # killed in a child process
def test_archive_killed_mid_way_is_finished_by_the_same_command_the_next_day(
        tmp_path, root, env, checkout):
    source = checkout / ".art"
    make_tree(source, files=50)
    original, full = files_only(snapshot(source)), snapshot(source)

    killed = run(checkout, env, "archive", str(source), "--apply", kill_at="unlink:20")

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    dest = root / today() / "src_repo_.art"
    at_source, at_dest = files_only(snapshot(source)), files_only(snapshot(dest))
    for rel, value in original.items():  # every file whole on at least one side
        sides = [side[rel] for side in (at_source, at_dest) if rel in side]
        assert sides and all(side == value for side in sides), rel
    assert set(at_dest) - set(original) == set() or all(
        os.path.basename(rel).startswith(PART_PREFIX) for rel in set(at_dest) - set(original))
    assert json.loads((root / JOURNAL).read_text())["folder"] == today()
    # Midnight passes: the re-run finishes into the folder the run started, not a new one.
    (root / today()).rename(root / "archived_models_20000101")
    journal = json.loads((root / JOURNAL).read_text())
    (root / JOURNAL).write_text(json.dumps({**journal, "folder": "archived_models_20000101"}))

    finished = run(checkout, env, "archive", str(source), "--apply")

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert not source.exists()
    assert snapshot(root / "archived_models_20000101" / "src_repo_.art") == full
    assert not (root / today()).exists() and not (root / JOURNAL).exists()


def test_archive_never_overwrites_what_is_already_archived(tmp_path, root, env, checkout):
    """The same source archived again that day goes into its folder again: a newer file
    already there is a conflict, both kept."""
    source = checkout / ".art"
    (source / "run").mkdir(parents=True)
    (source / "run" / "weights.bin").write_bytes(b"other, newer weights")
    assert run(checkout, env, "archive", str(source), "--apply").returncode == 0
    (source / "run").mkdir(parents=True)
    (source / "run" / "weights.bin").write_bytes(b"new weights")
    os.utime(source / "run" / "weights.bin", (1_600_000_000, 1_600_000_000))
    there = root / today() / "src_repo_.art" / "run"

    done = run(checkout, env, "archive", str(source), "--apply")

    assert done.returncode == 1
    assert "left in place: run/weights.bin: conflict" in done.stdout
    assert "not finished" in done.stdout and "run the same command again" in done.stdout
    assert (source / "run" / "weights.bin").read_bytes() == b"new weights"
    assert (there / "weights.bin").read_bytes() == b"other, newer weights"


def test_two_sources_of_one_name_archived_the_same_day_get_their_own_folders(
        tmp_path, root, env, checkout):
    first, second = tmp_path / "a" / "src" / "repo" / ".art", checkout / ".art"
    make_tree(first, files=5)
    make_tree(second, files=7)
    (second / "only-in-second.txt").write_text("second")
    before = {first: snapshot(first), second: snapshot(second)}
    earlier = root / today() / "src_repo_.art" / "by-hand"  # there already, source unknown
    earlier.mkdir(parents=True)

    for source in (first, second):
        done = run(checkout, env, "archive", str(source), "--apply")
        assert done.returncode == 0, done.stdout + done.stderr

    folders = sorted(p.name for p in (root / today()).iterdir() if not p.name.startswith("."))
    assert len(folders) == 3 and folders[0] == "src_repo_.art"
    assert sorted(p.name for p in (root / today() / "src_repo_.art").iterdir()) == ["by-hand"]
    archived = [snapshot(root / today() / name) for name in folders[1:]]
    assert sorted(map(repr, archived)) == sorted(map(repr, before.values()))
    assert not first.exists() and not second.exists()


def _mtimes(tree: Path) -> list[float]:
    return [p.stat().st_mtime for p in tree.rglob("*") if p.is_file() and not p.is_symlink()]


def test_adopt_and_archive_under_a_purge_policy_give_moved_files_the_current_time(
        tmp_path, root, env, checkout):
    """A purge deletes files by age: moved with their old times, the next purge takes them."""
    purged = {**env, "SCRATCHENV_PURGE__DAYS": "30"}
    old_run = checkpoint(tmp_path / "old-scratch" / "checkpoints_src_repo", 5)
    art = checkout / ".art"
    make_tree(art, files=5)
    for tree in (old_run, art):
        for path in tree.rglob("*"):
            os.utime(path, (1_600_000_000, 1_600_000_000), follow_symlinks=False)
    start = time.time() - 60

    assert run(checkout, purged, "adopt", str(old_run), "--apply").returncode == 0
    assert run(checkout, purged, "archive", str(art), "--apply").returncode == 0

    for tree in (root / "checkpoints_src_repo" / "checkpoint-5", root / today() / "src_repo_.art"):
        times = _mtimes(tree)
        assert times and all(t > start for t in times), tree
    # Without a purge policy, times are kept (as migrate keeps them).
    kept = checkpoint(tmp_path / "old2" / "checkpoints_x", 6)
    for path in kept.rglob("*"):
        os.utime(path, (1_600_000_000, 1_600_000_000), follow_symlinks=False)
    assert run(checkout, env, "adopt", "--project", "p", str(kept), "--apply").returncode == 0
    assert set(_mtimes(root / "checkpoints_p" / "checkpoint-6")) == {1_600_000_000}


def _latest(checkout: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c",
         "from scratchenv.checkpoints import latest_checkpoint; print(latest_checkpoint())"],
        cwd=checkout, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_adopt_keeps_a_clashing_checkpoint_apart_as_a_whole(tmp_path, root, env, checkout):
    """checkpoint-100 from another run is one unit: never merged into the live one."""
    assert run(checkout, env, "setup").returncode == 0
    ours = root / "checkpoints_src_repo"
    live = checkpoint(ours, 100)
    (live / "optimizer.pt").write_bytes(b"live optimizer")
    old = checkpoint(tmp_path / "old" / "run", 100)
    (old / "rng_state.pth").write_bytes(b"old rng")  # a file the live one does not have
    live_before, old_before = snapshot(live), snapshot(old)

    dry = run(checkout, env, "adopt", str(old))
    assert "kept apart" in dry.stdout and "resume from it only by naming it" in dry.stdout
    done = run(checkout, env, "adopt", str(old), "--apply")

    assert done.returncode == 0, done.stdout + done.stderr
    assert snapshot(live) == live_before  # nothing of the old run got in
    [apart] = (ours / "adopted").glob("*/checkpoint-100")
    assert apart.parent.name.endswith("_old_run")  # named after where it came from
    assert snapshot(apart) == old_before and not old.exists()
    assert _latest(checkout, env) == str(live)
    # Its own directory, or a checkpoint in it, is where it belongs: nothing moves.
    for own in (ours, live):
        again = run(checkout, env, "adopt", str(own), "--apply")
        assert again.returncode == 0 and "already in its destination" in again.stdout
    assert snapshot(live) == live_before and sorted(p.name for p in ours.iterdir()) == [
        ".scratchenv-worktree", "adopted", "checkpoint-100"]


def test_adopting_an_old_run_into_a_live_directory_does_not_resume_it(tmp_path, root, env,
                                                                        checkout):
    assert run(checkout, env, "setup").returncode == 0
    ours = root / "checkpoints_src_repo"
    live = checkpoint(ours, 50)
    old_root = tmp_path / "old-scratch" / "checkpoints_src_repo"
    for step in (200, 300):
        checkpoint(old_root, step)
    (old_root / "runs").mkdir()
    (old_root / "runs" / "events.out").write_bytes(b"tensorboard")

    done = run(checkout, env, "adopt", str(old_root), "--apply")

    assert done.returncode == 0, done.stdout + done.stderr
    assert _latest(checkout, env) == str(live)  # the next resume continues this run
    assert sorted(p.name for p in ours.iterdir()) == [".scratchenv-worktree", "adopted",
                                                      "checkpoint-50"]
    [apart] = (ours / "adopted").iterdir()
    assert apart.name.endswith("_old-scratch_checkpoints_src_repo")
    assert sorted(p.name for p in apart.iterdir()) == ["checkpoint-200", "checkpoint-300",
                                                       "runs"]
    assert not old_root.exists()
    # Cleanup leaves what was kept apart alone, and status counts only this run's.
    assert run(checkout, env, "cleanup", "--keep", "1", "--apply").returncode == 0
    assert (apart / "checkpoint-200").is_dir()


def test_adopt_moves_old_checkpoints_into_this_worktrees_directory(tmp_path, root, env,
                                                                   checkout):
    old_root = tmp_path / "old-scratch" / "checkpoints_src_repo"
    for step in (3, 5):
        checkpoint(old_root, step)
    (old_root / "README.md").write_text("the old run's notes")  # a file goes in too
    in_repo = checkpoint(checkout / "checkpoints", 9)
    before = {name: snapshot(old_root / name) for name in ("checkpoint-3", "checkpoint-5")}
    before["checkpoint-9"] = snapshot(in_repo)

    dry = run(checkout, env, "adopt", str(old_root), str(in_repo))
    assert dry.returncode == 0 and "dry run" in dry.stdout
    assert not (root / "checkpoints_src_repo").exists()

    done = run(checkout, env, "adopt", str(old_root), str(in_repo), "--apply")

    assert done.returncode == 0, done.stdout + done.stderr
    ours = root / "checkpoints_src_repo"
    assert sorted(p.name for p in ours.iterdir()) == [
        ".scratchenv-worktree", "README.md", "checkpoint-3", "checkpoint-5", "checkpoint-9"]
    for name, snap in before.items():
        assert snapshot(ours / name) == snap, name
    assert not old_root.exists() and not in_repo.exists()
    assert not (root / ".scratchenv" / "adopt.json").exists()
    latest = subprocess.run(
        [sys.executable, "-c",
         "from scratchenv.checkpoints import latest_checkpoint; print(latest_checkpoint())"],
        cwd=checkout, env=env, capture_output=True, text=True)
    assert latest.stdout == f"{ours}/checkpoint-9\n", latest.stderr


def test_adopt_in_place_records_a_directory_of_another_name(tmp_path, root, env, checkout):
    other = root / "checkpoints_old-name"
    checkpoint(other, 4)

    done = run(checkout, env, "adopt", "--in-place", str(other), "--apply")

    assert done.returncode == 0, done.stderr
    assert run(checkout, env, "dir").stdout == f"{other}\n"
    assert sorted(p.name for p in root.iterdir()) == ["checkpoints_old-name"]
    refused = run(checkout, env, "adopt", "--in-place", str(tmp_path), "--apply")
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"scratchenv: error: {tmp_path} is not a checkpoint "
                                     "directory under")


def test_adopt_leaves_a_live_worktrees_directory_alone(tmp_path, root, env, checkout):
    subprocess.run(["git", "worktree", "add", "-q", "../other"], cwd=checkout, env=env,
                   check=True, capture_output=True)
    assert run(checkout.parent / "other", env, "setup").returncode == 0
    theirs = root / "checkpoints_src_other"
    checkpoint(theirs, 1)

    done = run(checkout, env, "adopt", str(theirs), "--apply")

    assert done.returncode == 1
    assert f"belongs to {checkout.parent / 'other'}, which is still there" in done.stdout
    assert (theirs / "checkpoint-1").is_dir()


def test_doctor_names_the_old_places_and_the_commands_that_take_them(tmp_path, root, env,
                                                                    checkout):
    home = tmp_path / "home"
    seed_places(home, checkout)
    done = cli("doctor", "--json", cwd=checkout / "train", env=env)
    found = {f["path"]: f for f in json.loads(done.stdout)["findings"]
             if f["kind"] == "checkpoints"}
    assert sorted(found) == sorted(map(str, [home / ".cache/huggingface/transformers",
                                             checkout / ".art", checkout / "train/checkpoints"]))
    hf = found[str(home / ".cache/huggingface/transformers")]
    assert hf["action"].startswith("`scratchenv checkpoints archive --apply ")
    art = found[str(checkout / ".art")]
    assert f"`scratchenv checkpoints adopt {checkout}/.art`" in art["action"]
    assert art["bytes"] > 0 and art["fixable"] is False


def test_turning_on_a_persistent_root_keeps_existing_checkpoints(tmp_path, root, env,
                                                                 checkout):
    """Training resumes from the directory left on scratch; status and doctor say where it
    is and the command that moves it; that exact command moves it, and resume follows."""
    assert run(checkout, env, "setup").returncode == 0
    on_scratch = root / "checkpoints_src_repo"
    checkpoint(on_scratch, 4)
    work = tmp_path / "persistent"
    work.mkdir()
    tiered = {**env, "SCRATCHENV_PERSISTENT_ROOT": str(work)}

    assert _latest(checkout, tiered) == str(on_scratch / "checkpoint-4")  # not a fresh start
    assert run(checkout, tiered, "dir").stdout == f"{on_scratch}\n"
    status = json.loads(run(checkout, tiered, "status", "--json").stdout)
    assert [(d["path"], d["root"], d["belongs_on"]) for d in status] == [
        (str(on_scratch), str(root), str(work))]
    text = run(checkout, tiered, "status").stdout
    advice = f"`cd {checkout} && scratchenv checkpoints adopt {on_scratch}`"
    assert f"{on_scratch}: on {root}, while checkpoints go to {work} now" in text
    assert advice in text
    doctor = json.loads(cli("doctor", "--json", cwd=checkout, env=tiered).stdout)
    [finding] = [f for f in doctor["findings"] if f["path"] == str(on_scratch)]
    assert finding["action"] == f"{advice} moves it to {work}"

    moved = subprocess.run(["bash", "-c", advice.strip("`") + " --apply --yes"],
                           env={**tiered, "PATH": f"{Path(sys.executable).parent}:"
                                                  f"{tiered['PATH']}"},
                           capture_output=True, text=True)

    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert not on_scratch.exists()
    assert _latest(checkout, tiered) == str(work / "checkpoints_src_repo" / "checkpoint-4")
    doctor = json.loads(cli("doctor", "--json", cwd=checkout, env=tiered).stdout)
    assert not [f for f in doctor["findings"] if f["path"] == str(on_scratch)]
    status = json.loads(run(checkout, tiered, "status", "--json").stdout)
    assert [(d["path"], d["belongs_on"]) for d in status] == [
        (str(work / "checkpoints_src_repo"), None)]
    assert status[0]["worktree"] == str(checkout)  # the record came along


def test_doctor_status_and_archive_see_the_seeds_layout(tmp_path, root, env, checkout):
    """`{root}/checkpoints_*` from the old script (whatever the layout says now), and
    `checkpoints/`, `.art/` and transformers' default `trainer_output/` in a checkout."""
    layout = {**env, "SCRATCHENV_CHECKPOINTS__LAYOUT": "runs/{id}"}
    seed_dir = root / "checkpoints_llama_sft"
    checkpoint(seed_dir, 10)
    in_checkout = [checkout / "trainer_output", checkout / ".art", checkout / "checkpoints"]
    for place in in_checkout:
        checkpoint(place, 3)

    doctor = json.loads(cli("doctor", "--json", cwd=checkout, env=layout).stdout)
    found = {f["path"]: f for f in doctor["findings"] if f["kind"] == "checkpoints"}
    assert sorted(found) == sorted(map(str, [seed_dir, *in_checkout]))
    advice = f"`scratchenv checkpoints archive {seed_dir}` archives it"
    assert advice in found[str(seed_dir)]["action"]

    status = run(checkout, layout, "status")
    assert status.returncode == 0, status.stderr
    assert f"{seed_dir}: no record" in status.stdout
    for place in in_checkout:
        assert f"{place}: outside any checkpoint directory" in status.stdout
    assert json.loads(run(checkout, layout, "status", "--json").stdout)[0]["path"] == \
        str(seed_dir)

    dry = run(checkout, layout, "archive")
    assert dry.returncode == 0, dry.stderr
    for place in in_checkout:
        assert f"{place} -> {root / today()}" in dry.stdout
    assert f"not archived unless named: {seed_dir}" in dry.stdout

    done = run(checkout, layout, "archive", str(seed_dir), "--apply")  # the advice, exactly

    assert done.returncode == 0, done.stdout + done.stderr
    assert not seed_dir.exists()
    assert [p.name for p in (root / today()).glob("*_scratch_checkpoints_llama_sft/*")] == [
        "checkpoint-10"]
    doctor = json.loads(cli("doctor", "--json", cwd=checkout, env=layout).stdout)
    assert str(seed_dir) not in {f["path"] for f in doctor["findings"]}


@pytest.mark.slow  # killed in a child process
def test_adopt_killed_mid_way_is_finished_where_it_started(tmp_path, root, env, checkout):
    """The first run found the directory empty and put the old run at its top; the re-run
    (which sees checkpoints there now) finishes it there, not apart."""
    old_root = tmp_path / "old-scratch" / "checkpoints_src_repo"
    before = {step: snapshot(checkpoint(old_root, step)) for step in (3, 5)}

    killed = run(checkout, env, "adopt", str(old_root), "--apply", kill_at="unlink:1")

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    finished = run(checkout, env, "adopt", str(old_root), "--apply")

    assert finished.returncode == 0, finished.stdout + finished.stderr
    ours = root / "checkpoints_src_repo"
    assert sorted(p.name for p in ours.iterdir()) == [".scratchenv-worktree", "checkpoint-3",
                                                      "checkpoint-5"]
    for step, snap in before.items():
        assert snapshot(ours / f"checkpoint-{step}") == snap
    assert not old_root.exists() and _latest(checkout, env) == str(ours / "checkpoint-5")
