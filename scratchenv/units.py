"""Human sizes: '30G' -> bytes and back."""

from __future__ import annotations

import re

from scratchenv.errors import ConfigError

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:I?B)?\s*", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Parse '30G', '1.5TiB', '512M', '100' (bytes) into bytes; binary units, like `du`."""
    if isinstance(text, int):
        if text < 0:
            raise ConfigError(f"size must not be negative: {text}")
        return text
    match = _SIZE.fullmatch(text)
    if not match:
        raise ConfigError(f"not a size: {text!r} (use e.g. 30G, 512M, 1.5T)")
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit.upper()])


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
