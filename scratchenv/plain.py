"""Frozen records, as `dataclasses.dataclass(frozen=True)` makes them, without importing
`dataclasses`.

Every command's start-up builds the Plan, its records and the findings; importing
`dataclasses` (it imports inspect, ast, dis and tokenize) and letting it compile six
generated functions per class cost `scratchenv verify` ~45 ms, three times the interpreter's
own start-up (issue 27). Every record class shares one `__init__`, `__repr__`, `__eq__` and
`__hash__`, which read the class's fields from its _Shape: nothing is compiled per class,
and an instance costs about as much to make. Instances refuse assignment; mypy checks
records as it checks dataclasses (dataclass_transform). Every frozen record is one of these;
mutable accumulators (a survey, a transfer's outcome) stay dataclasses, off the start-up
path.

Supported: fields with or without defaults (immutable values only), `kw_only`,
`field(compare=False)`, `__post_init__`, `fields()`, `replace()`. Standard library only;
tests/test_plain.py holds each to what dataclasses does.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False  # not `typing`: verify's fast path does without it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, overload

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:
    def dataclass_transform(**_options: object) -> Callable[[T], T]:
        return lambda decorated: decorated


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The default of a field that has none."""


class FrozenRecordError(AttributeError):
    """An assignment to a record's field (records are frozen)."""


class Field:
    """One field of a record: its name, its default (MISSING when none), and whether `==`
    and `hash` look at it."""

    __slots__ = ("name", "default", "compare")

    def __init__(self, name: str, default: object, compare: bool) -> None:
        self.name = name
        self.default = default
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field({self.name!r}, default={self.default!r}, compare={self.compare})"


class _Options:
    __slots__ = ("default", "compare")

    def __init__(self, default: object, compare: bool) -> None:
        self.default = default
        self.compare = compare


def field(*, default: Any = MISSING, compare: bool = True) -> Any:
    """A field's options in a record's body: `x: str = field(default="", compare=False)`."""
    return _Options(default, compare)


_FIELDS = "__record_fields__"
_SHAPE = "__record_shape__"  # read as self.__record_shape__ by the shared methods
_MUTABLE = (list, dict, set, bytearray)


class _Shape:
    """What a record class's shared methods read: its fields' names, how many may be given
    by position, the defaults, and the compared values as one tuple."""

    __slots__ = ("names", "known", "positional", "defaults", "compared", "post_init")

    def __init__(self, found: list[Field], kw_only: bool, post_init: bool) -> None:
        self.names = tuple(f.name for f in found)
        self.known = frozenset(self.names)
        self.positional = 0 if kw_only else len(found)
        self.defaults = {f.name: f.default for f in found if f.default is not MISSING}
        compared = [f.name for f in found if f.compare]
        if len(compared) == 1:
            one = attrgetter(compared[0])
            self.compared: Callable[[object], object] = lambda value: (one(value),)
        else:
            self.compared = attrgetter(*compared) if compared else lambda value: ()
        self.post_init = post_init


# The methods every record shares, reading its _Shape: no code is generated per class.


def _init(self: Any, *args: object, **kwargs: object) -> None:
    shape: _Shape = self.__record_shape__
    if args:
        if len(args) > shape.positional:
            raise TypeError(f"{type(self).__name__}() takes {shape.positional} positional "
                            f"values but {len(args)} were given")
        for name, value in zip(shape.names, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for {name!r}")
            kwargs[name] = value
    values = shape.defaults | kwargs
    if len(values) != len(shape.names) or not kwargs.keys() <= shape.known:
        _refuse(type(self).__name__, shape, values)
    self.__dict__.update(values)
    if shape.post_init:
        self.__post_init__()


def _refuse(kind: str, shape: _Shape, values: dict[str, object]) -> None:
    unknown = sorted(values.keys() - shape.known)
    if unknown:
        raise TypeError(f"{kind}() got an unexpected keyword argument {unknown[0]!r}")
    missing = next(name for name in shape.names if name not in values)
    raise TypeError(f"{kind}() missing a value for {missing!r}")


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shape__.names)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    shape: _Shape = getattr(self, _SHAPE)
    return shape.compared(self) == shape.compared(other)


def _hash(self: Any) -> int:
    return hash(self.__record_shape__.compared(self))


def _frozen(self: object, name: str, value: object = None) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")


if TYPE_CHECKING:
    @overload
    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(cls: type[T], /) -> type[T]: ...

    @overload
    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(*, kw_only: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: Any = None, /, *, kw_only: bool = False) -> Any:
    """Make `cls`, whose body annotates its fields, a frozen record: `@record` or
    `@record(kw_only=True)`."""
    if cls is None:
        return lambda later: _made(later, kw_only)
    return _made(cls, kw_only)


def _made(cls: Any, kw_only: bool) -> Any:
    found: list[Field] = []
    for base in reversed(cls.__mro__[1:]):
        found += [f for f in getattr(base, _FIELDS, ()) if f.name not in {g.name for g in found}]
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, MISSING)
        options = value if isinstance(value, _Options) else _Options(value, True)
        if isinstance(options.default, _MUTABLE):
            raise TypeError(f"{cls.__name__}.{name}: a mutable default is shared by every record")
        found = [f for f in found if f.name != name]
        found.append(Field(name, options.default, options.compare))
    if not kw_only:
        defaulted = [f.name for f in found if f.default is not MISSING]
        late = [f.name for f in found[len(found) - len(defaulted):] if f.default is MISSING]
        if defaulted and late:
            raise TypeError(f"{cls.__name__}: field {late[0]!r} without a default follows one "
                            "with a default")
    for name in (f.name for f in found):  # each default lives in the _Shape
        if isinstance(cls.__dict__.get(name), _Options):
            delattr(cls, name)
    setattr(cls, _SHAPE, _Shape(found, kw_only, hasattr(cls, "__post_init__")))
    setattr(cls, _FIELDS, tuple(found))
    cls.__match_args__ = () if kw_only else tuple(f.name for f in found)  # type: ignore[misc]
    cls.__init__, cls.__repr__, cls.__eq__, cls.__hash__ = _init, _repr, _eq, _hash
    cls.__setattr__ = cls.__delattr__ = _frozen
    return cls


def fields(kind: type | object) -> tuple[Field, ...]:
    """The fields of a record class or record, in order; TypeError for anything else."""
    found = getattr(kind, _FIELDS, None)
    if found is None:
        raise TypeError(f"{kind!r} is not a record")
    return found


def is_record(value: object) -> bool:
    """True for a record (an instance, not its class)."""
    return not isinstance(value, type) and hasattr(type(value), _FIELDS)


def replace(value: T, /, **changes: Any) -> T:
    """A copy of the record `value` with `changes`; TypeError for a name it has no field of."""
    current = {f.name: getattr(value, f.name) for f in fields(value)}
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError(f"{type(value).__name__} has no field {sorted(unknown)[0]!r}")
    return type(value)(**{**current, **changes})


def asdict(value: object) -> Any:
    """`value` with each record (or dataclass) in it a dict of its fields, recursively
    through lists, tuples and dicts, as `dataclasses.asdict` makes it."""
    if is_record(value):
        return {f.name: asdict(getattr(value, f.name)) for f in fields(value)}
    if hasattr(type(value), "__dataclass_fields__"):  # a mutable accumulator
        import dataclasses  # imported already: it made the class

        names = [f.name for f in dataclasses.fields(value)]  # type: ignore[arg-type]
        return {name: asdict(getattr(value, name)) for name in names}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(asdict(item) for item in value))
    if isinstance(value, (list, tuple)):
        return type(value)(asdict(item) for item in value)
    if isinstance(value, dict):
        return {asdict(key): asdict(item) for key, item in value.items()}
    return value
