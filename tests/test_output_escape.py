"""output.escape: what a terminal would obey is shown, never sent (issue 22)."""

from __future__ import annotations

import pytest

from scratchenv import output


@pytest.mark.parametrize(("raw", "shown"), [
    ("/scratch/a b/é中", "/scratch/a b/é中"),
    ("x\x1b]52;c;cHduZWQ=\x07y", "x\\x1b]52;c;cHduZWQ=\\x07y"),
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
    ("fake\r✓ ok", "fake\\x0d✓ ok"),
    ("two\nlines", "two\\x0alines"),
    ("c1\x9b31m del\x7f", "c1\\x9b31m del\\x7f"),
    ("bidi\u202egnp.exe", "bidi\\u202egnp.exe"),
])
def test_escape_shows_controls(raw: str, shown: str) -> None:
    assert output.escape(raw) == shown


def test_messages_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    output.warn("a\x1b[2Jb\nc")
    output.error("\rx")
    output.say("line\x1b]0;title\x07\nnext")
    output.table([["\x1b[31mred", "v\r"]])
    out, err = capsys.readouterr()
    assert err == "scratchenv: warning: a\\x1b[2Jb\\x0ac\nscratchenv: error: \\x0dx\n"
    assert out == "line\\x1b]0;title\\x07\nnext\n\\x1b[31mred  v\\x0d\n"
