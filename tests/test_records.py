"""records.NamedTuple builds the classes typing.NamedTuple builds (only the annotations stay unchecked)."""

from __future__ import annotations

import pickle
import typing

import pytest

from shapecli.errors import Loc
from shapecli.records import NamedTuple


def _declare(base):
    class Span(base):
        """A stretch of a line."""

        line: int
        start: int = 0
        end: int = 0

        @property
        def width(self) -> int:
            return self.end - self.start

        def moved(self, by: int) -> Span:
            """The span `by` columns further."""
            return self._replace(start=self.start + by, end=self.end + by)

    return Span


OURS, TYPINGS = _declare(NamedTuple), _declare(typing.NamedTuple)


@pytest.mark.parametrize(
    "attribute",
    ["__name__", "__qualname__", "__module__", "__doc__", "_fields", "_field_defaults", "__slots__", "__bases__"],
)
def test_the_class_has_typings_attributes(attribute):
    assert getattr(OURS, attribute) == getattr(TYPINGS, attribute)


def test_the_annotations_stay_as_written():
    assert OURS.__annotations__ == {"line": "int", "start": "int", "end": "int"}
    assert list(OURS.__annotations__) == list(TYPINGS.__annotations__)


@pytest.mark.parametrize(
    "use",
    [
        lambda cls: cls(3, 1, 4),
        lambda cls: cls(3),
        lambda cls: cls(line=2, end=5),
        lambda cls: repr(cls(3, 1, 4)),
        lambda cls: cls(3, 1, 4).width,
        lambda cls: cls(3, 1, 4).moved(2),
        lambda cls: cls(3, 1, 4)._asdict(),
        lambda cls: cls._make([1, 2, 3]),
        lambda cls: cls(3, 1, 4) == (3, 1, 4) and hash(cls(3, 1, 4)) == hash((3, 1, 4)),
        lambda cls: cls.moved.__doc__,
    ],
)
def test_instances_behave_alike(use):
    assert use(OURS) == use(TYPINGS)


def test_a_record_of_a_module_pickles():
    loc = Loc(3, 7)
    assert pickle.loads(pickle.dumps(loc)) == loc


@pytest.mark.parametrize("base", [NamedTuple, typing.NamedTuple], ids=["records", "typing"])
def test_a_field_without_default_after_defaults_is_refused_as_typing_refuses_it(base):
    with pytest.raises(TypeError) as error:

        class Bad(base):
            a: int = 0
            b: int = 1
            c: int

    assert str(error.value) == "Non-default namedtuple field c cannot follow default fields a, b"


@pytest.mark.parametrize("base", [NamedTuple, typing.NamedTuple], ids=["records", "typing"])
def test_namedtuples_own_names_cannot_be_redefined(base):
    with pytest.raises(AttributeError) as error:

        class Bad(base):
            a: int

            def _replace(self):
                return self

    assert str(error.value) == "Cannot overwrite NamedTuple attribute _replace"
