"""The only module that prints: lines, warnings, tables, bars."""

from __future__ import annotations

import sys
import time

from scratchenv.errors import ConfigError

TYPE_CHECKING = False  # not `typing`: it imports re; `env`'s fast path prints through here
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TextIO

_CONTROLS = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
"""Characters a terminal obeys rather than shows (ESC starts OSC 52 clipboard writes and
screen clears, CR overwrites a line, C1 controls, bidi overrides reorder text), as escapes."""
_CONTROLS_KEEP_LINES = {code: text for code, text in _CONTROLS.items() if code != 0x0A}


def escape(text: str, *, lines: bool = False) -> str:
    """`text` with every control character shown as `\\xNN` (`\\uNNNN`): a path or value
    another user chose never drives the terminal or forges a line. `lines`: keep newlines
    (a multi-line message made of escaped parts). Every message goes through it."""
    return text.translate(_CONTROLS_KEEP_LINES if lines else _CONTROLS)


def say(text: str = "") -> None:
    show(text + "\n")


def show(text: str) -> None:
    """Text for a person (a report, a table): like write(), but escaped (`escape`), and on
    a terminal whose encoding cannot show a symbol (`LC_ALL=POSIX`,
    `PYTHONIOENCODING=latin-1`) the symbols become ASCII and any other such character an
    escape, instead of a crash."""
    text = escape(text, lines=True)
    try:
        write(text)
    except UnicodeEncodeError:
        write(_fit(text, getattr(sys.stdout, "encoding", None) or "ascii"))


# The symbols reports use, as ASCII (a bar's partial cells round to full or empty).
_ASCII = str.maketrans({"✓": "+", "✗": "x", "✅": "[ok]", "❌": "[x]", "█": "#", "▉": "#",
                        "▊": "#", "▋": "#", "▌": "#", "▍": " ", "▎": " ", "▏": " "})


def _fit(text: str, encoding: str) -> str:
    def shown(char: str) -> str:
        try:
            char.encode(encoding, "surrogateescape")  # what the stream itself does
            return char
        except UnicodeEncodeError:
            return char.encode("ascii", "backslashreplace").decode("ascii")

    return "".join(map(shown, text.translate(_ASCII)))


def write(text: str) -> None:
    """Raw text to stdout (a rendered file), exactly as given, unless stdout is a
    terminal (then escaped: nothing reads it but a person)."""
    _out(escape(text, lines=True) if sys.stdout.isatty() else text)


def _out(text: str) -> None:
    try:
        sys.stdout.write(text)
    except BrokenPipeError:
        raise  # the reader left: main() ends quietly
    except OSError as problem:  # a full disk behind `> file`: the file is incomplete
        raise ConfigError(f"cannot write to standard output: {problem.strerror}") from None


def warn(text: str) -> None:
    sys.stderr.write(f"scratchenv: warning: {escape(text)}\n")


def error(text: str) -> None:
    sys.stderr.write(f"scratchenv: error: {escape(text)}\n")


def table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None) -> None:
    """Left-aligned columns; the last column is never padded."""
    all_rows = [list(headers)] if headers else []
    all_rows += [[escape(cell) for cell in row] for row in rows]
    if not all_rows:
        return
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]) - 1)]
    for row in all_rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        say("  ".join([*cells, row[-1]]).rstrip())


def bar(fraction: float, width: int = 20) -> str:
    """A bar of `width` cells, filled by `fraction` (0..1), in eighths for resolution."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return ("█" * full + partial).ljust(width)


def json_text(document: object) -> str:
    """`document` as JSON, two-space indented, non-ASCII kept as is. A path that is not
    UTF-8 reaches us with lone surrogates, which no encoder writes: they are only ever
    inside strings, so they become the \\u escape a JSON reader decodes back."""
    import json
    import re

    text = json.dumps(document, indent=2, ensure_ascii=False)
    return re.sub("[\ud800-\udfff]", lambda match: f"\\u{ord(match[0]):04x}", text)


def write_err(text: str) -> None:
    """Another program's messages to stderr, line by line (its controls escaped)."""
    sys.stderr.write(escape(text, lines=True))


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; False unless the answer starts with y."""
    sys.stderr.write(f"{escape(question)} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    return answer.strip().lower().startswith("y")


def interactive() -> bool:
    """True when a person can answer a question (stdin and stderr are terminals)."""
    # None: started with `<&-` or `2>&-`.
    return (sys.stdin is not None and sys.stderr is not None
            and sys.stdin.isatty() and sys.stderr.isatty())


def duration(seconds: float) -> str:
    """`M:SS`, or `H:MM:SS` from an hour on."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """A one-line bar on stderr with bytes, files and an ETA, redrawn at most every
    `interval` seconds. Off when the stream is not a terminal, unless `enabled=True`.

    The ETA extrapolates the mean of the byte and file fractions: big files are limited by
    bytes, trees of small files by files, and a migration is usually both.
    """

    def __init__(self, label: str, total_bytes: int, total_files: int, *,
                 stream: TextIO | None = None, enabled: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, interval: float = 0.1) -> None:
        from scratchenv.units import format_size

        self._size = format_size
        self.label = escape(label)
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        self.interval = interval
        self.bytes = 0
        self.files = 0
        self._start = clock()
        self._next = self._start

    def advance(self, nbytes: int, nfiles: int = 1) -> None:
        self.bytes += nbytes
        self.files += nfiles
        now = self.clock()
        if now >= self._next:
            self._next = now + self.interval
            self._draw(now)

    def fraction(self) -> float:
        parts = [done / total for done, total in
                 ((self.bytes, self.total_bytes), (self.files, self.total_files)) if total]
        return min(1.0, sum(parts) / len(parts)) if parts else 1.0

    def line(self, now: float) -> str:
        fraction = self.fraction()
        elapsed = now - self._start
        if fraction >= 1.0:
            eta = "done"
        elif fraction > 0 and elapsed > 0:
            eta = "ETA " + duration(elapsed * (1 - fraction) / fraction)
        else:
            eta = "ETA --:--"
        return (f"{self.label} {bar(fraction)} {fraction:4.0%} "
                f"{self._size(self.bytes)}/{self._size(self.total_bytes)} "
                f"{self.files:,}/{self.total_files:,} files {eta}")

    def _draw(self, now: float) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
