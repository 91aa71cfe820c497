"""plain.record makes what dataclasses.dataclass(frozen=True) makes, without its import."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys

import pytest

from scratchenv import plain


@plain.record
class Point:
    x: int
    y: int = 0
    label: str = plain.field(default="", compare=False)


@dataclasses.dataclass(frozen=True)
class PointDC:
    x: int
    y: int = 0
    label: str = dataclasses.field(default="", compare=False)


@plain.record(kw_only=True)
class Named:
    name: str
    tags: tuple[str, ...] = ()
    point: Point | None = None


@plain.record
class Checked:
    value: int
    seen: list[int] = plain.field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", [self.value])


def test_construction_equality_hash_and_repr_are_those_of_a_frozen_dataclass():
    pairs = [(Point(1), PointDC(1)), (Point(1, 2), PointDC(1, 2)),
             (Point(x=3, label="a"), PointDC(x=3, label="a"))]
    for mine, theirs in pairs:
        assert repr(mine).removeprefix("Point") == repr(theirs).removeprefix("PointDC")
        assert hash(mine) == hash(theirs)  # both hash the tuple of compared fields
    assert Point(1, 2, "a") == Point(1, 2, "b")  # label is not compared
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != PointDC(1)  # another class is never equal
    assert len({Point(1, 2, "a"), Point(1, 2, "b")}) == 1


def test_a_record_refuses_assignment_and_deletion():
    point = Point(1)
    with pytest.raises(AttributeError, match="frozen"):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del point.x  # type: ignore[misc]
    assert point.x == 1


def test_keyword_only_records_take_no_positional_values():
    with pytest.raises(TypeError):
        Named("a")  # type: ignore[misc]
    assert Named(name="a").tags == ()


def test_wrong_definitions_are_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match="mutable default"):
        @plain.record
        class Shared:
            items: list[int] = []  # noqa: RUF012
    with pytest.raises(TypeError, match="without a default follows"):
        @plain.record
        class Ordered:
            a: int = 0
            b: int


def test_post_init_runs_after_the_fields_are_set():
    assert Checked(5).seen == [5]
    assert Checked(5) == Checked(5)


def test_fields_replace_and_asdict():
    named = Named(name="a", tags=("x",), point=Point(1, 2, "p"))
    assert [f.name for f in plain.fields(Named)] == ["name", "tags", "point"]
    assert [f.compare for f in plain.fields(Point)] == [True, True, False]
    assert plain.fields(Named)[0].default is plain.MISSING
    assert plain.replace(named, name="b") == Named(name="b", tags=("x",), point=Point(1, 2))
    assert plain.asdict(named) == {"name": "a", "tags": ("x",),
                                   "point": {"x": 1, "y": 2, "label": "p"}}
    assert plain.asdict(Point(1, 2, "p")) == dataclasses.asdict(PointDC(1, 2, "p"))

    @dataclasses.dataclass
    class Holder:  # a mutable accumulator holding records
        points: list[Point]

    assert plain.asdict(Holder([Point(1)])) == {"points": [{"x": 1, "y": 0, "label": ""}]}
    with pytest.raises(TypeError, match="no field 'nope'"):
        plain.replace(named, nope=1)
    with pytest.raises(TypeError, match="not a record"):
        plain.fields(PointDC)
    assert plain.is_record(named) and not plain.is_record(Named)


def test_match_copy_and_pickle():
    match Point(1, 2):
        case Point(x, y):
            assert (x, y) == (1, 2)
        case _:
            pytest.fail("no match")
    named = Named(name="a", point=Point(1))
    assert copy.deepcopy(named) == named
    assert pickle.loads(pickle.dumps(named)) == named


def test_importing_plain_imports_no_dataclasses():
    code = "import sys, scratchenv.plain; print('dataclasses' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Point(), "missing a value for 'x'"),
    (lambda: Point(1, 2, "a", 4), "takes 3 positional values but 4 were given"),
    (lambda: Point(1, z=2), "unexpected keyword argument 'z'"),
    (lambda: Point(1, x=2), "multiple values for 'x'"),
    (lambda: Named(name="a", tags=()).__class__(tags=()), "missing a value for 'name'"),
])
def test_wrong_values_are_a_type_error_as_a_dataclass_makes_it(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_match_args_and_named_tuples_as_dataclasses_have_them():
    import collections

    assert Named.__match_args__ == ()  # keyword-only fields match by name only
    pair = collections.namedtuple("pair", "a b")
    assert plain.asdict((pair(Point(1), 2),)) == ((pair({"x": 1, "y": 0, "label": ""}, 2)),)


def test_a_subclass_keeps_its_bases_fields_first():
    @plain.record
    class Point3(Point):
        z: int = 0

    assert [f.name for f in plain.fields(Point3)] == ["x", "y", "label", "z"]
    assert Point3(1, 2, "a", 3) == Point3(1, 2, "b", 3) != Point3(1, 2, "a", 4)
