"""Human sizes: '30G' -> bytes and back."""

from __future__ import annotations

from scratchenv.errors import ConfigError

_POWERS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
LARGEST = 2**63 - 1
"""No file system or quota counts beyond a signed 64-bit number: larger is a typo."""
# A pattern, compiled by `re` on first use: compiling at import costs every command.
_AMOUNT = r"(?i)\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:I?B)?\s*"


class TooLarge(ValueError):
    """A number beyond any 64-bit count."""


def parse_amount(text: str, *, base: int = 1024, scale: int = 1) -> int:
    """'12', '12.5k', '1.5 GiB', '0 B' as an int: a unit multiplies by a power of `base`
    (1024 for sizes, 1000 for file counts), no unit by `scale`. The one parser of numbers
    with units: settings and every quota tool's output go through it. ValueError (TooLarge
    beyond 64 bits) when it is not such a number."""
    import re

    match = re.fullmatch(_AMOUNT, text)
    if not match:
        raise ValueError(f"not a number: {_short(repr(text))}")
    number, unit = match.groups()
    if len(number.partition(".")[0].lstrip("0")) > 19:  # float() would overflow first
        raise TooLarge(f"too large: {_short(text.strip())}")
    times = base ** _POWERS[unit.upper()] if unit else scale
    whole, _, fraction = number.partition(".")
    # Whole numbers in integers: a float would round the largest counts.
    value = int(whole) * times + int(float("0." + fraction) * times if fraction else 0)
    if value > LARGEST:
        raise TooLarge(f"too large: {_short(text.strip())}")
    return value


def parse_size(text: str | int) -> int:
    """Parse '30G', '1.5TiB', '512M', '100' (bytes) into bytes; binary units, like `du`."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ConfigError(f"size must not be negative: {text}")
        if text > LARGEST:
            raise ConfigError(f"size too large: {_short(str(text))}")
        return text
    try:
        if not isinstance(text, str):
            raise ValueError(text)
        return parse_amount(text)
    except TooLarge:
        raise ConfigError(f"size too large: {_short(str(text).strip())}") from None
    except ValueError:
        raise ConfigError(
            f"not a size: {_short(repr(text))} (use e.g. 30G, 512M, 1.5T)") from None


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
