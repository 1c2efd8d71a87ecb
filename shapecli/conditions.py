"""Conditions on the input symbols under which a model's shapes fit.

When a check cannot be decided for symbolic sizes (two dims must be equal, a
size must divide, a window must fit), the shared checks in shape_math record a
`Condition` instead of failing; one that can never hold raises ShapeError at
once. The propagation opens a collector around each layer (`collecting`), so
every condition knows the layer that needs it.

`simplify` turns the collected conditions into the few statements a person
reads: conditions on one symbol are solved exactly — a periodic one (built from
floors and mods) becomes a set of residues (`H % 16 == 0`), a monotone one a
bound (`H >= 32`, `T <= 512`) or a value (`C == 64`) — and conditions on the
same symbol are combined. Anything else is kept as written (`H == W`).
"""

from __future__ import annotations

import math
from contextvars import ContextVar

from .records import NamedTuple
from .dims import Dim, Expr, bounds, format_dim
from .errors import ShapeError

MAX_PERIOD = 1 << 12
"""Largest residue period solved exactly; longer ones are kept as written."""


class Contradiction(ShapeError):
    """Conditions that no size satisfies together; `origin` is the layer that added the last one."""

    def __init__(self, message: str, origin: str):
        super().__init__(message)
        self.origin = origin


class Condition(NamedTuple):
    """`expr == 0` (kind 'eq') or `expr >= 0` (kind 'ge'), needed by the layer at `origin`."""

    kind: str
    expr: Dim
    origin: str = ""

    def holds(self, bindings: dict[str, int]) -> bool | None:
        """True or False at these symbol values; None if some symbol stays unbound."""
        value = self.expr.evaluate(bindings) if isinstance(self.expr, Expr) else self.expr
        if not isinstance(value, int):
            return None
        return value == 0 if self.kind == "eq" else value >= 0

    def __str__(self) -> str:
        return _written(self.kind, self.expr)


_collector: ContextVar[list | None] = ContextVar("shapecli_conditions", default=None)


class collecting:  # noqa: N801 - used as a function: `with collecting(origin) as found:`
    """Collect the conditions recorded inside the block, attributed to `origin`."""

    __slots__ = ("origin", "found", "token")

    def __init__(self, origin: str):
        self.origin, self.found = origin, []

    def __enter__(self) -> list[Condition]:
        self.token = _collector.set((self.origin, self.found))
        return self.found

    def __exit__(self, *_) -> None:
        _collector.reset(self.token)


def said(why) -> str:
    """The text of an error's wording: `why` itself, or what `why()` writes. Rules pass a function
    when the text formats shapes, so that it is written only when an error is reported."""
    return why() if callable(why) else why


def collected() -> list[Condition] | None:
    """The conditions recorded so far inside the innermost `collecting` block (None outside one)."""
    active = _collector.get()
    return None if active is None else active[1]


def require(kind: str, expr: Dim, why) -> None:
    """Record that `expr == 0` ('eq') or `expr >= 0` ('ge') must hold.

    Raises ShapeError (with `why`, a text or a function that writes it: see `said`) when it
    certainly fails; records nothing when it certainly holds.
    """
    low, high = bounds(expr)
    if kind == "eq":
        if low == high == 0:
            return
        if low > 0 or high < 0:
            raise ShapeError(f"{said(why)}, which never holds")
    else:
        if low >= 0:
            return
        if high < 0:
            raise ShapeError(f"{said(why)}, which never holds")
    active = _collector.get()
    if active is not None:
        origin, found = active
        found.append(Condition(kind, expr, origin))


def _written(kind: str, expr: Dim) -> str:
    """`expr == 0` or `expr >= 0` written with positive terms on each side: `H == W`, `T <= 512`."""
    if isinstance(expr, int):
        return f"{expr} {'==' if kind == 'eq' else '>='} 0"
    constant = expr.constant
    positive = Expr.from_coefficients({m: c for m, c in expr.terms if m and c > 0})
    negative = Expr.from_coefficients({m: -c for m, c in expr.terms if m and c < 0})
    if kind == "eq" and isinstance(positive, int):
        positive, negative, constant = negative, positive, -constant
    if isinstance(positive, int):  # 0 >= negative - constant
        return f"{format_dim(negative)} <= {format_dim(constant)}"
    sign = "==" if kind == "eq" else ">="
    if constant > 0 and kind == "eq":
        return f"{format_dim(positive + constant)} {sign} {format_dim(negative)}"
    return f"{format_dim(positive)} {sign} {format_dim(negative - constant)}"


class Requirement(NamedTuple):
    """One simplified statement about the inputs, with the layers that need it.

    `fixes` is (symbol, value) when the statement fixes a symbol to one value (`C == 3`).
    """

    text: str
    test: object
    """bindings -> bool | None"""
    origins: tuple[str, ...]
    fixes: tuple[str, int] | None = None


def simplify(conditions: list[Condition]) -> list[Requirement]:
    """The conditions as few readable statements; ShapeError if they contradict each other."""
    by_symbol: dict[str, list[Condition]] = {}
    others: dict[str, list[Condition]] = {}
    for condition in conditions:
        symbols = condition.expr.symbols if isinstance(condition.expr, Expr) else set()
        if len(symbols) == 1:
            by_symbol.setdefault(next(iter(symbols)), []).append(condition)
        else:
            others.setdefault(str(condition), []).append(condition)
    result = []
    for symbol, group in by_symbol.items():
        result += _solve_symbol(symbol, group)
    for text, group in others.items():
        result.append(Requirement(text, group[0].holds, _origins(group)))
    return result


def _origins(group) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.origin for c in group))


class _Values(NamedTuple):
    """The sizes h ≥ 1 with low <= h <= high and h % period in residues, and, when
    `finite` is not None, in that set."""

    low: float = 1
    high: float = math.inf
    period: int = 1
    residues: frozenset = frozenset({0})
    finite: frozenset | None = None

    def meet(self, other: _Values) -> _Values | None:
        """The sizes in both; None when the joint period would be too long."""
        period = math.lcm(self.period, other.period)
        if period > MAX_PERIOD:
            return None
        residues = frozenset(
            r for r in range(period) if r % self.period in self.residues and r % other.period in other.residues
        )
        finite = (
            self.finite
            if other.finite is None
            else (other.finite if self.finite is None else self.finite & other.finite)
        )
        return _Values(max(self.low, other.low), min(self.high, other.high), period, residues, finite)

    def __contains__(self, h: int) -> bool:
        return (
            self.low <= h <= self.high
            and h % self.period in self.residues
            and (self.finite is None or h in self.finite)
        )


def _solve_symbol(symbol: str, group: list[Condition]) -> list[Requirement]:
    """Solve the conditions on one symbol and state the sizes that satisfy them all."""
    values = _Values()
    kept: dict[str, list[Condition]] = {}
    met: dict[tuple, bool] = {}
    """Whether each (kind, expr) seen was met into `values` (else kept as written): a condition
    recorded again by another layer changes nothing met, and is kept again when it was kept."""
    for condition in group:
        key = (condition.kind, condition.expr)
        if met.get(key) is True:
            continue
        joint = None
        if key not in met:
            solved = _solve(condition, symbol)
            joint = values.meet(solved) if solved is not None else None
        met[key] = joint is not None
        if joint is None:
            kept.setdefault(str(condition), []).append(condition)
        else:
            values = joint
    origins = _origins(group)
    if values.finite is not None:
        values = values._replace(finite=frozenset(h for h in values.finite if h in values._replace(finite=None)))
    if not _any_value(values):
        last = group[-1]
        alone = _solve(last, symbol)
        if alone is not None and not _any_value(alone):
            raise Contradiction(f"needs {last}, which no size {symbol} satisfies", last.origin)
        listed = "; ".join(str(c) for c in group)
        raise Contradiction(f"needs {listed}, and no size {symbol} satisfies all of these", last.origin)
    values = _tightened(values)
    requirements = [Requirement(text, test, origins) for text, test in _statements(symbol, values)]
    only = _only_value(values)
    if only is not None and len(requirements) == 1:
        requirements[0] = requirements[0]._replace(fixes=(symbol, only))
    for text, conditions in kept.items():
        requirements.append(Requirement(text, conditions[0].holds, _origins(conditions)))
    return requirements


def _tightened(values: _Values) -> _Values:
    """Bounds moved to the nearest sizes that meet the residues (H >= 20 and H % 16 == 0: H >= 32)."""
    if values.finite is not None or values.period == 1:
        return values
    low = next(
        h for h in range(int(values.low), int(values.low) + values.period) if h % values.period in values.residues
    )
    high = values.high
    if high != math.inf:
        high = next(h for h in range(int(high), int(high) - values.period, -1) if h % values.period in values.residues)
    return values._replace(low=low, high=high)


def _statements(symbol: str, values: _Values) -> list[tuple[str, object]]:
    """What people read for a set of sizes: `H == 7`, `H in {…}`, `H >= 32`, `H % 16 == 0`."""

    def test(h_range=None):
        def check(bindings):
            h = bindings.get(symbol)
            return None if h is None else h in (h_range or values)

        return check

    if values.finite is not None:
        ordered = sorted(values.finite)
        if len(ordered) == 1:
            return [(f"{symbol} == {ordered[0]}", test())]
        if ordered == list(range(ordered[0], ordered[-1] + 1)):
            above = [(f"{symbol} >= {ordered[0]}", test(_Values(low=ordered[0])))] if ordered[0] > 1 else []
            return above + [(f"{symbol} <= {ordered[-1]}", test(_Values(high=ordered[-1])))]
        shown = ", ".join(map(str, ordered[:10])) + (", …" if len(ordered) > 10 else "")
        return [(f"{symbol} in {{{shown}}}", test())]
    if values.low == values.high:
        return [(f"{symbol} == {values.low}", test())]
    statements = []
    smallest = next(h for h in range(1, values.period + 1) if h % values.period in values.residues)
    if values.low > smallest:
        statements.append((f"{symbol} >= {values.low}", test(_Values(low=values.low))))
    if values.high != math.inf:
        statements.append((f"{symbol} <= {values.high}", test(_Values(high=values.high))))
    if values.period > 1:
        residues = _Values(period=values.period, residues=values.residues)
        statements.append((_residue_text(symbol, values.period, set(values.residues)), test(residues)))
    return statements


def _only_value(values: _Values) -> int | None:
    """The one size in `values`, if there is exactly one."""
    if values.finite is not None:
        return next(iter(values.finite)) if len(values.finite) == 1 else None
    return int(values.low) if values.low == values.high else None


def _any_value(values: _Values) -> bool:
    if values.finite is not None:
        return bool(values.finite)
    start = values.low
    stop = start + values.period if values.high == math.inf else min(values.high, start + values.period - 1)
    return any(h in values for h in range(int(start), int(stop) + 1))


def _residue_text(symbol: str, period: int, residues: set[int]) -> str:
    ordered = sorted(residues)
    if len(ordered) == 1:
        return f"{symbol} % {period} == {ordered[0]}"
    if len(ordered) == period - 1:
        (missing,) = set(range(period)) - residues
        return f"{symbol} % {period} != {missing}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and ordered[0] == 0:
        return f"{symbol} % {period} < {ordered[-1] + 1}"
    return f"{symbol} % {period} in {{{', '.join(map(str, ordered))}}}"


def _solve(condition: Condition, symbol: str) -> _Values | None:
    """The sizes ≥ 1 of `symbol` that satisfy `condition`, or None when its form is not solved here.

    Monotone expressions give bounds (binary search). Other expressions built
    from floors and mods are quasi-linear: with L the lcm of their divisors,
    f(h + L) = f(h) + delta. delta = 0 gives residues mod L; otherwise each
    residue class meets the condition on a ray or at one point, so the sizes are
    a bound or a finite set, found exactly per class.
    """
    expr = condition.expr
    direction = _direction(expr, symbol)
    if direction:
        return _solve_monotone(condition, symbol, direction)
    quasi = _quasi_linear(expr, symbol)
    if quasi is None or quasi[0] > MAX_PERIOD:
        return None
    period, delta = quasi
    holds = lambda h: condition.holds({symbol: h})  # noqa: E731
    if delta == 0:
        return _Values(period=period, residues=frozenset(r % period for r in range(period, 2 * period) if holds(r)))
    value = lambda h: expr.evaluate({symbol: h})  # noqa: E731
    if condition.kind == "eq":
        points = set()
        for r in range(1, period + 1):
            steps, rest = divmod(-value(r), delta)
            if rest == 0 and steps >= 0:
                points.add(r + period * steps)
        return _Values(finite=frozenset(points))
    if delta < 0:  # true up to a point in each class: a finite set
        tops = {r: r + period * (value(r) // -delta) for r in range(1, period + 1) if value(r) >= 0}
        if not tops:
            return _Values(finite=frozenset())
        last = max(tops.values())
        if len(tops) == period and all(top >= last - (last - r) % period for r, top in tops.items()):
            return _Values(high=last)
        if sum((top - r) // period + 1 for r, top in tops.items()) > MAX_PERIOD:
            return None
        return _Values(finite=frozenset(h for r, top in tops.items() for h in range(r, top + 1, period)))
    starts = {r: r + period * max(0, -(value(r) // delta)) for r in range(1, period + 1)}
    first = min(starts.values())
    if all(start <= first + (r - first) % period for r, start in starts.items()):
        return _Values(low=first)
    return None


def _solve_monotone(condition: Condition, symbol: str, direction: int) -> _Values:
    """Bounds for a condition on a non-decreasing (+1) or non-increasing (-1) expression."""

    def value(h: int) -> int:
        return condition.expr.evaluate({symbol: h})

    def first(predicate) -> float:
        """The smallest h ≥ 1 with predicate(h), for a predicate false then true."""
        if predicate(1):
            return 1
        high = 2
        while not predicate(high):
            high *= 2
            if high > 1 << 62:
                return math.inf
        low = high // 2
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if predicate(middle) else (middle, high)
        return high

    if direction > 0:
        low = first(lambda h: value(h) >= 0)
        high = math.inf if condition.kind == "ge" else first(lambda h: value(h) > 0) - 1
    else:
        low = first(lambda h: value(h) <= 0) if condition.kind == "eq" else 1
        high = first(lambda h: value(h) < 0) - 1
    if low > high or low == math.inf:
        return _Values(finite=frozenset())
    return _Values(low=low, high=high)


def _direction(expr: Dim, symbol: str) -> int:
    """+1 if expr never decreases as `symbol` grows, -1 if it never increases, else 0."""
    if isinstance(expr, int):
        return 0
    directions = set()
    for monomial, c in expr.terms:
        if not monomial:
            continue
        atom_dirs = [_atom_direction(atom, symbol) for atom, _ in monomial]
        if 0 in atom_dirs or len(monomial) > 1 and any(bounds(_as_expr(a))[0] < 0 for a, _ in monomial):
            return 0
        sign = 1
        for d in atom_dirs:
            sign *= d
        directions.add(sign * (1 if c > 0 else -1))
    return directions.pop() if len(directions) == 1 else 0


def _as_expr(atom) -> Expr:
    return Expr.symbol(atom) if isinstance(atom, str) else Expr.of_atom(atom)


def _atom_direction(atom, symbol: str) -> int:
    if isinstance(atom, str):
        return 1 if atom == symbol else 0
    if atom.kind == "floordiv":
        return _direction(atom.args[0], symbol)
    if atom.kind in ("max", "min"):
        a, b = (_direction(x, symbol) if isinstance(x, Expr) else 2 for x in atom.args)
        known = {d for d in (a, b) if d != 2}
        return known.pop() if len(known) == 1 and 0 not in known else 0
    return 0


def _quasi_linear(expr: Dim, symbol: str) -> tuple[int, int] | None:
    """(L, delta) with expr(h + L) == expr(h) + delta for every h, or None.

    Exact for sums of symbol, floor and mod terms: floor(E/k) has the period of
    E stretched until E's increase is a multiple of k.
    """
    if isinstance(expr, int):
        return 1, 0
    period, parts = 1, []
    for monomial, c in expr.terms:
        if not monomial:
            continue
        if len(monomial) != 1 or monomial[0][1] != 1:
            return None
        atom = monomial[0][0]
        if isinstance(atom, str):
            found = (1, 1 if atom == symbol else 0)
        elif atom.kind in ("floordiv", "mod"):
            inner = _quasi_linear(atom.args[0], symbol)
            if inner is None:
                return None
            inner_period, inner_delta = inner
            k = atom.args[1]
            stretch = k // math.gcd(inner_delta, k) if inner_delta else 1
            found = (inner_period * stretch, inner_delta * stretch // k if atom.kind == "floordiv" else 0)
        else:
            return None
        period = math.lcm(period, found[0])
        parts.append((c, found))
    delta = sum(c * d * (period // p) for c, (p, d) in parts)
    return period, delta
