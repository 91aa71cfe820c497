"""A real transformers.Trainer saves, rotates and resumes in the scratch checkpoint directory.

Tiny randomly initialised GPT-2 on CPU: no downloads, a few seconds. No monkey-patching of
transformers.trainer_utils.PREFIX_CHECKPOINT_DIR: output_dir is all it takes.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from types import ModuleType

import pytest
from helpers import unavailable

from scratchenv import checkpoints


def _require(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        unavailable(f"{name} is not installed (make install puts it in the venv)")


@pytest.fixture
def worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch root, a throwaway home with the Hugging Face caches in it, offline."""
    scratch, home = tmp_path / "scratch", tmp_path / "home"
    where = tmp_path / "lab" / "exp"
    for path in (scratch, home, where):
        path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("SCRATCHENV_ROOT", str(scratch))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")
    for name in ("SCRATCHENV_PROJECT", "SCRATCHENV_CONFIG", "SCRATCHENV_CHECKPOINTS__LAYOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(where)
    return where


def _train(output_dir: str, max_steps: int, resume: bool) -> tuple[int, list[int]]:
    """Train to `max_steps`, saving every 2 steps; returns (global_step, steps run here)."""
    torch = _require("torch")
    transformers = _require("transformers")

    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=32, n_positions=8, n_embd=8, n_layer=1, n_head=2,
    )
    model = transformers.GPT2LMHeadModel(config)
    ids = torch.randint(0, 32, (16, 8), generator=torch.Generator().manual_seed(0))
    dataset = [{"input_ids": row, "labels": row} for row in ids]
    steps_run: list[int] = []

    class Record(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            steps_run.append(state.global_step)

    args = transformers.TrainingArguments(
        output_dir=output_dir,
        max_steps=max_steps,
        per_device_train_batch_size=4,
        save_strategy="steps",
        save_steps=2,
        save_total_limit=2,
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
        seed=0,
    )
    trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset,
                                   callbacks=[Record()])
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    return result.global_step, steps_run


def _checkpoint_names(directory: Path) -> list[str]:
    return sorted((p.name for p in directory.glob("checkpoint-*")),
                  key=lambda name: int(name.split("-")[1]))


@pytest.mark.slow
def test_trainer_saves_rotates_and_resumes_in_the_scratch_directory(worktree: Path):
    output_dir = checkpoints.setup_checkpoint_directory()
    scratch = Path(os.environ["SCRATCHENV_ROOT"])
    assert output_dir == str(scratch / "checkpoints_lab_exp")

    global_step, steps = _train(output_dir, max_steps=6, resume=False)

    assert global_step == 6 and steps == [1, 2, 3, 4, 5, 6]
    assert _checkpoint_names(Path(output_dir)) == ["checkpoint-4", "checkpoint-6"]  # rotated
    assert checkpoints.latest_checkpoint(output_dir) == f"{output_dir}/checkpoint-6"

    global_step, steps = _train(output_dir, max_steps=10, resume=True)

    assert steps == [7, 8, 9, 10]  # continued from checkpoint-6, not from scratch
    assert global_step == 10
    assert _checkpoint_names(Path(output_dir)) == ["checkpoint-8", "checkpoint-10"]
    state = json.loads((Path(output_dir) / "checkpoint-10" / "trainer_state.json").read_text())
    assert state["global_step"] == 10
    # Nothing landed in the worktree itself.
    assert not any(p.name.startswith("checkpoint") for p in worktree.rglob("*"))
    trainer_utils = _require("transformers.trainer_utils")
    assert trainer_utils.PREFIX_CHECKPOINT_DIR == "checkpoint"  # untouched
    # The ownership record survives the Trainer's own rotation.
    assert checkpoints.directories.read_metadata(Path(output_dir))["worktree"] == str(worktree)


@pytest.mark.slow
def test_a_run_resumes_after_git_worktree_move(worktree: Path, tmp_path: Path):
    """Train in a linked worktree, `git worktree move` it, train on from the new path."""
    import subprocess

    from helpers import need

    need("git")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                       cwd=tmp_path / "lab" / "main", check=True, capture_output=True)

    main = tmp_path / "lab" / "main"
    main.mkdir()
    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "first")
    git("worktree", "add", "-q", "-b", "run", str(tmp_path / "lab" / "run"))
    os.chdir(tmp_path / "lab" / "run")
    output_dir = checkpoints.setup_checkpoint_directory()
    assert output_dir == os.environ["SCRATCHENV_ROOT"] + "/checkpoints_lab_run"
    assert _train(output_dir, max_steps=6, resume=False)[0] == 6

    moved = tmp_path / "elsewhere" / "run-renamed"
    moved.parent.mkdir()
    git("worktree", "move", str(tmp_path / "lab" / "run"), str(moved))
    os.chdir(moved)

    assert checkpoints.setup_checkpoint_directory() == output_dir  # not a new, empty one
    assert checkpoints.latest_checkpoint(output_dir) == f"{output_dir}/checkpoint-6"
    global_step, steps = _train(output_dir, max_steps=8, resume=True)
    assert steps == [7, 8] and global_step == 8
    record = checkpoints.directories.read_metadata(Path(output_dir))
    assert record["worktree"] == str(moved)


@pytest.mark.slow
def test_cleanup_keeps_the_best_checkpoint_the_trainer_recorded(worktree: Path):
    """load_best_model_at_end=True, eval at each save: the best (step 2, by a metric made to
    peak there) survives `cleanup_old_checkpoints` and `checkpoints cleanup`, as it survives
    the Trainer's own rotation."""
    from helpers.cli import cli

    torch = _require("torch")
    transformers = _require("transformers")
    output_dir = checkpoints.setup_checkpoint_directory()

    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=32, n_positions=8, n_embd=8, n_layer=1, n_head=2))
    ids = torch.randint(0, 32, (8, 8), generator=torch.Generator().manual_seed(0))
    dataset = [{"input_ids": row, "labels": row} for row in ids]
    scores = iter([10.0, 1.0, 2.0, 3.0])  # one per evaluation: the first is the best

    def compute_metrics(prediction: object) -> dict[str, float]:
        return {"score": next(scores)}

    args = transformers.TrainingArguments(
        output_dir=output_dir, max_steps=8, per_device_train_batch_size=4,
        save_strategy="steps", save_steps=2, eval_strategy="steps", eval_steps=2,
        load_best_model_at_end=True, metric_for_best_model="score", greater_is_better=True,
        logging_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True,
        dataloader_num_workers=0, dataloader_pin_memory=False, seed=0,
    )
    transformers.Trainer(model=model, args=args, train_dataset=dataset, eval_dataset=dataset[:4],
                         compute_metrics=compute_metrics).train()
    directory = Path(output_dir)
    state = json.loads((directory / "checkpoint-8" / "trainer_state.json").read_text())
    assert state["best_model_checkpoint"] == f"{output_dir}/checkpoint-2"
    assert _checkpoint_names(directory) == [f"checkpoint-{s}" for s in (2, 4, 6, 8)]

    dry = cli("checkpoints", "cleanup", "--keep", "1", cwd=worktree)
    assert dry.returncode == 0, dry.stderr
    assert ["keep", "checkpoint-2", "best", "(10):", "best_model_checkpoint", "in",
            "trainer_state.json"] in [line.split() for line in dry.stdout.splitlines()]

    removed = checkpoints.cleanup_old_checkpoints(keep_latest=1)

    assert sorted(removed) == [f"{output_dir}/checkpoint-4", f"{output_dir}/checkpoint-6"]
    assert _checkpoint_names(directory) == ["checkpoint-2", "checkpoint-8"]
