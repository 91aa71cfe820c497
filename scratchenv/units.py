"""Human sizes: '30G' -> bytes and back."""

from __future__ import annotations

import re

from scratchenv.errors import ConfigError

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
LARGEST = 2**63 - 1
"""No file system or quota counts beyond a signed 64-bit number: larger is a typo."""
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:I?B)?\s*", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Parse '30G', '1.5TiB', '512M', '100' (bytes) into bytes; binary units, like `du`."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ConfigError(f"size must not be negative: {text}")
        if text > LARGEST:
            raise ConfigError(f"size too large: {_short(str(text))}")
        return text
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    if not match or not isinstance(text, str):
        raise ConfigError(f"not a size: {_short(repr(text))} (use e.g. 30G, 512M, 1.5T)")
    number, unit = match.groups()
    whole, _, fraction = number.partition(".")
    if len(whole.lstrip("0")) > 19:  # beyond any 64-bit count, before float() overflows
        raise ConfigError(f"size too large: {_short(text.strip())}")
    value = int(float(number) * _UNITS[unit.upper()])
    if value > LARGEST:
        raise ConfigError(f"size too large: {_short(text.strip())}")
    return value


def _short(text: str) -> str:
    """`text`, cut to a readable length for a one-line message."""
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def format_size(n: int) -> str:
    """Format bytes the way `du -h` does: 1 decimal below 10, none above."""
    value = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            break
        value /= 1024
    if unit == "B":
        return f"{int(value)}B"
    return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 file`, `2 files`, `1,024 files`; `plural` where adding an s is wrong."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
