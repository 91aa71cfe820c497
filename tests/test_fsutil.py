from __future__ import annotations

import os
import subprocess
import sys

from scratchenv.fsutil import atomic_write


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
