"""An invalid setting in one line: the field, what is wrong, and the source that set it
(found in the one source order, layers.py)."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from scratchenv.config import layers


def _where_set(settings_cls: type[BaseSettings], loc: tuple[int | str, ...]) -> str | None:
    """The highest source that sets the value at `loc`, as an error names it; None for a
    flag, a profile or a default."""
    return next(filter(None, (layer.where(settings_cls, loc) for layer in layers.layers())), None)


def one_line(error: ValidationError, settings_cls: type[BaseSettings]) -> str:
    """`invalid setting <field>: <what is wrong> (in <source>)`."""
    first = min(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    where = ".".join(str(part) for part in first["loc"]) or "settings"
    message = first["msg"].removeprefix("Value error, ")
    if message.startswith("Input should be "):  # pydantic's wording, e.g. for a Literal
        message = f"must be {message.removeprefix('Input should be ')}, not {first['input']!r}"
    if first["type"] == "extra_forbidden":
        where_set = _where_set(settings_cls, first["loc"]) or f"config: {layers.config_path()}"
        message = f"unknown setting (check the spelling in {where_set})"
    else:
        source = _where_set(settings_cls, first["loc"])
        message += f" (in {source})" if source else ""
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"invalid setting {where}: {message}{more}"

