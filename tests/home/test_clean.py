"""scratchenv clean: removes the plan's locations by group and never escapes the root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from helpers.cli import cli
from helpers.fs import as_a_user, isolate, with_our_packages

from scratchenv.main import main


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = tmp_path / "scratch"
    isolate(monkeypatch, tmp_path / "home", root)
    monkeypatch.setenv("SCRATCHENV_PROJECT", "nanochat")
    for rel in ("cache/pip/http/a", "cache/uv/b", "cache/huggingface/hub/m", ".cargo/bin/cargo",
                ".rustup/toolchains/t", "nanochat-venv/bin/python", "nanochat-cache/data/shard"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    return root


@pytest.fixture
def outside(tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "thesis.tex").write_text("do not delete")
    return outside


def tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_dry_run_lists_and_removes_nothing(root, capsys):
    before = tree(root)
    assert main(["clean", "caches"]) == 0
    out = capsys.readouterr().out
    assert f"{root}/cache/pip" in out and f"{root}/.cargo" not in out
    assert "dry run" in out
    assert tree(root) == before


def test_apply_removes_only_the_chosen_group(root):
    assert main(["clean", "caches", "--apply"]) == 0
    assert not (root / "cache" / "pip").exists() and not (root / "cache" / "huggingface").exists()
    assert (root / ".cargo" / "bin" / "cargo").exists()
    assert (root / "nanochat-venv" / "bin" / "python").exists()
    assert main(["clean", "toolchains", "--apply"]) == 0
    assert not (root / ".cargo").exists() and not (root / ".rustup").exists()
    assert main(["clean", "envs", "--apply"]) == 0
    assert not (root / "nanochat-venv").exists()
    assert (root / "nanochat-cache" / "data" / "shard").exists()


def test_a_planted_symlink_inside_is_removed_as_a_link(root, outside):
    (root / "cache" / "pip" / "evil").symlink_to(outside)
    (root / "cache" / "pip" / "evil-file").symlink_to(outside / "thesis.tex")
    assert main(["clean", "caches", "--apply"]) == 0
    assert not (root / "cache" / "pip").exists()
    assert (outside / "thesis.tex").read_text() == "do not delete"


def test_a_location_that_is_a_symlink_loses_the_link_not_the_target(root, outside):
    (root / "cache" / "uv" / "b").unlink()
    (root / "cache" / "uv").rmdir()
    (root / "cache" / "uv").symlink_to(outside)
    assert main(["clean", "caches", "--apply"]) == 0
    assert not (root / "cache" / "uv").is_symlink()
    assert (outside / "thesis.tex").read_text() == "do not delete"


def test_a_location_reached_through_a_symlink_out_of_the_root_is_left_alone(
        root, tmp_path, outside, monkeypatch, capsys):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".rustup").mkdir(parents=True)
    (elsewhere / ".rustup" / "keep").write_text("mine")
    # A variable whose path climbs out of the root is refused with the settings (exit 2);
    # one under a symlinked directory is refused by clean.
    config = tmp_path / "config.toml"
    config.write_text('[vars.ESCAPE_HOME]\npath = "../elsewhere/.rustup"\ngroup = "toolchain"\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    assert main(["clean", "toolchains", "--apply"]) == 2
    assert "without .." in capsys.readouterr().err
    config.write_text('[vars.LINKED_HOME]\npath = "linked/sub"\ngroup = "toolchain"\n')
    (root / "linked").symlink_to(outside)
    (outside / "sub").mkdir()
    (outside / "sub" / "x").write_text("x")
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    assert main(["clean", "toolchains", "--apply"]) == 1
    err = capsys.readouterr().err
    assert "through a symlink" in err
    assert (elsewhere / ".rustup" / "keep").read_text() == "mine"
    assert (outside / "sub" / "x").read_text() == "x"
    assert (outside / "thesis.tex").read_text() == "do not delete"
    assert not (root / ".cargo").exists()  # the rest of the group went
    assert root.is_dir()


def test_a_read_only_root_is_one_line(tmp_path, monkeypatch, capsys):
    import subprocess

    from helpers.fs import needs_root, second_fs

    needs_root()  # to mount a file system and make it read-only
    with second_fs(tmp_path / "mnt", "16m") as mnt:
        root = mnt / "scratch"
        isolate(monkeypatch, tmp_path / "home", root)
        (root / "cache" / "pip" / "http").mkdir(parents=True)
        (root / "cache" / "pip" / "http" / "a").write_text("a")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        assert main(["clean", "caches", "--apply"]) == 1
        err = capsys.readouterr().err
        assert err == f"scratchenv: error: cannot delete {root}/cache/pip: Read-only file system\n"
        assert tree(root) == ["cache", "cache/pip", "cache/pip/http", "cache/pip/http/a"]


def test_all_needs_yes_without_a_terminal(root, capsys):
    before = tree(root)
    assert main(["clean", "all", "--apply"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert tree(root) == before
    assert main(["clean", "all", "--apply", "--yes"]) == 0
    assert root.is_dir() and tree(root) == ["cache"]


def test_read_only_and_unreadable_trees_go_without_root_powers(root):
    """Go's module cache is read-only directories of read-only files; some tools leave
    directories nobody may list. The owner may open them up, and clean does."""
    pip = root / "cache" / "pip"
    (pip / "mod" / "pkg").mkdir(parents=True)
    (pip / "mod" / "pkg" / "code.go").write_text("package p")
    (pip / "locked" / "inner").mkdir(parents=True)
    (pip / "locked" / "inner" / "f").write_text("f")
    for path, mode in (("mod/pkg/code.go", 0o444), ("mod/pkg", 0o555), ("mod", 0o555),
                       ("locked/inner", 0o000), ("locked", 0o000)):
        (pip / path).chmod(mode)
    done = subprocess.run(as_a_user([sys.executable, "-m", "scratchenv", "clean", "caches",
                                     "--apply"]), env=dict(os.environ), capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert not pip.exists() and (root / ".cargo" / "bin" / "cargo").exists()


# --- groups: what a person made is never a cache ------------------------------------------


def _plant(root, rel, text=None):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else rel)
    return path


def test_clean_caches_keeps_conda_envs_wandb_runs_and_installed_tools(root):
    """The reproduction from the issue: conda envs and an offline W&B run were deleted."""
    user_data = ["conda/envs/myenv/bin/python", "wandb/runs/wandb/offline-run-x/run-x.wandb",
                 "pipx/venvs/black/bin/black", "uv/tools/ruff/bin/ruff", "uv/python/cpython/bin/py",
                 "go/src/example.com/me/main.go", "julia/environments/v1.10/Project.toml",
                 "data/nltk/corpora/words", "wandb/staging/artifacts/staging/f",
                 "cache/poetry/virtualenvs/p-py3.11/bin/python", "ollama/models/blobs/b",
                 "pixi/envs/tool/bin/t"]
    caches = ["cache/npm/_cacache/x", "cache/go-build/ab/cd", "cache/triton/k",
              "conda/pkgs/numpy-1/info/index.json"]
    for rel in user_data + caches:
        _plant(root, rel)
    assert main(["clean", "caches", "--apply"]) == 0
    for rel in user_data:
        assert (root / rel).read_text() == rel, rel
    for rel in caches:
        assert not (root / rel).exists(), rel


def test_the_dry_run_shows_each_group_with_its_size(root, capsys):
    _plant(root, "cache/pip/big", "x" * 100_000)
    _plant(root, "wandb/runs/wandb/run-20240101_000000-abc/files/output.log")
    assert main(["clean", "all"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    headers = [line for line in lines if not line.startswith(" ")]
    assert [h.split(":")[0] for h in headers[:5]] == ["caches", "envs", "toolchains", "data",
                                                     "runs"]
    caches = next(h for h in headers if h.startswith("caches:"))
    assert caches.endswith("files would go") and "K" in caches.split()[1]
    assert any(line.split()[:2] == ["NANOCHAT_BASE_DIR", f"{root}/nanochat-cache"]
               for line in lines)
    assert "dry run" in out


def test_unsynced_wandb_runs_stay_unless_named(root, capsys):
    wandb = root / "wandb" / "runs" / "wandb"
    online = _plant(wandb, "run-20240101_000000-a1/run-a1.wandb")
    synced = _plant(wandb, "offline-run-20240102_000000-b2/run-b2.wandb")
    _plant(wandb, "offline-run-20240102_000000-b2/run-b2.wandb.synced", "")
    unsynced = _plant(wandb, "offline-run-20240103_000000-c3/run-c3.wandb", "only copy")
    crashed = wandb / "offline-run-20240104_000000-d4" / "files"   # no .wandb log yet
    crashed.mkdir(parents=True)
    assert main(["clean", "runs"]) == 0
    out = capsys.readouterr().out
    assert any(line.split()[:2] == ["kept", str(unsynced.parent)] and "never synced" in line
               for line in out.splitlines())
    assert "--delete-unsynced-runs" in out
    assert main(["clean", "runs", "--apply"]) == 0
    assert not online.exists() and not synced.exists()
    assert unsynced.read_text() == "only copy" and crashed.is_dir()
    assert main(["clean", "all", "--apply", "--yes"]) == 0
    assert unsynced.read_text() == "only copy"
    assert main(["clean", "runs", "--apply", "--delete-unsynced-runs"]) == 0
    assert not unsynced.exists() and not crashed.exists()


def test_a_location_of_another_group_inside_a_cache_survives(root, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[vars.MY_DATA]\npath = "cache/pip/mine"\n')   # no group: data
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    mine = _plant(root, "cache/pip/mine/thesis.tex", "do not delete")
    conf = _plant(root, "cache/ccache/ccache.conf", "max_size = 50G")
    _plant(root, "cache/ccache/0/1/obj")
    assert main(["clean", "caches", "--apply"]) == 0
    assert mine.read_text() == "do not delete"
    assert conf.read_text() == "max_size = 50G"
    assert not (root / "cache" / "pip" / "http").exists()
    assert not (root / "cache" / "ccache" / "0").exists()


def test_a_keep_pattern_reaches_a_deeper_level_through_real_directories_only(root, tmp_path):
    """Triton's override folder holds kernels a person placed; its dumps are rebuilt."""
    override = _plant(root, "triton/.triton/override/kernel.ttgir", "hand-tuned")
    dump = _plant(root, "triton/.triton/dump/kernel.ttir")
    assert main(["clean", "caches", "--apply"]) == 0
    assert override.read_text() == "hand-tuned"
    assert not dump.exists()

    # Reached through a symlink, the pattern names nothing: the link goes, as a link.
    elsewhere = tmp_path / "elsewhere"
    shutil.move(root / "triton" / ".triton", elsewhere)
    (root / "triton" / ".triton").symlink_to(elsewhere)
    assert main(["clean", "caches", "--apply"]) == 0
    assert not (root / "triton").exists()
    assert (elsewhere / "override" / "kernel.ttgir").read_text() == "hand-tuned"


# --- what is not bytes in a location: checkpoints, made things, mounts, others, itself ----


def _checkpoint(where):
    _plant(where, "trainer_state.json", '{"global_step": 500}')
    _plant(where, "model.safetensors", "weights")
    _plant(where, "config.json", "{}")
    return where


def _kept_line(out, path):
    return next((line for line in out.splitlines()
                 if line.split()[:2] == ["kept", str(path)]), None)


def test_checkpoints_and_trained_models_in_a_cache_stay_unless_named(root, capsys):
    """The legacy transformers cache moved into HF_HOME held a run's checkpoints."""
    hf = root / "cache" / "huggingface"
    ckpt = _checkpoint(hf / "transformers" / "old-run" / "checkpoint-500")
    optim = _plant(root, "cache/torch/resume/optimizer.pt", "state").parent
    model = _plant(root, "cache/torch/my-model/model-00001-of-00002.safetensors", "w").parent
    _plant(model, "config.json", "{}")
    # The hub's snapshots hold the same names as links into its blob store: downloads.
    blob = _plant(hf, "hub/models--gpt2/blobs/abc", "weights")
    snapshot = hf / "hub" / "models--gpt2" / "snapshots" / "0123"
    snapshot.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (snapshot / name).symlink_to(blob)
    assert main(["clean", "caches"]) == 0
    out = capsys.readouterr().out
    assert "Trainer checkpoint" in _kept_line(out, ckpt)
    assert "optimizer.pt" in _kept_line(out, optim)
    assert "beside config.json" in _kept_line(out, model)
    assert "--delete PATH" in _kept_line(out, ckpt)
    assert _kept_line(out, snapshot) is None

    assert main(["clean", "caches", "--apply"]) == 0
    assert (ckpt / "trainer_state.json").exists() and (optim / "optimizer.pt").exists()
    assert (model / "config.json").exists()
    assert not (hf / "hub").exists() and not (root / "cache" / "pip").exists()

    # Named, it goes; the others stay.
    assert main(["clean", "caches", "--apply", "--delete", str(ckpt)]) == 0
    assert not ckpt.exists() and (optim / "optimizer.pt").exists()


def test_delete_naming_nothing_kept_is_refused(root, capsys):
    assert main(["clean", "caches", "--apply", "--delete", str(root / "cache" / "nope")]) == 2
    assert "--delete" in capsys.readouterr().err
    assert (root / "cache" / "pip" / "http" / "a").exists()


def test_clean_data_keeps_the_projects_models_and_report(root, capsys):
    """nanochat's cleanup: the data shards go, the trained model and report stay."""
    base = root / "nanochat-cache"
    shard = _plant(base, "base_data/shard_00000.parquet")
    made = [_plant(base, rel) for rel in
            ("base_checkpoints/d20/model_000100.pt", "chatsft_checkpoints/d20/meta_000100.json",
             "report/report.md", "tokenizer/tokenizer.pkl", "models/final/model.pt")]
    assert main(["clean", "data"]) == 0
    out = capsys.readouterr().out
    for path in made:
        line = _kept_line(out, path.parent.parent if "checkpoints" in str(path)
                          or "models" in str(path) else path.parent)
        assert line is not None and "NANOCHAT_BASE_DIR" in line and "--delete" in line, out
    assert main(["clean", "data", "--apply"]) == 0
    assert not shard.exists()
    for path in made:
        assert path.read_text() == str(path.relative_to(base))
    assert main(["clean", "data", "--apply", "--delete", str(base / "report")]) == 0
    assert not (base / "report").exists() and made[0].exists()


def test_a_bind_mount_inside_a_cache_is_never_crossed(root, tmp_path, capsys):
    """A directory of home bind-mounted at $ROOT/cache/pip: the thesis survives, verify sees
    home, and the one safe delete refuses a tree with the mount in it."""
    from helpers.fs import needs_root

    from scratchenv.errors import ScratchenvError
    from scratchenv.realpaths import is_within
    from scratchenv.removal import remove_tree

    needs_root()
    thesis = _plant(tmp_path / "home" / "thesis", "chapter1.tex", "a chapter")
    pip = root / "cache" / "pip"
    subprocess.run(["mount", "--bind", str(thesis.parent), str(pip)], check=True)
    try:
        assert is_within(pip / "chapter1.tex", tmp_path / "home")
        assert main(["clean", "caches"]) == 0
        assert "mount point" in _kept_line(capsys.readouterr().out, pip)
        assert main(["clean", "caches", "--apply"]) == 0
        assert thesis.read_text() == "a chapter"
        assert not (root / "cache" / "uv").exists()
        with pytest.raises(ScratchenvError, match="mount point"):
            remove_tree(root / "cache", root)
        assert thesis.read_text() == "a chapter"
        verified = cli("verify", env={**os.environ, "PIP_CACHE_DIR": str(pip)})
        assert f"✗ PIP_CACHE_DIR: {pip} is inside home" in verified.stdout, verified.stdout
    finally:
        subprocess.run(["umount", str(pip)], check=True)
    assert thesis.read_text() == "a chapter"


def test_clean_never_deletes_its_own_install(root, tmp_path):
    """scratchenv installed with PIPX_HOME on scratch: `clean envs --apply` run by that
    very install keeps its venv, and the other pipx venvs go."""
    venv = root / "pipx" / "venvs" / "scratchenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    other = _plant(root, "pipx/venvs/black/bin/black")
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), "-m", "scratchenv", "clean", "envs", "--apply"],
                          capture_output=True, text=True, env=with_our_packages())
    assert done.returncode == 0, done.stderr
    assert "own install" in done.stdout
    assert python.exists() and not other.exists()
    again = subprocess.run([str(python), "-m", "scratchenv", "--help"], capture_output=True,
                           text=True, env=with_our_packages())
    assert again.returncode == 0



def test_what_stays_beside_a_pinned_file_is_kept_where_the_tool_writes_it_unpinned(
        root, tmp_path, monkeypatch):
    """Unpinned (HF_TOKEN_PATH switched off), the tool writes its token and what the
    catalogue says is `beside` it into the cache: `clean caches` keeps those there."""
    config = tmp_path / "config.toml"
    config.write_text('[vars.MY_TOOL_HOME]\npath = "cache/mytool"\ngroup = "cache"\n'
                      'default = "~/.mytool"\n'
                      '[vars.MY_TOOL_LOGIN_DATA]\nanchor = "home"\npath = ".mytool/token"\n'
                      'kind = "file"\ndefault = "~/.mytool/token"\nbeside = ["named"]\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    kept = [_plant(root, f"cache/mytool/{name}", "a secret") for name in ("token", "named")]
    _plant(root, "cache/mytool/downloads/blob")
    assert main(["clean", "caches", "--apply"]) == 0
    assert [path.read_text() for path in kept] == ["a secret", "a secret"]
    assert not (root / "cache" / "mytool" / "downloads").exists()


def test_which_runs_are_unsynced_is_the_catalogue_s_rule(root, tmp_path, monkeypatch, capsys):
    """The W&B rule is data (WANDB_DIR's `unsynced`): another tool's entry with a rule of
    its own has its unsynced runs kept the same way, and its synced ones removed."""
    config = tmp_path / "config.toml"
    config.write_text('[vars.AIM_REPO_DIR]\npath = "aim"\ngroup = "run"\n'
                      'unsynced = { what = "an Aim run", runs = ["repo/r-*"], log = "*.log", '
                      'synced = ".uploaded", sync = "aim upload" }\n')
    monkeypatch.setenv("SCRATCHENV_CONFIG", str(config))
    done = _plant(root, "aim/repo/r-1/a.log")
    _plant(root, "aim/repo/r-1/a.log.uploaded", "")
    only = _plant(root, "aim/repo/r-2/a.log", "only copy")
    assert main(["clean", "runs"]) == 0
    assert (f"an Aim run never synced: `aim upload {only.parent}`, or --delete-unsynced-runs"
            in capsys.readouterr().out)
    assert main(["clean", "runs", "--apply"]) == 0
    assert not done.exists() and only.read_text() == "only copy"
