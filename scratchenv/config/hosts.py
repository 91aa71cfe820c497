"""This machine's names, and whether one matches a centre's documented host pattern.

The names come from cheap local sources only: the kernel's node name (`uname -n`) and, when
that has no domain, the dotted names /etc/hosts gives it. Never DNS: `socket.getfqdn()`
waits for a resolver, which on a compute node without one takes seconds at every login.

Patterns are shell-style with `*` only (`*.delta.ncsa.illinois.edu`, `puhti-login*`): one
with a dot is matched against full names, one without against the first label. Standard
library only, and not even `fnmatch` (it imports `re`): the login fast path uses this.
"""

from __future__ import annotations

import os

HOSTS_FILE = "/etc/hosts"


def node_name() -> str:
    """The kernel's name for this machine (tests replace this function)."""
    return os.uname().nodename


def names(hosts_file: str | None = None) -> tuple[str, ...]:
    """This machine's names, lower case: the node name, then its dotted aliases from
    /etc/hosts when the node name itself has no domain."""
    own = node_name().strip().lower().rstrip(".")
    if not own:
        return ()
    found = [own]
    if "." not in own:
        try:
            with open(hosts_file or HOSTS_FILE, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    fields = line.split("#", 1)[0].lower().split()[1:]
                    if own in fields or any(f.split(".", 1)[0] == own for f in fields):
                        found += [f.rstrip(".") for f in fields if "." in f and f not in found]
        except OSError:
            pass
    return tuple(found)


def matches(pattern: str, name: str) -> bool:
    """`name` fits `pattern` (`*` is any run of characters, the rest literal, no case)."""
    pattern, name = pattern.lower(), name.lower()
    if "." not in pattern:
        name = name.split(".", 1)[0]
    parts = pattern.split("*")
    if len(parts) == 1:
        return name == pattern
    head, *middle, tail = parts
    if not name.startswith(head) or not name.endswith(tail) or len(name) < len(head) + len(tail):
        return False
    at, end = len(head), len(name) - len(tail)
    for part in middle:
        found = name.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


def matching(patterns: list[str] | tuple[str, ...], own: tuple[str, ...]) -> tuple[str, str] | None:
    """(name, pattern): the first of this machine's names that a pattern fits."""
    for name in own:
        for pattern in patterns:
            if matches(pattern, name):
                return name, pattern
    return None


def fitting_patterns(centres_toml: str) -> str:
    """The documented host patterns in centres.toml that this machine's names fit, as one
    string ("" for none). A centre recognised by host name changes the settings, so the
    login fast path keys its file on this; found by splitting (no tomllib on that path), and
    only the patterns, so every compute node of a cluster (none fits) shares one file."""
    try:
        with open(centres_toml, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return ""
    patterns = documented_patterns(text)
    if not patterns:
        return ""
    own = names()
    return " ".join(p for p in patterns if any(matches(p, name) for name in own))


def documented_patterns(centres_text: str) -> list[str]:
    """Every `hosts = [...]` pattern in centres.toml's text, read without tomllib (a test
    holds this to what the table's parser reads)."""
    lists = [part.split("]", 1)[0] for part in centres_text.split("hosts = [")[1:]]
    return [p for listed in lists for p in listed.split('"')[1::2]]
