"""The algebra of dimensions: a plain int, a symbolic expression over named sizes, or UNKNOWN.

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

from functools import lru_cache

from ..errors import ShapeError

MAX_SIZE = 2**63 - 1
"""Largest size of an axis (int64, as the frameworks count)."""

MAX_TERMS = 2_000
"""Most terms a product of sums may multiply out to (past the terms of its two factors together):
(H0 + 1)*(H1 + 1)*… doubles with each factor, and is refused past it."""

MAX_FORMULA_TERMS = 100_000
"""Most terms any symbolic size may have. Sums are legitimate and cost linear time (a Concat of
3,000 inputs of distinct symbolic sizes has 3,000 terms, see dim_sum); this bounds their memory."""

MAX_PRODUCT_PAIRS = 100_000
"""Most pairs of terms one product may multiply out (its cost), whatever the size of the result."""


class DimTooComplex(ShapeError):
    """A symbolic size would grow beyond its bounds (a product of many sums, or a formula of more
    than MAX_FORMULA_TERMS terms)."""


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
        from .text import format_atom

        return format_atom(self)


def atom_key(atom) -> tuple:
    """Sort key of an atom: symbols (by name) before ops (by structure)."""
    return (0, atom) if isinstance(atom, str) else atom.key


def _value_key(value) -> tuple:
    return (0, value) if isinstance(value, int) else (1, value.key)


def term_key(term):
    """Order terms by falling degree, then by their atoms; the constant goes last."""
    return monomial_key(term[0])


@lru_cache(maxsize=1 << 16)
def monomial_key(monomial: tuple) -> tuple:
    """The sort key of a monomial (see term_key), cached: a model's formulas reuse a few monomials."""
    return (-sum(power for _, power in monomial), tuple((atom_key(a), p) for a, p in monomial))


def _from_ordered(terms) -> Dim:
    """Canonical form of (monomial, coefficient) pairs already in term order: zero terms are
    dropped, a constant becomes an int (the fast path of arithmetic that keeps the order)."""
    kept = tuple(term for term in terms if term[1])
    if not kept:
        return 0
    if len(kept) == 1 and not kept[0][0]:
        return kept[0][1]
    return Expr(kept)


class Expr:
    """A canonical polynomial with integer coefficients over atoms.

    An atom is a symbol name or an `Op`. `terms` is a sorted tuple of
    (monomial, coefficient); a monomial is a tuple of (atom, power) sorted by
    atom; the constant term has the empty monomial. Construction goes through
    `from_coefficients`, so equal expressions have equal terms.
    """

    __slots__ = ("terms", "_key", "_hash")

    def __init__(self, terms):
        self.terms = terms
        self._key = None
        self._hash = hash(terms)

    @property
    def key(self) -> tuple:
        """A sort key of the expression (by its terms' atoms and coefficients), computed on first use."""
        if self._key is None:
            self._key = tuple((monomial_key(m)[1], c) for m, c in self.terms)
        return self._key

    @staticmethod
    def symbol(name: str) -> Expr:
        """The expression consisting of one named size."""
        return Expr(((((name, 1),), 1),))

    @staticmethod
    def of_atom(atom) -> Expr:
        """The expression consisting of one atom (a symbol name or an Op)."""
        return Expr(((((atom, 1),), 1),))

    @staticmethod
    def from_coefficients(coefficients: dict) -> Dim:
        """Canonical form of {monomial: coefficient}; a constant becomes an int."""
        if len(coefficients) > MAX_FORMULA_TERMS:
            raise DimTooComplex(f"gives a size formula of more than {MAX_FORMULA_TERMS:,} terms; shapecli refuses it")
        terms = tuple(sorted(((m, c) for m, c in coefficients.items() if c), key=term_key))
        if not terms:
            return 0
        if len(terms) == 1 and terms[0][0] == ():
            return terms[0][1]
        return Expr(terms)

    def _coefficients(self) -> dict:
        return dict(self.terms)

    @property
    def constant(self) -> int:
        """The constant term (0 if none)."""
        monomial, c = self.terms[-1]
        return c if not monomial else 0

    def single_atom(self):
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
        if type(other) is int:  # only the constant term (last in term order) changes
            terms = self.terms
            if terms[-1][0]:
                return Expr((*terms, ((), other))) if other else self
            return _from_ordered((*terms[:-1], ((), terms[-1][1] + other)))
        if isinstance(other, int):
            other = {(): other}
        elif isinstance(other, Expr):
            other = other._coefficients()
        else:
            return NotImplemented
        total = self._coefficients()
        for monomial, c in other.items():
            total[monomial] = total.get(monomial, 0) + c
        return Expr.from_coefficients(total)

    __radd__ = __add__

    def __neg__(self):
        return Expr(tuple((m, -c) for m, c in self.terms))

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
            return _from_ordered((m, c * other) for m, c in self.terms) if other else 0
        if not isinstance(other, Expr):
            return NotImplemented
        if len(self.terms) * len(other.terms) > MAX_PRODUCT_PAIRS:
            raise DimTooComplex(
                f"gives a size formula of more than {MAX_PRODUCT_PAIRS:,} terms (a product of "
                f"{len(self.terms):,} and {len(other.terms):,} terms); shapecli refuses it"
            )
        product: dict = {}
        for m1, c1 in self.terms:
            for m2, c2 in other.terms:
                powers = dict(m1)
                for atom, p in m2:
                    powers[atom] = powers.get(atom, 0) + p
                monomial = tuple(sorted(powers.items(), key=lambda item: atom_key(item[0])))
                product[monomial] = product.get(monomial, 0) + c1 * c2
        if len(product) > MAX_TERMS and len(product) > len(self.terms) + len(other.terms):
            raise DimTooComplex(
                f"gives a size formula of more than {MAX_TERMS:,} terms (a product of "
                f"{len(self.terms):,} and {len(other.terms):,} terms multiplied out); shapecli refuses it"
            )
        return Expr.from_coefficients(product)

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
        quotient, remainder = [], []
        for monomial, c in self.terms:
            q, r = divmod(c, k)
            quotient.append((monomial, q))
            remainder.append((monomial, r))
        return _from_ordered(quotient), _from_ordered(remainder)

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
        return Expr.of_atom(Op("mod", (rest, k)))

    def __eq__(self, other) -> bool:
        return isinstance(other, Expr) and self.terms == other.terms

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        from .text import format_dim

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
    inner = Expr.from_coefficients(coefficients)
    atom = inner.single_atom() if isinstance(inner, Expr) else None
    if isinstance(atom, Op) and atom.kind == "floordiv":
        numerator, a = atom.args
        return (numerator + a * constant) // (a * k)
    return Expr.of_atom(Op("floordiv", (rest, k)))


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
    return extreme("max", a, b)


def dim_min(a: Dim, b: Dim) -> Dim:
    """min(a, b): a number when it can be decided, else a symbolic min."""
    return extreme("min", a, b)


def extreme(kind: str, a: Dim, b: Dim) -> Dim:
    """max(a, b) (kind 'max') or min(a, b) (kind 'min'), symbolic when undecidable."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return UNKNOWN
    low, high = bounds(a - b)
    if low >= 0:
        return a if kind == "max" else b
    if high <= 0:
        return b if kind == "max" else a
    first, second = sorted((a, b), key=_value_key)
    return Expr.of_atom(Op(kind, (first, second)))


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
    if type(a) is int and type(b) is int:
        return a == b
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    if a == b:
        return True
    difference = a - b
    if isinstance(difference, int):
        return difference == 0
    low, high = bounds(difference)
    return False if low > 0 or high < 0 else None


def is_known(dim: Dim) -> bool:
    """Whether the dim has a value (an int or an expression), not UNKNOWN."""
    return not isinstance(dim, Unknown)


def dim_sum(dims) -> Dim:
    """The sum of dims (0 for none), in time linear in their terms: adding them one by one
    would make each partial sum again, quadratic in the number of distinct symbols."""
    total: dict = {}
    constant = 0
    run, count = None, 0  # a run of one expression object (layers alike share theirs), added once
    for d in dims:
        if type(d) is int:
            constant += d
        elif d is run:
            count += 1
        elif isinstance(d, Expr):
            if run is not None:
                _add_terms(total, run, count)
            run, count = d, 1
        else:
            return UNKNOWN
    if run is not None:
        _add_terms(total, run, count)
    if not total:
        return constant
    total[()] = total.get((), 0) + constant
    return Expr.from_coefficients(total)


def _add_terms(total: dict, expr: Expr, times: int) -> None:
    """Add `times` × `expr` to the {monomial: coefficient} sum `total`."""
    for monomial, c in expr.terms:
        total[monomial] = total.get(monomial, 0) + c * times


def product(dims) -> Dim:
    """The product of dims (1 for none)."""
    dims = tuple(dims)
    total = 1
    for d in dims:
        if type(d) is not int:
            return _symbolic_product(dims)
        total *= d
    return total


@lru_cache(maxsize=1 << 12)
def _symbolic_product(dims: tuple) -> Dim:
    """The product of dims of which some are symbolic, cached: a model multiplies out the same
    shapes again and again (parameter counts, MACs, tensor sizes)."""
    total: Dim = 1
    for d in dims:
        total = total * d
    return total


def exact_div(a: Dim, b: Dim) -> Dim:
    """a / b when b divides a exactly (by an integer); else ZeroDivisionError saying why."""
    from .text import format_dim

    if isinstance(b, int):
        if b != 0 and isinstance(a, (int, Expr)) and a % b == 0:
            return a // b
        raise ZeroDivisionError(f"{format_dim(a)} is not divisible by {format_dim(b)}; write floor(a/b)")
    raise ZeroDivisionError(f"cannot divide by {format_dim(b)}")
