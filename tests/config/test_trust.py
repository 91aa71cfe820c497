"""What scratchenv reads and what it refuses (the same rules as test_trust_users.py, here for
the cases one user can show: the allow-list, names, paths, roots, files that block)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import cli, cli_process

from scratchenv.config import trust
from scratchenv.config.catalogue import load_default
from scratchenv.config.names import OWN_PATH_NAMES, variable_name_problem
from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "scratchenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- files that are not files ---------------------------------------------------------------


def test_only_small_regular_files_are_read(tmp_path):
    os.mkfifo(tmp_path / "fifo")  # nobody writes it: a plain open() would wait forever
    big = tmp_path / "big"
    big.write_bytes(b"x" * (trust.MAX_BYTES + 1))
    for path, reason in ((tmp_path / "fifo", "it is not a regular file"),
                         ("/dev/zero", "it is not a regular file"),
                         (big, "it is larger than 1 MB")):
        with pytest.raises(trust.Untrusted, match=reason):
            trust.read_regular(str(path))
    assert trust.read_regular(str(tmp_path / "missing")) is None
    (tmp_path / "ok").write_bytes(b"x" * trust.MAX_BYTES)
    found = trust.read_regular(str(tmp_path / "ok"))
    assert found is not None and len(found[0]) == trust.MAX_BYTES


@pytest.mark.parametrize("kind", ["fifo", "zero", "big"])
def test_a_config_that_is_not_a_small_file_is_one_line(root, isolated, kind):
    config = isolated / ".config" / "scratchenv" / "config.toml"
    config.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(config)
    elif kind == "zero":
        config.symlink_to("/dev/zero")
    else:
        config.write_text("#" * (2 * 1024 * 1024))
    result = cli_process("env", timeout=60)  # a child: a blocked read would hang the suite
    assert result.returncode == 2
    reason = "it is larger than 1 MB" if kind == "big" else "it is not a regular file"
    assert result.stderr == f"scratchenv: error: config {config} refused: {reason}\n"


def test_a_config_others_can_write_or_own_is_refused(root, isolated):
    config = write_config(isolated, "")
    os.chmod(config, 0o664)
    with pytest.raises(ConfigError, match=r"refused: others can write it \(mode 0664"):
        load_settings()
    os.chmod(config, 0o644)
    os.chmod(config.parent, 0o777)
    with pytest.raises(ConfigError, match=f"refused: it is in {config.parent}, which others"):
        load_settings()
    os.chmod(config.parent, 0o755)
    if os.getuid() == 0:  # only root can give a file away
        os.chown(config, 4242, 4242)
        with pytest.raises(ConfigError, match=r"it belongs to uid 4242, neither you nor root"):
            load_settings()
        os.chown(config, 0, 0)
    assert load_settings().root == root


def test_the_site_config_check_is_the_same(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('profile = "ptolemy"\n')
    trust.check_config(str(site), "site config")
    os.chmod(site, 0o666)
    with pytest.raises(ConfigError, match=f"^site config {site} refused: others can write it"):
        trust.check_config(str(site), "site config")


# --- .env.local and the allow-list ----------------------------------------------------------


def test_a_dotenv_takes_effect_only_as_allowed(root, isolated):
    dotenv = Path(".env.local")
    dotenv.write_text("SCRATCHENV_PROJECT=fromdotenv\n")
    assert load_settings().project is None
    state = trust.dotenv(None, os.environ)
    assert state.notice == (f"{dotenv.absolute()} ignored: not allowed; read it, then "
                            "`scratchenv allow` (or `scratchenv deny`)")

    assert cli("allow").stdout == (f"allowed {dotenv.absolute()} (any change to it needs "
                                   "`scratchenv allow` again)\n")
    assert load_settings().project == "fromdotenv"
    allowed = json.loads((isolated / ".local/state/scratchenv/allowed").read_text())
    assert allowed["allow"] == {str(dotenv.absolute()): trust.content_hash(dotenv.read_bytes())}

    dotenv.write_text("SCRATCHENV_PROJECT=changed\n")  # same path, other content
    assert load_settings().project is None
    assert "it changed since you allowed it" in (trust.dotenv(None, os.environ).notice or "")

    assert cli("deny", ".").returncode == 0
    assert load_settings().project is None
    assert trust.dotenv(None, os.environ).notice is None  # denied: not mentioned
    assert cli("allow", ".env.local").returncode == 0  # allowing undoes deny
    assert load_settings().project == "changed"
    assert cli("revoke").stdout == f"revoked {dotenv.absolute()}\n"
    assert load_settings().project is None
    assert cli("revoke").stdout == f"{dotenv.absolute()} was neither allowed nor denied\n"


def test_a_dotenv_that_is_unsafe_cannot_be_allowed_nor_read(root, isolated):
    dotenv = Path(".env.local")
    dotenv.write_text("SCRATCHENV_PROJECT=fromdotenv\n")
    assert cli("allow").returncode == 0
    os.chmod(dotenv, 0o666)
    assert load_settings().project is None  # allowed, but anyone could have changed it
    state = trust.dotenv(None, os.environ)
    assert state.unsafe and "others can write it (mode 0666" in (state.notice or "")
    result = cli("allow")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    os.chmod(dotenv, 0o644)
    os.chmod(".", 0o1777)
    assert load_settings().project is None
    assert "which others can write (mode 1777)" in (trust.dotenv(None, os.environ).notice or "")
    os.chmod(".", 0o755)
    dotenv.rename("elsewhere")
    dotenv.symlink_to("elsewhere")
    assert "it is a symlink" in (trust.dotenv(None, os.environ).notice or "")
    assert cli("allow", "nothing-here").returncode == 2


def test_a_dotenv_fifo_does_not_block_any_command(root):
    os.mkfifo(".env.local")
    for args in (["activate", "--shell", "bash"], ["env"], ["verify"]):
        result = cli_process(*args, timeout=60)  # a child: a blocked read would hang the suite
        assert result.returncode in (0, 1), result.stderr
    verify = cli("verify")
    assert f"✗ {Path('.env.local').absolute()}: ignored: it is not a regular file" \
        in verify.stdout


def test_a_tampered_allow_list_allows_nothing(root, isolated):
    Path(".env.local").write_text("SCRATCHENV_PROJECT=fromdotenv\n")
    assert cli("allow").returncode == 0
    allowed = isolated / ".local/state/scratchenv/allowed"
    os.chmod(allowed, 0o666)
    assert load_settings().project is None


# --- names and paths of entries -------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "BASH_ENV", "ENV", "LD_PRELOAD", "LD_LIBRARY_PATH", "PROMPT_COMMAND", "PS1", "PS4",
    "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "DYLD_INSERT_LIBRARIES", "IFS", "SHELLOPTS",
    "CDPATH", "ZDOTDIR", "MANPATH", "NODE_PATH", "XDG_CONFIG_HOME", "XDG_DATA_DIRS",
    "GIT_DIR", "TMPDIR", "PATH", "HOME", "EDITOR", "SOMETHING",
])
def test_a_name_that_is_not_a_location_is_refused(root, name):
    result = cli("env", env={**os.environ, "SCRATCHENV_VARS": json.dumps({name: {"path": "x"}})})
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"scratchenv: error: invalid setting vars: '{name}' ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("name", [
    "SSL_CERT_DIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "JUPYTER_CONFIG_DIR",
    "KUBECONFIG_DIR", "__EGL_VENDOR_LIBRARY_DIRS", "QT_PLUGIN_PATH", "VK_ICD_DIR", "NVM_DIR",
    "CUDA_HOME", "CUDA_PATH", "ROCM_PATH", "JAVA_HOME", "GRADLE_HOME", "CONDA_ROOT",
    "MY_TOOL_BIN_DIR", "GIO_MODULE_DIR", "IPYTHON_STARTUP_DIR", "NPM_CONFIG_PREFIX",
    "SOMETHING_DIRS", "GNUPG_KEY_DIR",
])
def test_a_name_holding_trust_config_or_code_is_refused_from_own_settings(root, name):
    """Only cache, data and state locations come from the user's sources (issue 22): a
    trust store, configuration, plugins, drivers, code or a toolchain home is refused."""
    assert variable_name_problem(name) is not None
    result = cli("env", env={**os.environ, "SCRATCHENV_VARS": json.dumps({name: {"path": "x"}})})
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"scratchenv: error: invalid setting vars: '{name}' ")


def test_location_names_are_accepted(root):
    good = {"MY_TOOL_CACHE": {"path": "cache/my-tool"}, "XDG_CACHE_HOME": {"path": "c"},
            "OTHER_DATA_DIR": {"path": "d"},
            "DATASETS_DIR": {"path": "d"}, "CHECKPOINT_DIR": {"path": "c"},
            "MY_KERNELS_CACHE": {"path": "k"}, "PROFILER_DIR": {"path": "p"}}
    settings = load_settings()
    assert all(variable_name_problem(name) is None for name in good)
    assert settings.catalogue().extended(good).get("MY_TOOL_CACHE") is not None
    # A catalogue name is reviewed: one's own entry may replace it, whatever its words.
    assert variable_name_problem("npm_config_cache") is not None
    result = cli("env", env={**os.environ,
                             "SCRATCHENV_VARS": json.dumps({"npm_config_cache": {"path": "n"}})})
    assert result.returncode == 0, result.stderr


def test_the_catalogues_names_pass_and_may_be_overridden(root, isolated):
    """The shipped names are reviewed (none on the denylist); a user's entry may replace one
    even when its shape is unusual (a *PATH that is a location, not a search list)."""
    for entry in load_default().entries:
        assert variable_name_problem(entry.var, own=False) is None, entry.var
    assert variable_name_problem("HF_TOKEN_PATH") is not None  # as a name of one's own
    assert {"VENV_PATH"} == OWN_PATH_NAMES
    write_config(isolated, '[vars.CUDA_CACHE_PATH]\npath = "cuda-elsewhere"\n')
    assert load_settings().catalogue().get("CUDA_CACHE_PATH").path == "cuda-elsewhere"


@pytest.mark.parametrize("fields", [
    {"path": "../elsewhere"}, {"path": "cache/../../x"}, {"path": "/abs"}, {"path": "~/x"},
    {"path": "tools", "bin": "../../bin"}, {"path": "tools", "bin": "/usr/bin"},
])
def test_an_entry_path_never_leaves_its_root(root, isolated, fields):
    write_config(isolated, "[vars.MY_CACHE]\n" + "".join(
        f'{key} = "{value}"\n' for key, value in fields.items()))
    result = cli("env")
    assert result.returncode == 2
    assert "without .." in result.stderr and len(result.stderr.splitlines()) == 1


# --- the root -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["~", "home", "home/sub", "around"])
def test_a_root_that_is_home_or_near_it_is_refused(isolated, where):
    root = {"~": "~", "home": str(isolated), "home/sub": str(isolated / "sub"),
            "around": str(isolated.parent)}[where]
    write_config(isolated, f'root = "{root}"\n')
    result = cli("clean", "toolchains")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert ("is your home" in result.stderr or "is inside your home" in result.stderr
            or "contains your home" in result.stderr)


def test_a_root_through_a_writable_directory_is_refused(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # not sticky: anyone may rename what is in it
    mine = shared / "mine"
    mine.mkdir(mode=0o700)
    monkeypatch.setenv("SCRATCHENV_ROOT", str(mine / "scratch"))
    with pytest.raises(ConfigError, match=f"inside {shared}, which others can write|"
                                          f"{shared} on the way is writable"):
        load_settings()
    os.chmod(shared, 0o1777)  # sticky: a 0700 directory of mine in it stays mine
    assert load_settings().root == mine / "scratch"
    link = tmp_path / "link"
    link.symlink_to(mine)  # a symlink in a private directory leads there just as well
    monkeypatch.setenv("SCRATCHENV_ROOT", str(link / "scratch"))
    assert load_settings().root == link / "scratch"


# --- verify against the root itself ---------------------------------------------------------


def test_verify_checks_values_against_the_root_not_the_plan(root, tmp_path):
    """A directory under the root that leads out of it fails, though the value is the plan's."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "cache").symlink_to(elsewhere)
    from scratchenv.plan import build_plan

    environ = build_plan(load_settings()).apply(os.environ)
    result = cli("verify", "--json", env=environ)
    findings = {(f["check"], f["subject"]): f for f in json.loads(result.stdout)["findings"]}
    assert findings[("var.under_root", "HF_HOME")]["status"] == "fail"
    assert "is not under the scratch root" in findings[("var.under_root", "HF_HOME")]["message"]
    assert findings[("var.under_root", "CARGO_HOME")]["status"] == "pass"
    assert result.returncode == 1


def test_verify_fails_a_pinned_token_that_leads_out_of_home(root, isolated, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (isolated / ".cache").mkdir()
    (isolated / ".cache" / "huggingface").symlink_to(elsewhere)
    from scratchenv.plan import build_plan

    environ = build_plan(load_settings()).apply(os.environ)
    findings = json.loads(cli("verify", "--json", env=environ).stdout)["findings"]
    pinned = next(f for f in findings if f["check"] == "var.pinned")
    assert pinned["status"] == "fail" and "leads out of home" in pinned["message"]


def test_the_login_fast_path_does_not_block_on_a_fifo(root, tmp_path):
    """The fast path hashes .env.local and the config for its key: never by a blocking read."""
    os.mkfifo(".env.local")
    code = ("import os; from scratchenv.login.activate import fast_path; "
            "print(fast_path([], os.environ))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
