"""Dimensions: a plain int, a symbolic expression over named sizes, or UNKNOWN.

A dim is one of
  * `int`      a concrete size (the fast path: ordinary Python ints);
  * `Expr`     a polynomial with integer coefficients over atoms (symbols such
               as `B`, `H`), kept in a canonical form so that equal expressions
               compare and print identically; arithmetic that yields a constant
               returns an int;
  * `UNKNOWN`  a size nobody knows (`null` in specs, `?` in tables); it absorbs
               all arithmetic.

Layer rules write ordinary arithmetic (`n * k + 1`) and get the right kind back.
Rules must not decide equality with `==` (an `Expr` is never equal to an int);
they call `equal(a, b)`, which answers True, False or None (undecidable).
Symbols stand for sizes of at least 1; `bounds` uses that to decide signs.
"""

from __future__ import annotations

import math
import re

from .errors import InputError


class Unknown:
    """The unknown dimension; a singleton that absorbs arithmetic."""

    __slots__ = ()
    _instance: Unknown | None = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "?"

    def _absorb(self, *_):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _absorb
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __neg__ = _absorb


UNKNOWN = Unknown()


class Op:
    """A non-polynomial atom: floor(E/k), E % k, max(a, b) or min(a, b).

    Ops are built only by the Expr operations below, which simplify first, so
    an Op always stands for something that cannot be written as a polynomial.
    """

    __slots__ = ("kind", "args", "key", "_hash")

    def __init__(self, kind: str, args: tuple):
        self.kind, self.args = kind, args
        self.key = (1, kind, tuple(_value_key(a) for a in args))
        self._hash = hash((kind, args))

    def __eq__(self, other) -> bool:
        return isinstance(other, Op) and self.kind == other.kind and self.args == other.args

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return _format_atom(self)


def _atom_key(atom) -> tuple:
    return (0, atom) if isinstance(atom, str) else atom.key


def _value_key(value) -> tuple:
    return (0, value) if isinstance(value, int) else (1, value.key)


def _term_key(term):
    """Order terms by falling degree, then by their atoms; the constant goes last."""
    monomial, _ = term
    return (-sum(power for _, power in monomial), tuple((_atom_key(a), p) for a, p in monomial))


class Expr:
    """A canonical polynomial with integer coefficients over atoms.

    An atom is a symbol name or an `Op`. `terms` is a sorted tuple of
    (monomial, coefficient); a monomial is a tuple of (atom, power) sorted by
    atom; the constant term has the empty monomial. Construction goes through
    `_normal`, so equal expressions have equal terms.
    """

    __slots__ = ("terms", "key", "_hash")

    def __init__(self, terms):
        self.terms = terms
        self.key = tuple((_term_key(t)[1], t[1]) for t in terms)
        self._hash = hash(terms)

    @staticmethod
    def symbol(name: str) -> Expr:
        """The expression consisting of one named size."""
        return Expr(((((name, 1),), 1),))

    @staticmethod
    def _atom(op: Op) -> Expr:
        return Expr(((((op, 1),), 1),))

    @staticmethod
    def _normal(coefficients: dict) -> Dim:
        """Canonical form of {monomial: coefficient}; a constant becomes an int."""
        terms = tuple(sorted(((m, c) for m, c in coefficients.items() if c), key=_term_key))
        if not terms:
            return 0
        if len(terms) == 1 and terms[0][0] == ():
            return terms[0][1]
        return Expr(terms)

    def _coefficients(self) -> dict:
        return dict(self.terms)

    def _single_atom(self):
        """The atom if this expression is exactly `1*atom`, else None."""
        if len(self.terms) == 1:
            ((monomial, c),) = self.terms
            if c == 1 and len(monomial) == 1 and monomial[0][1] == 1:
                return monomial[0][0]
        return None

    @property
    def symbols(self) -> set[str]:
        """The names this expression depends on."""
        names: set[str] = set()
        for monomial, _ in self.terms:
            for atom, _ in monomial:
                if isinstance(atom, str):
                    names.add(atom)
                else:
                    for arg in atom.args:
                        if isinstance(arg, Expr):
                            names |= arg.symbols
        return names

    def __add__(self, other):
        if isinstance(other, int):
            other = {(): other}
        elif isinstance(other, Expr):
            other = other._coefficients()
        else:
            return NotImplemented
        total = self._coefficients()
        for monomial, c in other.items():
            total[monomial] = total.get(monomial, 0) + c
        return Expr._normal(total)

    __radd__ = __add__

    def __neg__(self):
        return Expr._normal({m: -c for m, c in self.terms})

    def __sub__(self, other):
        if not isinstance(other, (int, Expr)):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, int):
            return Expr._normal({m: c * other for m, c in self.terms})
        if not isinstance(other, Expr):
            return NotImplemented
        product: dict = {}
        for m1, c1 in self.terms:
            for m2, c2 in other.terms:
                powers = dict(m1)
                for atom, p in m2:
                    powers[atom] = powers.get(atom, 0) + p
                monomial = tuple(sorted(powers.items(), key=lambda item: _atom_key(item[0])))
                product[monomial] = product.get(monomial, 0) + c1 * c2
        return Expr._normal(product)

    __rmul__ = __mul__

    def __pow__(self, exponent):
        if not isinstance(exponent, int) or exponent < 0:
            return NotImplemented
        result: Dim = 1
        for _ in range(exponent):
            result = result * self
        return result

    def _split(self, k: int) -> tuple[Dim, Dim]:
        """(A, R) with self = k*A + R, A integer-valued, R's coefficients in [0, k)."""
        quotient, remainder = {}, {}
        for monomial, c in self.terms:
            q, r = divmod(c, k)
            quotient[monomial], remainder[monomial] = q, r
        return Expr._normal(quotient), Expr._normal(remainder)

    def __floordiv__(self, k):
        if not isinstance(k, int):
            return NotImplemented
        if k <= 0:
            raise ZeroDivisionError("a dimension can only be divided by a positive integer")
        if k == 1:
            return self
        whole, rest = self._split(k)
        return whole + _floor_of(rest, k)

    def __mod__(self, k):
        if not isinstance(k, int):
            return NotImplemented
        if k <= 0:
            raise ZeroDivisionError("a dimension can only be taken modulo a positive integer")
        _, rest = self._split(k)
        if isinstance(rest, int):
            return rest % k
        return Expr._atom(Op("mod", (rest, k)))

    def __eq__(self, other) -> bool:
        return isinstance(other, Expr) and self.terms == other.terms

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return format_dim(self)

    def evaluate(self, bindings: dict[str, int]) -> Dim:
        """Substitute the bound symbols; unbound ones stay symbolic."""
        total: Dim = 0
        for monomial, c in self.terms:
            term: Dim = c
            for atom, power in monomial:
                value = _evaluate_atom(atom, bindings)
                for _ in range(power):
                    term = term * value
            total = total + term
        return total


def _floor_of(rest: Dim, k: int) -> Dim:
    """floor(rest / k) for rest with coefficients in [0, k), simplifying nested floors.

    floor((floor(E/a) + b)/k) = floor((E + a*b)/(a*k)) for integer b and a, k > 0.
    """
    if isinstance(rest, int):
        return rest // k
    coefficients = rest._coefficients()
    constant = coefficients.pop((), 0)
    inner = Expr._normal(coefficients)
    atom = inner._single_atom() if isinstance(inner, Expr) else None
    if isinstance(atom, Op) and atom.kind == "floordiv":
        numerator, a = atom.args
        return (numerator + a * constant) // (a * k)
    return Expr._atom(Op("floordiv", (rest, k)))


def _evaluate_atom(atom, bindings: dict[str, int]) -> Dim:
    if isinstance(atom, str):
        value = bindings.get(atom)
        return Expr.symbol(atom) if value is None else value
    args = [a.evaluate(bindings) if isinstance(a, Expr) else a for a in atom.args]
    if atom.kind == "floordiv":
        return args[0] // args[1]
    if atom.kind == "mod":
        return args[0] % args[1]
    return (dim_max if atom.kind == "max" else dim_min)(*args)


def dim_max(a: Dim, b: Dim) -> Dim:
    """max(a, b): a number when it can be decided, else a symbolic max."""
    return _extreme("max", a, b)


def dim_min(a: Dim, b: Dim) -> Dim:
    """min(a, b): a number when it can be decided, else a symbolic min."""
    return _extreme("min", a, b)


def _extreme(kind: str, a: Dim, b: Dim) -> Dim:
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return UNKNOWN
    low, high = bounds(a - b)
    if low >= 0:
        return a if kind == "max" else b
    if high <= 0:
        return b if kind == "max" else a
    first, second = sorted((a, b), key=_value_key)
    return Expr._atom(Op(kind, (first, second)))


_INF = float("inf")


def bounds(dim: Dim) -> tuple[float, float]:
    """(lowest, highest) value a dim can take when every symbol is at least 1."""
    if isinstance(dim, int):
        return dim, dim
    if isinstance(dim, Unknown):
        return -_INF, _INF
    low = high = 0
    for monomial, c in dim.terms:
        term = (1, 1)
        for atom, power in monomial:
            for _ in range(power):
                term = _interval_product(term, _atom_bounds(atom))
        term = (c * term[0], c * term[1]) if c > 0 else (c * term[1], c * term[0])
        low, high = low + term[0], high + term[1]
    return low, high


def _atom_bounds(atom) -> tuple[float, float]:
    if isinstance(atom, str):
        return 1, _INF
    if atom.kind == "mod":
        return 0, atom.args[1] - 1
    if atom.kind == "floordiv":
        low, high = bounds(atom.args[0])
        k = atom.args[1]
        return (low // k if low != -_INF else low), (high // k if high != _INF else high)
    (a_low, a_high), (b_low, b_high) = bounds(atom.args[0]), bounds(atom.args[1])
    if atom.kind == "max":
        return max(a_low, b_low), max(a_high, b_high)
    return min(a_low, b_low), min(a_high, b_high)


def _interval_product(a: tuple, b: tuple) -> tuple[float, float]:
    products = [x * y if x and y else 0 for x in a for y in b]
    return min(products), max(products)


def ceil_div(a: Dim, k: int) -> Dim:
    """ceil(a / k) for a positive integer k, written as floor((a + k - 1) / k)."""
    return (a + (k - 1)) // k


Dim = int | Expr | Unknown


class AnyShape:
    """A shape of unknown rank, as a layer sees its input before inference.

    Every index gives UNKNOWN, so parameter rules evaluated on it leave
    input-dependent sizes unknown while config-fixed sizes stay known.
    """

    __slots__ = ()

    def __getitem__(self, index):
        return self if isinstance(index, slice) else UNKNOWN

    def __repr__(self) -> str:
        return "(...)"


ANY_SHAPE = AnyShape()


def equal(a: Dim, b: Dim) -> bool | None:
    """True if a and b are certainly equal, False if certainly not, None if undecidable.

    Symbols are taken to be at least 1, so `H + 1` is certainly not 1.
    """
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    difference = a - b
    if isinstance(difference, int):
        return difference == 0
    low, high = bounds(difference)
    return False if low > 0 or high < 0 else None


def is_known(dim: Dim) -> bool:
    """Whether the dim has a value (an int or an expression), not UNKNOWN."""
    return not isinstance(dim, Unknown)


def product(dims) -> Dim:
    """The product of dims (1 for none)."""
    total: Dim = 1
    for d in dims:
        total = total * d
    return total


def format_dim(dim: Dim, unknown: str = "?") -> str:
    """Text of a dim: `20`, `2*H + 1`, `floor((H - 1)/2) + 1`, `16*(floor(H/4) - 3)*(W - 1)`,
    or the `unknown` mark. A product of sums is shown factored; parsing the text gives the dim back."""
    if isinstance(dim, int):
        return str(dim)
    if isinstance(dim, Unknown):
        return unknown
    factors = _factors(dim)
    if factors is not None:
        scale, parts = factors
        texts = [f"({_format_sum(p)})" if len(p.terms) > 1 or "%" in _format_sum(p) else _format_sum(p) for p in parts]
        return "*".join(([str(scale)] if scale != 1 else []) + texts) if scale != -1 else "-" + "*".join(texts)
    return _format_sum(dim)


def _factors(dim: Expr) -> tuple[int, list[Expr]] | None:
    """(c, [p1, p2, …]) with dim = c * p1 * p2 * … and at least two factors, or None.

    Splits off one atom at a time: dim = x*A + B with B = r*A gives (x + r)*A.
    """
    if len(dim.terms) < 2 or -_term_key(dim.terms[0])[0] < 2:
        return None
    coefficients = [c for _, c in dim.terms]
    scale = math.gcd(*coefficients) * (1 if coefficients[0] > 0 else -1)
    rest = dim * 1 if scale == 1 else Expr._normal({m: c // scale for m, c in dim.terms})
    parts = []
    while isinstance(rest, Expr):
        split = _split_linear_factor(rest)
        if split is None:
            break
        factor, rest = split
        parts.append(factor)
    if not parts:
        return None
    if isinstance(rest, Expr):
        parts.append(rest)
    elif rest != 1:
        scale *= rest
    parts.sort(key=lambda p: (len(p.terms) > 1, p.key))
    return (scale, parts) if len(parts) > 1 or scale != 1 else None


def _split_linear_factor(expr: Expr) -> tuple[Expr, Dim] | None:
    """(x + r, A) with expr = (x + r) * A for an atom x of degree 1 everywhere, or None."""
    atoms = {atom for monomial, _ in expr.terms for atom, _ in monomial}
    for atom in sorted(atoms, key=_atom_key):
        with_x, without_x = {}, {}
        for monomial, c in expr.terms:
            powers = dict(monomial)
            if powers.get(atom, 0) > 1:
                break
            if atom in powers:
                del powers[atom]
                with_x[tuple(sorted(powers.items(), key=lambda item: _atom_key(item[0])))] = c
            else:
                without_x[monomial] = c
        else:
            a, b = Expr._normal(with_x), Expr._normal(without_x)
            if isinstance(a, int):
                continue
            lead_monomial, lead = a.terms[0]
            ratio, remainder = divmod(dict(b.terms).get(lead_monomial, 0) if isinstance(b, Expr) else 0, lead)
            if remainder == 0 and b == a * ratio and (ratio != 0 or b == 0):
                if ratio == 0:
                    continue
                x = Expr._atom(atom) if isinstance(atom, Op) else Expr.symbol(atom)
                return x + ratio, a
    return None


def _format_sum(dim: Dim) -> str:
    if isinstance(dim, int):
        return str(dim)
    parts = []
    for monomial, c in dim.terms:
        magnitude = abs(c)
        alone = len(monomial) == 1 and monomial[0][1] == 1 and magnitude == 1 and (c > 0 or bool(parts))
        factors = [_format_factor(a, alone) if p == 1 else f"{_format_factor(a, False)}^{p}" for a, p in monomial]
        if not factors:
            body = str(magnitude)
        elif magnitude == 1:
            body = "*".join(factors)
        else:
            body = "*".join([str(magnitude), *factors])
        if not parts:
            parts.append(body if c > 0 else f"-{body}")
        else:
            parts.append(f"+ {body}" if c > 0 else f"- {body}")
    return " ".join(parts)


def _format_factor(atom, alone: bool) -> str:
    """An atom inside a product: `H % 16` needs parentheses there (`*` and `%` bind alike)."""
    text = _format_atom(atom)
    return text if alone or isinstance(atom, str) or atom.kind != "mod" else f"({text})"


def _format_atom(atom) -> str:
    if isinstance(atom, str):
        return atom
    if atom.kind in ("max", "min"):
        return f"{atom.kind}({format_dim(atom.args[0])}, {format_dim(atom.args[1])})"
    numerator, k = atom.args
    text = format_dim(numerator)
    if not (isinstance(numerator, Expr) and numerator._single_atom() is not None):
        text = f"({text})"
    return f"floor({text}/{k})" if atom.kind == "floordiv" else f"{text} % {k}"


def format_shape(shape, unknown: str = "?") -> str:
    """Text of a shape as a tuple: `(2, 20)`, `(256,)`, `()`."""
    items = [format_dim(d, unknown) for d in shape]
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def dim_to_json(dim: Dim):
    """JSON value of a dim: an int, null for unknown, a string for an expression."""
    if isinstance(dim, int):
        return dim
    if isinstance(dim, Unknown):
        return None
    return format_dim(dim)


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UNKNOWN_WORDS = {"?", "null", "none", "_"}


def parse_expr(text: str) -> Dim:
    """A dim expression in the printed syntax: `2*H + 1`, `floor((H - 1)/2) + 1`, `H % 16`, `max(H, W)`."""
    from .expr import ExprError, evaluate, parse

    try:
        value = evaluate(parse(text), Expr.symbol, exact_div, _extreme)
    except (ExprError, ZeroDivisionError, TypeError) as e:
        raise InputError(f"'{text.strip()}' is not a dimension ({e})") from None
    if not isinstance(value, (int, Expr)) or isinstance(value, bool):
        raise InputError(f"'{text.strip()}' is not a dimension (expected an integer expression)")
    return value


def parse_dim(text: str) -> Dim:
    """A dim from text: `20`, `H`, `2*H + 1`, `floor(H/2)`, or `?` / `null` / `_` for unknown."""
    word = text.strip()
    if word.lower() in _UNKNOWN_WORDS:
        return UNKNOWN
    if word.isdigit():
        return int(word)
    if _SYMBOL.match(word):
        return Expr.symbol(word)
    value = parse_expr(word)
    if isinstance(value, int) and value < 0:
        raise InputError(f"'{word}' is not a dimension (a size is at least 0)")
    return value


def exact_div(a: Dim, b: Dim) -> Dim:
    """a / b when b divides a exactly (by an integer, or by a monomial of a); else an error."""
    if isinstance(b, int):
        if b != 0 and isinstance(a, (int, Expr)) and a % b == 0:
            return a // b
        raise ZeroDivisionError(f"{format_dim(a)} is not divisible by {format_dim(b)}; write floor(a/b)")
    raise ZeroDivisionError(f"cannot divide by {format_dim(b)}")


MAX_RANK = 64
"""Most axes a shape may have (NumPy's limit; PyTorch's is lower)."""


def parse_shape(text: str) -> tuple:
    """A shape from command-line text: `2x20`, `Bx3xHxW`, `2,20`, `(2, 20)`."""
    body = text.strip().removeprefix("(").removesuffix(")").removeprefix("[").removesuffix("]")
    if not body.strip():
        raise InputError(f"'{text}' is not a shape (expected dims such as 2x20)")
    separator = "," if "," in body else "x"
    parts = body.split(separator)
    if len(parts) > MAX_RANK:
        raise InputError(f"'{text[:30]}…' has {len(parts)} axes; shapecli handles at most {MAX_RANK}")
    if any(not part.strip() for part in parts):
        raise InputError(f"'{text}' has an empty dimension (expected dims such as 2x20)")
    return tuple(parse_dim(part) for part in parts)


def parse_where(text: str, symbols: set[str]) -> list[dict[str, int]]:
    """`--where` values: `H=224,W=224` → [{H: 224, W: 224}]; `H=224,256` → [{H: 224}, {H: 256}]
    (every combination when several symbols have lists). `symbols` are the ones that exist."""
    import itertools

    from .errors import did_you_mean

    values: dict[str, list[int]] = {}
    current = None
    for part in text.split(","):
        name, equals, value = part.strip().rpartition("=")
        if equals:
            current = name.strip()
            if current not in symbols:
                known = ", ".join(sorted(symbols)) or "none: give a symbolic --input such as Bx3xHxW"
                raise InputError(
                    f"--where {text}: '{current}' is not a symbol of the inputs (they have: {known})",
                    hint=did_you_mean(current, symbols),
                )
            values.setdefault(current, [])
        if current is None or not value.strip().isdigit():
            raise InputError(f"--where {text}: expected SYMBOL=VALUE[,VALUE…], e.g. H=224,W=224")
        values[current].append(int(value))
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*(values[n] for n in names))]
