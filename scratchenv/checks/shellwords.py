"""Reading shell without running it: a script's text as simple commands of words.

A small tokenizer for the parts of POSIX sh and bash a job script uses: quotes (`'…'`,
`"…"`, `$'…'`), backslashes and line continuations, comments, `$NAME`, `${…}`, `$(…)`,
backticks, `$((…))`, tildes, redirections and here-documents (whose bodies are data, not
code), and the operators that separate commands. Each word keeps its parts, so a rule can
tell a bare `~` from a quoted one, or `$HOME` from `'$HOME'`. Nothing is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from scratchenv.plain import record

Kind = Literal["lit", "tilde", "param", "cmdsub"]
_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")")
_REDIRECTS = ("<<<", "<<-", "&>>", "<<", ">>", "<&", ">&", "<>", ">|", "&>", "<", ">")
_RESERVED = frozenset({"!", "{", "}", "if", "then", "elif", "else", "fi", "do", "done",
                       "while", "until", "time", "[[", "]]", "esac"})
_SPECIAL_PARAMS = "@*#?-$!0123456789"


@record
class Part:
    """One piece of a word: literal text (quotes removed), a tilde prefix (`text` is the
    user, "" for one's own home), a parameter (`text` is the raw `$X`/`${…}`), or a command
    substitution (`text` is the code inside)."""

    kind: Kind
    text: str
    quoted: bool = False


@dataclass
class Word:
    line: int
    parts: list[Part] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The word with quotes removed and nothing expanded: `"$HOME"/x` is `$HOME/x`."""
        return "".join(_show(part) for part in self.parts)

    @property
    def literal(self) -> str | None:
        """The word's value when it has no expansion in it, else None."""
        if all(part.kind == "lit" for part in self.parts):
            return "".join(part.text for part in self.parts)
        return None


def _show(part: Part) -> str:
    if part.kind == "tilde":
        return "~" + part.text
    if part.kind == "cmdsub":
        return f"$({part.text})"
    return part.text


@dataclass
class Command:
    """One simple command: its words, without redirections; `line` is where it starts."""

    line: int
    words: list[Word]


def commands(text: str, first_line: int = 1) -> list[Command]:
    """The simple commands of `text`, in order (a pipeline, `a && b` and `(a; b)` give
    each of their commands; reserved words such as `if`, `then`, `do` are dropped)."""
    return _Reader(text, first_line).read()


def word(text: str) -> Word:
    """`text` read as one unquoted shell word (an `#SBATCH --export` value, say)."""
    reader = _Reader(text, 1)
    parts = reader.word_parts(stop=lambda char: False)
    return Word(1, parts)


class _Reader:
    def __init__(self, text: str, first_line: int) -> None:
        self.text, self.at, self.line = text, 0, first_line
        self.heredocs: list[tuple[str, bool]] = []

    # --- the command level -------------------------------------------------------------

    def read(self) -> list[Command]:
        found: list[Command] = []
        words: list[Word] = []

        def end() -> None:
            kept = list(words)
            while kept and kept[0].literal in _RESERVED:
                kept.pop(0)
            if kept:
                found.append(Command(kept[0].line, kept))
            words.clear()

        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if char == "\n":
                end()
                self._newline()
            elif char in " \t\r":
                self.at += 1
            elif char == "\\" and text.startswith("\\\n", self.at):
                self.at += 2
                self.line += 1
            elif char == "#":
                while self.at < len(text) and text[self.at] != "\n":
                    self.at += 1
            elif char in "<>" and text.startswith("(", self.at + 1):
                words.append(Word(self.line, self.word_parts(stop=_ends_word)))
            elif (redirect := self._redirect()) is not None:
                self.at += len(redirect)
                target = self._next_word()
                if redirect in ("<<", "<<-") and target is not None:
                    self.heredocs.append((target.text.replace("$", ""), redirect == "<<-"))
            elif (operator := next((o for o in _OPERATORS if text.startswith(o, self.at)),
                                   None)) is not None:
                end()
                self.at += len(operator)
            else:
                start, at = self.line, self.at
                words.append(Word(start, self.word_parts(stop=_ends_word)))
                if self.at == at:  # nothing a word can start with: step over it
                    self.at += 1
        end()
        return found

    def _redirect(self) -> str | None:
        """A redirection operator here, with an fd number glued before it (`2>`)."""
        at = self.at
        while at < len(self.text) and self.text[at].isdigit():
            at += 1
        for operator in _REDIRECTS:
            if self.text.startswith(operator, at):
                if operator in "<>" and self.text.startswith("(", at + len(operator)):
                    return None  # <(…) or >(…): a process substitution, read as a word
                return self.text[self.at:at] + operator
        return None

    def _next_word(self) -> Word | None:
        while self.at < len(self.text) and self.text[self.at] in " \t":
            self.at += 1
        if self.at >= len(self.text) or _ends_word(self.text[self.at]):
            return None
        return Word(self.line, self.word_parts(stop=_ends_word))

    def _newline(self) -> None:
        self.at += 1
        self.line += 1
        for delimiter, strip_tabs in self.heredocs:
            while self.at < len(self.text):
                end = self.text.find("\n", self.at)
                end = len(self.text) if end < 0 else end
                body_line = self.text[self.at:end]
                self.at = min(end + 1, len(self.text))
                self.line += 1
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delimiter:
                    break
        self.heredocs = []

    # --- the word level ----------------------------------------------------------------

    def word_parts(self, stop) -> list[Part]:  # noqa: C901 - one branch per quoting form
        parts: list[Part] = []
        text = self.text
        if text.startswith("~", self.at):
            user_end = self.at + 1
            while user_end < len(text) and (text[user_end].isalnum() or text[user_end] in
                                            "_.-+"):
                user_end += 1
            if user_end >= len(text) or text[user_end] == "/" or stop(text[user_end]):
                parts.append(Part("tilde", text[self.at + 1:user_end]))
                self.at = user_end
        while self.at < len(text) and (not stop(text[self.at]) or (
                text[self.at] in "<>" and text.startswith("(", self.at + 1))):
            char = text[self.at]
            if char == "\\":
                if text.startswith("\\\n", self.at):
                    self.line += 1
                else:
                    parts.append(Part("lit", text[self.at + 1:self.at + 2]))
                self.at += 2
            elif char == "'":
                end = _find(text, "'", self.at + 1)
                parts.append(Part("lit", text[self.at + 1:end], quoted=True))
                self._advance_to(end + 1)
            elif text.startswith("$'", self.at):
                end = self.at + 2
                while end < len(text) and text[end] != "'":
                    end += 2 if text[end] == "\\" else 1
                raw = text[self.at + 2:end]
                parts.append(Part("lit", _ansi_c(raw), quoted=True))
                self._advance_to(end + 1)
            elif char == '"' or text.startswith('$"', self.at):
                self.at += 1 if char == '"' else 2
                parts += self._double_quoted()
            elif char == "$" or char == "`":
                parts.append(self._expansion(quoted=False))
            elif char in "<>" and text.startswith("(", self.at + 1):
                end = _matching(text, self.at + 1)
                parts.append(Part("cmdsub", text[self.at + 2:end]))
                self._advance_to(end + 1)
            elif char == "=" and parts and all(p.kind == "lit" for p in parts):
                # An assignment's value: a tilde right after `=` expands (bash and POSIX).
                parts.append(Part("lit", "="))
                self.at += 1
                if text.startswith("~", self.at):
                    parts += self.word_parts(stop)
                    break
            else:
                parts.append(Part("lit", char))
                self.at += 1
        return _merge(parts)

    def _double_quoted(self) -> list[Part]:
        parts: list[Part] = []
        text = self.text
        while self.at < len(text) and text[self.at] != '"':
            char = text[self.at]
            if char == "\\" and text[self.at + 1:self.at + 2] in ('"', "\\", "$", "`", "\n"):
                if text[self.at + 1] != "\n":
                    parts.append(Part("lit", text[self.at + 1], quoted=True))
                self._advance_to(self.at + 2)
            elif char in "$`" and self.at + 1 < len(text):
                parts.append(self._expansion(quoted=True))
            else:
                parts.append(Part("lit", char, quoted=True))
                self._advance_to(self.at + 1)
        self.at += 1
        return parts

    def _expansion(self, *, quoted: bool) -> Part:
        text, at = self.text, self.at
        if text[at] == "`":
            end = at + 1
            while end < len(text) and text[end] != "`":
                end += 2 if text[end] == "\\" else 1
            self._advance_to(end + 1)
            inner = text[at + 1:end].replace("\\`", "`").replace("\\\\", "\\")
            return Part("cmdsub", inner, quoted)
        nxt = text[at + 1:at + 2]
        if text.startswith("$((", at):
            end = _matching(text, at + 1)
            self._advance_to(end + 1)
            return Part("param", text[at:end + 1], quoted)  # arithmetic: a number
        if nxt == "(":
            end = _matching(text, at + 1)
            self._advance_to(end + 1)
            return Part("cmdsub", text[at + 2:end], quoted)
        if nxt == "{":
            end = _matching(text, at + 1, "{", "}")
            self._advance_to(end + 1)
            return Part("param", text[at:end + 1], quoted)
        end = at + 1
        if nxt and nxt in _SPECIAL_PARAMS:
            end += 1
        else:
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
        self.at = end
        if end == at + 1:
            return Part("lit", "$", quoted)
        return Part("param", text[at:end], quoted)

    def _advance_to(self, at: int) -> None:
        self.line += self.text.count("\n", self.at, at)
        self.at = min(at, len(self.text))


def _ends_word(char: str) -> bool:
    return char in " \t\r\n;&|()<>"


def _find(text: str, char: str, start: int) -> int:
    end = text.find(char, start)
    return len(text) if end < 0 else end


def _matching(text: str, at: int, open_: str = "(", close: str = ")") -> int:
    """The index of the bracket closing the one at `at`, skipping quoted text."""
    depth, i = 0, at
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "'" and open_ == "(":
            i = _find(text, "'", i + 1) + 1
            continue
        if char == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def _ansi_c(raw: str) -> str:
    try:
        return raw.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return raw


def _merge(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if merged and part.kind == "lit" and merged[-1].kind == "lit" and (
                merged[-1].quoted == part.quoted):
            merged[-1] = Part("lit", merged[-1].text + part.text, part.quoted)
        else:
            merged.append(part)
    return merged
