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
"""

from __future__ import annotations

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


def _term_key(term):
    """Order terms by falling degree, then by their atoms; the constant goes last."""
    monomial, _ = term
    return (-sum(power for _, power in monomial), monomial)


class Expr:
    """A canonical polynomial over symbols with integer coefficients.

    `terms` is a sorted tuple of (monomial, coefficient); a monomial is a sorted
    tuple of (symbol, power); the constant term has the empty monomial.
    """

    __slots__ = ("terms", "_hash")

    def __init__(self, terms):
        self.terms = terms
        self._hash = hash(terms)

    @staticmethod
    def symbol(name: str) -> Expr:
        """The expression consisting of one named size."""
        return Expr(((((name, 1),), 1),))

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

    @property
    def symbols(self) -> set[str]:
        """The names this expression depends on."""
        return {name for monomial, _ in self.terms for name, _ in monomial}

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
                for name, p in m2:
                    powers[name] = powers.get(name, 0) + p
                monomial = tuple(sorted(powers.items()))
                product[monomial] = product.get(monomial, 0) + c1 * c2
        return Expr._normal(product)

    __rmul__ = __mul__

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
            for name, power in monomial:
                value = bindings.get(name)
                factor = Expr.symbol(name) if value is None else value
                for _ in range(power):
                    term = term * factor
            total = total + term
        return total


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
    """True if a and b are certainly equal, False if certainly not, None if undecidable."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    difference = a - b
    if isinstance(difference, int):
        return difference == 0
    return None


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
    """Text of a dim: `20`, `2*H + 1`, or the `unknown` mark."""
    if isinstance(dim, int):
        return str(dim)
    if isinstance(dim, Unknown):
        return unknown
    parts = []
    for monomial, c in dim.terms:
        factors = [name if p == 1 else f"{name}^{p}" for name, p in monomial]
        magnitude = abs(c)
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


def parse_dim(text: str) -> Dim:
    """A dim from text: `20`, `H`, or `?` / `null` / `_` for unknown."""
    word = text.strip()
    if word.lower() in _UNKNOWN_WORDS:
        return UNKNOWN
    if word.isdigit():
        return int(word)
    if _SYMBOL.match(word):
        return Expr.symbol(word)
    raise InputError(f"'{word}' is not a dimension (expected an integer, a name such as B, or ?)")


def parse_shape(text: str) -> tuple:
    """A shape from command-line text: `2x20`, `Bx3xHxW`, `2,20`, `(2, 20)`."""
    body = text.strip().removeprefix("(").removesuffix(")").removeprefix("[").removesuffix("]")
    if not body.strip():
        raise InputError(f"'{text}' is not a shape (expected dims such as 2x20)")
    separator = "," if "," in body else "x"
    parts = body.split(separator)
    if any(not part.strip() for part in parts):
        raise InputError(f"'{text}' has an empty dimension (expected dims such as 2x20)")
    return tuple(parse_dim(part) for part in parts)
