"""The marked block written into real rc files: the user's bytes around it stay as they are."""

from __future__ import annotations

import pytest

from scratchenv.errors import ScratchenvError
from scratchenv.login import rcfile

BLOCK = rcfile.block("bash", ["/opt/bin/scratchenv"])


def test_a_symlinked_rc_file_stays_a_link_and_its_target_gets_the_block(tmp_path):
    dotfiles = tmp_path / "dotfiles" / "bashrc"
    dotfiles.parent.mkdir()
    dotfiles.write_text("export MINE=1\n")
    link = tmp_path / ".bashrc"
    link.symlink_to(dotfiles)
    rcfile.install(link, BLOCK)
    assert link.is_symlink()
    assert dotfiles.read_text() == "export MINE=1\n" + BLOCK
    rcfile.install(link, None)
    assert link.is_symlink() and dotfiles.read_text() == "export MINE=1\n"


def test_crlf_lines_come_back_byte_exact(tmp_path):
    rc = tmp_path / "config.fish"
    original = b"set -gx MINE 1\r\n# mine\r\n"
    rc.write_bytes(original)
    rcfile.install(rc, BLOCK)
    assert rc.read_bytes().startswith(original)
    rcfile.install(rc, None)
    assert rc.read_bytes() == original


def test_an_rc_file_that_cannot_be_written_is_one_clear_error(tmp_path):
    (tmp_path / ".config").write_text("")  # a file where fish's config directory would go
    rc = rcfile.rc_path("fish", {"HOME": str(tmp_path)})
    with pytest.raises(ScratchenvError, match=r"^cannot write .*/config\.fish: .*directory$"):
        rcfile.install(rc, rcfile.block("fish", ["/opt/bin/scratchenv"]))
