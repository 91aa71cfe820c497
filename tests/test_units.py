"""One parser of numbers with units: settings and every quota tool's output agree on what a
number is, and a number beyond 64 bits is refused the same way everywhere (never a crash)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scratchenv.disk import quota, quota_sources
from scratchenv.errors import ConfigError
from scratchenv.units import TooLarge, parse_amount, parse_size

HUGE = "9" * 400
QUOTA_HEADER = ("Disk quotas for user jyao (uid 1000):\n"
                "     Filesystem   space   quota   limit   grace   files   quota   limit   grace\n")

# Each tool's output with the 400-digit number where its size column is.
OUTPUTS: dict[str, tuple[Callable[[str], object], str]] = {
    "quota": (quota.parse_quota, f"{QUOTA_HEADER}/dev/sda1  {HUGE}  6144M  10240M  88307  0  0\n"),
    "showquota": (quota_sources.parse_showquota,
                  f'[{{"fs": "home", "space_used": "{HUGE}", "space_quota": "40GiB"}}]'),
    "showquota-number": (quota_sources.parse_showquota,
                         f'[{{"fs": "home", "space_used": {HUGE}, "space_quota": 1}}]'),
    "diskusage_report": (quota_sources.parse_diskusage_report,
                         f"/home (user alice)  {HUGE}/ 500GiB  418K/ 500K\n"),
}


@pytest.mark.parametrize("tool", sorted(OUTPUTS))
def test_a_400_digit_number_is_refused_by_every_quota_parser(tool: str) -> None:
    parse, text = OUTPUTS[tool]
    with pytest.raises(ValueError, match="too large"):
        parse(text)


def test_a_400_digit_size_setting_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="size too large"):
        parse_size(HUGE + "G")


@pytest.mark.parametrize(("text", "base", "expected"), [
    ("12", 1024, 12), ("12k", 1024, 12 * 1024), ("1.5 GiB", 1024, int(1.5 * 1024**3)),
    ("0  B", 1024, 0), ("208K", 1000, 208_000), ("1E", 1024, 1024**6),
])
def test_amounts_as_the_tools_print_them(text: str, base: int, expected: int) -> None:
    assert parse_amount(text, base=base) == expected


def test_the_largest_count_is_the_last_64_bit_one() -> None:
    assert parse_amount(str(2**63 - 1)) == 2**63 - 1
    with pytest.raises(TooLarge):
        parse_amount("8E")  # 2**63


@pytest.mark.parametrize("text", ["", "G", "-5", "1.2.3", "12 parsecs", "inf", "nan"])
def test_what_is_not_a_number_is_said(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_amount(text)
