"""`NamedTuple`, as `typing.NamedTuple` declares it, cheaper to define.

    class Loc(NamedTuple):
        file: str
        line: int = 0

typing.NamedTuple checks every field's annotation when the class is defined: each annotation
(a string, since every module has `from __future__ import annotations`) becomes a ForwardRef
whose text is compiled. That is half the cost of defining a record type, and `shapecli inspect`
defines some forty of them before its first line of output (about 3 ms, 3 % of a start).
This base builds the same class — `collections.namedtuple` with the fields, their defaults and
the methods of the body — and keeps the annotations as written, unchecked.
"""

from __future__ import annotations

from collections import namedtuple

_RESERVED = frozenset(
    ("__new__", "__init__", "__slots__", "__getnewargs__", "_source")
    + ("_fields", "_field_defaults", "_make", "_replace", "_asdict")
)
"""Names a body may not define (as typing refuses them): namedtuple's own."""

_NOT_COPIED = frozenset(("__module__", "__name__", "__annotations__"))
"""Entries of a body that namedtuple sets itself."""


class _RecordType(type):
    """The metaclass of `NamedTuple`: a class statement deriving from it builds a namedtuple class."""

    def __new__(mcls, name: str, bases: tuple, body: dict):
        annotations = body.get("__annotations__", {})
        with_default = []
        for field in annotations:
            if field in body:
                with_default.append(field)
            elif with_default:
                raise TypeError(
                    f"Non-default namedtuple field {field} cannot follow default field"
                    f"{'s' if len(with_default) > 1 else ''} {', '.join(with_default)}"
                )
        defaults = [body[field] for field in with_default]
        cls = namedtuple(name, annotations, defaults=defaults, module=body["__module__"])
        cls.__annotations__ = cls.__new__.__annotations__ = dict(annotations)
        for key, value in body.items():
            if key in _RESERVED:
                raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
            if key not in _NOT_COPIED and key not in cls._fields:
                setattr(cls, key, value)
        return cls


NamedTuple = type.__new__(_RecordType, "NamedTuple", (), {})
"""Derive a record type from this, as from typing.NamedTuple."""
