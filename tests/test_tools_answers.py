"""After `source "$(scratchenv activate --shell bash)"`, the tools themselves say scratch."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from helpers import need, unavailable

BIN = Path(sys.executable).parent


def in_activated_bash(command: str) -> str:
    script = f'. "$({BIN}/scratchenv activate --shell bash)" && {command}'
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=os.environ)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_pip_says_its_cache_is_on_scratch(root):
    assert in_activated_bash(f"{sys.executable} -m pip cache dir") == f"{root}/cache/pip"


def test_uv_says_its_cache_is_on_scratch(root):
    uv = need("uv") if not (BIN / "uv").exists() else str(BIN / "uv")
    assert in_activated_bash(f"{uv} cache dir") == f"{root}/cache/uv"


def test_huggingface_hub_constants_point_at_scratch(root, isolated):
    code = (
        "from huggingface_hub import constants as c; "
        "print(c.HF_HOME); print(c.HF_HUB_CACHE); print(c.HF_TOKEN_PATH)"
    )
    home, hub, token = in_activated_bash(f'{sys.executable} -c "{code}"').splitlines()
    assert home == f"{root}/cache/huggingface"
    assert hub == f"{root}/cache/huggingface/hub"
    # The login token stays in home: moving HF_HOME must not log the user out.
    assert token == f"{isolated}/.cache/huggingface/token"


def test_torch_hub_dir_is_on_scratch(root):
    if importlib.util.find_spec("torch") is None:
        unavailable("torch is not installed; `make test` installs it")
    code = "import torch; print(torch.hub.get_dir())"
    assert in_activated_bash(f'{sys.executable} -c "{code}"') == f"{root}/cache/torch/hub"


def test_pex_says_its_root_is_on_scratch(root):
    pex3 = BIN / "pex3"
    if not pex3.exists():
        unavailable("pex is not installed; `make test` installs it (the test extra)")
    assert in_activated_bash(f"{pex3} cache dir") == f"{root}/cache/pex"


def test_jupyter_dirs_move_only_when_enabled(root, isolated, monkeypatch):
    if importlib.util.find_spec("jupyter_core") is None:
        unavailable("jupyter_core is not installed; `make test` installs it (the test extra)")
    code = ("from jupyter_core import paths; "
            "print(paths.jupyter_data_dir()); print(paths.jupyter_runtime_dir())")
    data, _ = in_activated_bash(f'{sys.executable} -c "{code}"').splitlines()
    assert data == f"{isolated}/.local/share/jupyter"  # opt-in: off by default
    monkeypatch.setenv("SCRATCHENV_ENABLE", '["jupyter"]')
    data, runtime = in_activated_bash(f'{sys.executable} -c "{code}"').splitlines()
    assert (data, runtime) == (f"{root}/jupyter/data", f"{root}/jupyter/runtime")
