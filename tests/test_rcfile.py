from __future__ import annotations

from conftest import cli


def test_an_rc_file_that_cannot_be_written_is_one_clear_error(root, isolated):
    config = isolated / ".config"
    config.write_text("a file where fish's directory would be\n")
    result = cli("init", "fish")
    assert result.returncode == 2
    assert result.stderr.startswith(f"scratchenv: error: cannot write {config}/fish/config.fish: ")
    assert result.stderr.count("\n") == 1
    assert config.read_text() == "a file where fish's directory would be\n"
