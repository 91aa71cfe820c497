from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from scratchenv import locations
from scratchenv.config.settings import config_path
from scratchenv.errors import ConfigError
from scratchenv.locations import state_dir
from scratchenv.login.activate import fast_path
from scratchenv.login.rcfile import rc_path

PASSWD_HOME = pwd.getpwuid(os.getuid()).pw_dir


def _no_entry(uid: int) -> pwd.struct_passwd:
    raise KeyError(uid)


@pytest.mark.parametrize("value", ["", None], ids=["empty", "unset"])
def test_empty_or_unset_home_is_the_password_entry_never_slash(value, monkeypatch):
    # expanduser("~") gives "/" for HOME='': status would scan the whole disk as home and
    # init would write /.bashrc.
    if value is None:
        monkeypatch.delenv("HOME")
    else:
        monkeypatch.setenv("HOME", value)
    environ = dict(os.environ)
    assert PASSWD_HOME != "/"
    assert rc_path("bash", environ) == Path(PASSWD_HOME, ".bashrc")
    assert state_dir(environ) == os.path.join(PASSWD_HOME, ".local", "state", "scratchenv")
    assert str(config_path()).startswith(PASSWD_HOME + "/")


def test_no_home_anywhere_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(locations.pwd, "getpwuid", _no_entry)
    with pytest.raises(ConfigError, match="HOME is not set and uid .* set HOME"):
        locations.home_dir({"HOME": ""})


def test_activate_fast_path_leaves_a_missing_home_to_the_slow_path(monkeypatch):
    monkeypatch.setattr(locations.pwd, "getpwuid", _no_entry)
    assert fast_path([], {"SHELL": "/bin/bash"}) is None


def test_current_user_is_who_getpass_names(monkeypatch):
    import getpass

    from scratchenv.locations import current_user

    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.delenv(variable, raising=False)
    assert current_user() == getpass.getuser()  # the password database
    for variable in ("USERNAME", "LNAME", "LOGNAME"):  # each ranks above the last
        monkeypatch.setenv(variable, f"from-{variable}")
        assert current_user() == getpass.getuser() == f"from-{variable}"
    monkeypatch.setenv("USER", "from-USER")  # ours first (getpass asks LOGNAME first)
    assert current_user() == "from-USER"
