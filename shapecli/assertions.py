"""A check variant's assertions, `check: {expect: …}`, against what inference found.

    expect:
      outputs: {logits: [8, 1000]}     each named output's shape (null: any size)
      params: "<= 30M"                 total parameters   (K, M, G, T: powers of 1000)
      trainable: "== 11.7M"            trainable parameters
      macs: "<= 5G"                    multiply-accumulates
      memory: "<= 16GiB"               training memory, Adam, float32 (KiB… powers of 1024, kB… of 1000)

A bound is `<=`, `<`, `>=`, `>`, `==` or `!=` and a number (a bare number means `==`).
A failed assertion is an error located at the value that states it, saying the actual
value; a value that depends on an input symbol cannot be checked and says so.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .dims import dim_to_json, format_dim, format_shape, is_known
from .errors import Diagnostic, SpecError
from .spec import CheckPlan, Model
from .spec.schema import declared_shape

KEYS = ("outputs", "params", "trainable", "macs", "memory")
_COUNT = re.compile(r"\s*(<=|>=|==|!=|<|>)?\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)\s*\Z")
_SCALE = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_TESTS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def check_assertions(model: Model, plan: CheckPlan, trace) -> list[Diagnostic]:
    """The failed assertions of `plan.expect` (errors), or problems with how they are written."""
    if not plan.expect:
        return []
    found = []
    for key, value in plan.expect.items():
        loc = plan.expect_locs.get(key) if plan.expect_locs else plan.loc
        try:
            if key not in KEYS:
                raise SpecError(f"unknown key of check expect '{key}' (expected one of: {', '.join(KEYS)})")
            if key == "outputs":
                found += _outputs(model, trace, value, loc)
            else:
                found += _bound(model, trace, key, value, loc)
        except SpecError as e:
            found.append(Diagnostic("spec_error", f"check expect {key}: {e.message}", model.file, e.loc or loc))
    return found


def _outputs(model: Model, trace, value, loc) -> list[Diagnostic]:
    if not isinstance(value, dict):
        raise SpecError("outputs expects a mapping of output names to shapes")
    found = []
    for name, shape in value.items():
        where = value.value_loc(name) if hasattr(value, "value_loc") else loc
        if name not in trace.outputs:
            raise SpecError(f"'{name}' is not an output (outputs: {', '.join(trace.outputs)})").at(where)
        expected = declared_shape(shape, where)
        actual = trace.outputs[name]
        if actual is None:
            continue  # an error upstream is reported already
        fits = len(expected) == len(actual) and all(
            not is_known(e) or (is_known(a) and _same(a, e)) for e, a in zip(expected, actual)
        )
        if not fits:
            message = f"output '{name}' is {format_shape(actual)}, but check expects {format_shape(expected)}"
            found.append(Diagnostic("assertion_failed", message, model.file, where, name, expected, tuple(actual)))
    return found


def _same(a, b) -> bool:
    return dim_to_json(a) == dim_to_json(b)


def _bound(model: Model, trace, key: str, value, loc) -> list[Diagnostic]:
    op, limit, text = _parse_bound(key, value)
    actual = _actual(model, trace, key)
    if actual is None:
        return []
    if not isinstance(actual, int):
        shown = format_dim(actual) if is_known(actual) else "unknown"
        message = f"{key} is {shown}, which depends on the input sizes: expect {text} cannot be checked"
        return [Diagnostic("assertion_failed", message, model.file, loc, hint="give the check: inputs numbers")]
    if _TESTS[op](Fraction(actual), limit):
        return []
    unit = " bytes" if key == "memory" else ""
    message = f"{key} is {actual:,}{unit}, but check expects {text} ({op} {_show(limit)}{unit})"
    return [Diagnostic("assertion_failed", message, model.file, loc)]


def _parse_bound(key: str, value) -> tuple[str, Fraction, str]:
    """(operator, limit, text) of `"<= 30M"`, `16GiB`, or a bare number."""
    text = str(value).strip()
    if key == "memory":
        from .errors import InputError
        from .memory.budget import parse_size

        match = re.match(r"\s*(<=|>=|==|!=|<|>)?\s*(.*)\Z", text)
        try:
            size = parse_size(match.group(2))
        except InputError as e:
            raise SpecError(e.message, hint=e.hint) from None
        return match.group(1) or "==", Fraction(size.bytes), text
    match = _COUNT.match(text)
    if not match or isinstance(value, bool):
        raise SpecError(f"expected a bound such as '<= 30M' or 11689512, received '{text}'")
    op, number, suffix = match.groups()
    return op or "==", Fraction(number) * _SCALE[suffix], text


def _actual(model: Model, trace, key: str):
    """The value an assertion is about (None when the shapes do not fit: reported already)."""
    if trace.errors:
        return None
    totals = trace.totals
    if key == "params":
        return totals.params
    if key == "trainable":
        return totals.trainable
    if key == "macs":
        return totals.macs
    from .memory.command import MemoryRequest

    report = MemoryRequest(totals.dtype).run(model, trace).report
    return None if report is None else report.training


def _show(value: Fraction) -> str:
    return f"{int(value):,}" if value.denominator == 1 else f"{float(value):,}"
