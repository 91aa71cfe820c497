from __future__ import annotations

import os

from scratchenv.fsutil import atomic_write


def test_text_from_an_undecodable_path_is_written_back_as_its_bytes(tmp_path):
    name = os.fsdecode(b"/scratch/r\xff\xfe")  # how Python hands over such a path
    atomic_write(tmp_path / "f", f"export X='{name}'\n")
    assert (tmp_path / "f").read_bytes() == b"export X='/scratch/r\xff\xfe'\n"
