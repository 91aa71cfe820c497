from __future__ import annotations

import os
import stat
import subprocess
import sys

from scratchenv.fsutil import atomic_write, private_directory


def test_text_from_an_undecodable_path_is_written_back_as_its_bytes(tmp_path):
    name = os.fsdecode(b"/scratch/r\xff\xfe")  # how Python hands over such a path
    atomic_write(tmp_path / "f", f"export X='{name}'\n")
    assert (tmp_path / "f").read_bytes() == b"export X='/scratch/r\xff\xfe'\n"


def test_a_root_whose_name_is_not_utf8_reaches_the_shell_byte_for_byte(tmp_path):
    root = os.fsencode(tmp_path) + b"/r\xff\xfe"
    os.mkdir(root)
    env = {**os.environb, b"SCRATCHENV_ROOT": root}
    script = b'source "$("$0" -m scratchenv activate --shell bash)" && printf %s "$HF_HOME"'
    result = subprocess.run([b"bash", b"-c", script, os.fsencode(sys.executable)], env=env,
                            capture_output=True)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == root + b"/cache/huggingface"


def test_a_private_directory_is_closed_to_others_and_keeps_its_owners_own_bits(tmp_path):
    open_to_group, made_read_only = tmp_path / "umask-002", tmp_path / "read-only"
    for directory, mode in ((open_to_group, 0o775), (made_read_only, 0o555)):
        directory.mkdir()
        directory.chmod(mode)
        private_directory(directory)
    assert stat.S_IMODE(open_to_group.stat().st_mode) == 0o700
    # A state directory the user made read-only is never made writable behind their back.
    assert stat.S_IMODE(made_read_only.stat().st_mode) == 0o500
