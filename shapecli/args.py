"""Argument kinds: small validators that turn a YAML value into a layer argument.

Each kind is callable on a value and returns the converted value or raises a
SpecError without a position (the spec builder adds it). `str(kind)` describes
what the kind accepts, for messages and for `shapecli layers`.
"""

from __future__ import annotations

from .errors import SpecError


LARGEST = 2**63 - 1
"""Largest integer an argument may be (int64, as the frameworks count)."""


def show(value) -> str:
    """A value as a message quotes it (long texts and numbers shortened)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**24:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:6]}…({len(digits)} digits)"
    if isinstance(value, str) and len(value) > 60:
        return f"'{value[:57]}…'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        text = "[" + ", ".join(show(v) for v in value[:6]) + (", …]" if len(value) > 6 else "]")
        return text if len(text) <= 60 else "a list"
    return str(value)


def _bounds(low, high) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" ≥ {low}"
    if high is not None:
        return f" ≤ {high}"
    return ""


class Int:
    """An integer, optionally bounded."""

    __slots__ = ("min", "max")

    def __init__(self, min: int | None = None, max: int | None = None):
        self.min, self.max = min, max

    def __call__(self, value) -> int:
        if type(value) is not int:
            raise SpecError(f"expected an integer, received {show(value)}")
        if abs(value) > LARGEST:
            raise SpecError(f"expected an integer of at most 2^63 - 1, received {show(value)}")
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise SpecError(f"expected an integer{_bounds(self.min, self.max)}, received {value}")
        return value

    def __str__(self) -> str:
        return "int" + _bounds(self.min, self.max)


class Float:
    """A real number (an integer is accepted), optionally bounded."""

    __slots__ = ("min", "max")

    def __init__(self, min: float | None = None, max: float | None = None):
        self.min, self.max = min, max

    def __call__(self, value) -> float:
        if type(value) not in (int, float) or value != value:
            raise SpecError(f"expected a number, received {show(value)}")
        if type(value) is int and abs(value) > LARGEST:
            raise SpecError(f"expected a number of at most 2^63 - 1, received {show(value)}")
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise SpecError(f"expected a number{_bounds(self.min, self.max)}, received {value}")
        return float(value)

    def __str__(self) -> str:
        return "float" + _bounds(self.min, self.max)


class Bool:
    """true or false."""

    def __call__(self, value) -> bool:
        if type(value) is not bool:
            raise SpecError(f"expected true or false, received {show(value)}")
        return value

    def __str__(self) -> str:
        return "bool"


class Choice:
    """One of a fixed set of words (matched without regard to case)."""

    __slots__ = ("options",)

    def __init__(self, options: tuple[str, ...]):
        self.options = options

    def __call__(self, value) -> str:
        if isinstance(value, str):
            for option in self.options:
                if option.lower() == value.lower():
                    return option
        raise SpecError(
            f"expected one of {', '.join(self.options)}, received {show(value)}",
        )

    def __str__(self) -> str:
        if len(self.options) > 6:
            return "|".join(self.options[:4]) + f"|… ({len(self.options)} words)"
        return "|".join(self.options)


class Ints:
    """An integer or a list of `length` integers, returned as a tuple of `length`.

    `length` None accepts a list of any length (a single integer gives one item).
    """

    __slots__ = ("length", "min")

    def __init__(self, length: int | None = None, min: int | None = None):
        self.length, self.min = length, min

    def __call__(self, value) -> tuple[int, ...]:
        item = Int(self.min)
        if type(value) is int:
            return (item(value),) * (self.length or 1)
        if not isinstance(value, list) or (self.length is not None and len(value) != self.length):
            size = f"a list of {self.length} integers" if self.length else "a list of integers"
            raise SpecError(f"expected an integer or {size}, received {show(value)}")
        return tuple(item(v) for v in value)

    def __str__(self) -> str:
        return f"int or [{self.length or 'n'} ints]" + _bounds(self.min, None)


class Str:
    """Any text."""

    def __call__(self, value) -> str:
        if not isinstance(value, str):
            raise SpecError(f"expected text, received {show(value)}")
        return value

    def __str__(self) -> str:
        return "str"


class ListOf:
    """A list of anything."""

    def __call__(self, value) -> list:
        if not isinstance(value, list):
            raise SpecError(f"expected a list, received {show(value)}")
        return value

    def __str__(self) -> str:
        return "list"


class AnyValue:
    """Any value at all."""

    def __call__(self, value):
        return value

    def __str__(self) -> str:
        return "any"


class Padding:
    """Window padding: a word ('valid', 'same', …), an integer, one integer per
    axis, or one [before, after] pair per axis; returned as the word or a tuple
    of (before, after) pairs."""

    __slots__ = ("rank", "words")

    def __init__(self, rank: int, words: tuple[str, ...] = ("valid", "same")):
        self.rank, self.words = rank, words

    def __call__(self, value):
        if isinstance(value, str):
            return Choice(self.words)(value)
        if type(value) is int and value >= 0:
            return ((value, value),) * self.rank
        if isinstance(value, list) and len(value) == self.rank:
            pairs = []
            for item in value:
                if type(item) is int and item >= 0:
                    pairs.append((item, item))
                elif isinstance(item, list) and len(item) == 2 and all(type(i) is int and i >= 0 for i in item):
                    pairs.append((item[0], item[1]))
                else:
                    break
            else:
                return tuple(pairs)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return f"{'|'.join(self.words)}, an int ≥ 0, [{self.rank} ints] or [{self.rank} [before, after] pairs]"


class BeforeAfter:
    """Padding of one axis: an integer for both sides, or [before, after]; returned as ((before, after),)."""

    def __call__(self, value):
        if type(value) is int and value >= 0:
            return ((value, value),)
        if isinstance(value, list) and len(value) == 2 and all(type(v) is int and v >= 0 for v in value):
            return ((value[0], value[1]),)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "an int ≥ 0 or [before, after]"
