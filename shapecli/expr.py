"""The expression language of `$` values in specs, also used (arithmetic only) for printed dims.

    expr       := cond
    cond       := or ('if' or 'else' cond)?                a if c else b
    or         := and ('or' and)*
    and        := not ('and' not)*
    not        := 'not' not | comparison
    comparison := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)*     chained as in Python
    sum        := term (('+' | '-') term)*
    term       := unary (('*' | '/' | '//' | '%') unary)*
    unary      := ('-' | '+') unary | power
    power      := postfix (('^' | '**') unary)?
    postfix    := atom ('.' 'shape' '[' expr ']')?               x.shape[1], x.shape[-1]
    atom       := NUMBER | STRING | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

`parse` gives a tree of tuples; `evaluate` computes it through a `Context`, which
says what names, shapes, division and the functions mean: numbers for block and
model parameters (exact rationals: `$planes * ($width / 64)`), dims for sizes.
A chain of `+ -` or `* / // %` is one flat node and a run of signs one negation,
so only parentheses, calls, powers and conditionals nest, at most MAX_NESTING
deep: no text makes the parser or the evaluator recurse without bound.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cache


@cache
def _token() -> re.Pattern:
    """One token and the spaces before it: a number, a name, a quoted string or an operator
    (compiled on first use: most specs have no `$` expression)."""
    return re.compile(
        r"\s*(?:(\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+)"
        r"|([A-Za-z_][A-Za-z0-9_]*)|('[^']*'|\"[^\"]*\")|(\*\*|//|==|!=|<=|>=|[-+*/%^(),.<>\[\]]))"
    )


FUNCTIONS = ("floor", "ceil", "round", "abs", "min", "max", "make_divisible")
KEYWORDS = ("if", "else", "and", "or", "not", "true", "false", "True", "False")
MAX_NESTING = 64
"""Deepest nesting of parentheses, calls, powers and conditionals."""
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class ExprError(ValueError):
    """The text is not an expression of this grammar, or cannot be computed (message says why)."""


def parse(text: str):
    """The expression tree of `text`; raises ExprError."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    tree = parser.cond()
    if parser.position < len(tokens):
        raise ExprError(f"unexpected '{tokens[parser.position][1]}' in '{text}'")
    return tree


def _tokenize(text: str) -> list[tuple[str, object]]:
    """(kind, value) tokens: ('num', 3), ('name', 'x'), ('str', 'relu'), ('op', '+')."""
    tokens, position, token = [], 0, _token()
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = token.match(text, position)
        if not match:
            raise ExprError(f"unexpected '{text[position:].strip()[0]}' in '{text}'")
        number, name, string, symbol = match.groups()
        if number is not None:
            is_float = any(c in number for c in ".eE")
            tokens.append(("num", float(number) if is_float else int(number)))
        elif name is not None:
            tokens.append(("name", name))
        elif string is not None:
            tokens.append(("str", string[1:-1]))
        else:
            tokens.append(("op", symbol))
        position = match.end()
    if not tokens:
        raise ExprError("empty expression")
    return tokens


class _Parser:
    def __init__(self, tokens: list, text: str):
        self.tokens, self.text, self.position = tokens, text, 0
        self.depth = 0

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError(f"'{self.text[:40]}…' nests deeper than {MAX_NESTING} levels")

    def peek(self, offset: int = 0):
        """The operator or keyword at the current position (None for anything else or the end)."""
        index = self.position + offset
        if index >= len(self.tokens):
            return None
        kind, value = self.tokens[index]
        return value if kind == "op" or (kind == "name" and value in KEYWORDS) else None

    def take(self, expected: str | None = None):
        if self.position >= len(self.tokens):
            wanted = f"'{expected}'" if expected else "more"
            raise ExprError(f"expected {wanted} at the end of '{self.text}'")
        kind, value = self.tokens[self.position]
        if expected is not None and not (kind in ("op", "name") and value == expected):
            raise ExprError(f"expected '{expected}', found '{value}' in '{self.text}'")
        self.position += 1
        return kind, value

    def cond(self):
        tree = self.or_()
        if self.peek() == "if":
            self.take()
            self.nest()
            condition = self.or_()
            self.take("else")
            tree = ("if", condition, tree, self.cond())
            self.depth -= 1
        return tree

    def or_(self):
        parts = [self.and_()]
        while self.peek() == "or":
            self.take()
            parts.append(self.and_())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def and_(self):
        parts = [self.not_()]
        while self.peek() == "and":
            self.take()
            parts.append(self.not_())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def not_(self):
        negate = False
        while self.peek() == "not":
            self.take()
            negate = not negate
        tree = self.comparison()
        return ("not", tree) if negate else tree

    def comparison(self):
        first = self.sum()
        rest = []
        while self.peek() in _COMPARISONS:
            rest.append((self.take()[1], self.sum()))
        return ("cmp", first, rest) if rest else first

    def sum(self):
        first = self.term()
        rest = []
        while self.peek() in ("+", "-"):
            rest.append((self.take()[1], self.term()))
        return ("chain", first, rest) if rest else first

    def term(self):
        first = self.unary()
        rest = []
        while self.peek() in ("*", "/", "//", "%"):
            rest.append((self.take()[1], self.unary()))
        return ("chain", first, rest) if rest else first

    def unary(self):
        negate = False
        while self.peek() in ("-", "+"):
            negate ^= self.take()[1] == "-"
        tree = self.postfix()
        if self.peek() in ("^", "**"):
            self.take()
            self.nest()
            tree = ("^", tree, self.unary())
            self.depth -= 1
        return ("neg", tree) if negate else tree

    def postfix(self):
        tree = self.atom()
        if self.peek() == ".":
            self.take()
            kind, attribute = self.take()
            if attribute != "shape" or tree[0] != "name":
                raise ExprError(f"only a name's .shape[axis] can follow a '.' in '{self.text}'")
            self.take("[")
            self.nest()
            index = self.cond()
            self.take("]")
            self.depth -= 1
            tree = ("shape", tree[1], index)
        return tree

    def atom(self):
        kind, value = self.take()
        if kind == "num":
            return ("num", value)
        if kind == "str":
            return ("str", value)
        if kind == "op" and value == "(":
            self.nest()
            tree = self.cond()
            self.take(")")
            self.depth -= 1
            return tree
        if kind == "name":
            if value in ("true", "True", "false", "False"):
                return ("bool", value in ("true", "True"))
            if value in KEYWORDS:
                raise ExprError(f"unexpected '{value}' in '{self.text}'")
            if self.peek() != "(":
                return ("name", value)
            if value not in FUNCTIONS:
                raise ExprError(f"unknown function '{value}' in '{self.text}' (known: {', '.join(FUNCTIONS)})")
            self.take("(")
            self.nest()
            args = [self.cond()]
            while self.peek() == ",":
                self.take()
                args.append(self.cond())
            self.take(")")
            self.depth -= 1
            return ("call", value, args)
        raise ExprError(f"unexpected '{value}' in '{self.text}'")


def names_in(tree) -> tuple[set[str], set[str]]:
    """(names read as values, names whose shape is read) in a tree."""
    values, shapes = set(), set()
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = node[0]
        if kind == "name":
            values.add(node[1])
        elif kind == "shape":
            shapes.add(node[1])
            stack.append(node[2])
        elif kind in ("neg", "not"):
            stack.append(node[1])
        elif kind in ("chain", "cmp"):
            stack.append(node[1])
            stack.extend(operand for _, operand in node[2])
        elif kind in ("and", "or"):
            stack.extend(node[1])
        elif kind == "^":
            stack += [node[1], node[2]]
        elif kind == "if":
            stack += [node[1], node[2], node[3]]
        elif kind == "call":
            stack.extend(node[2])
    return values, shapes


class Context:
    """What an expression's names, shapes, division and functions mean. The default is
    exact arithmetic on numbers: `/` gives a Fraction, integers stay integers."""

    def name(self, name: str):
        raise ExprError(f"unknown name '{name}'")

    def shape(self, name: str, axis):
        raise ExprError(f"'{name}.shape' cannot be read here")

    def divide(self, a, b):
        if isinstance(a, bool) or isinstance(b, bool):
            raise ExprError("cannot divide true or false")
        if b == 0:
            raise ZeroDivisionError
        if isinstance(a, float) or isinstance(b, float):
            return a / b
        return Fraction(a) / Fraction(b)

    def extreme(self, kind: str, a, b):
        return max(a, b) if kind == "max" else min(a, b)


def evaluate(tree, context: Context):
    """The value of a tree under `context` (a Fraction with denominator 1 stays a Fraction; see `plain`)."""
    kind = tree[0]
    if kind in ("num", "str", "bool"):
        return tree[1]
    if kind == "name":
        return context.name(tree[1])
    if kind == "shape":
        return context.shape(tree[1], _integer(evaluate(tree[2], context), "an axis"))
    if kind == "neg":
        value = evaluate(tree[1], context)
        _number(value, "-")
        return -value
    if kind == "chain":
        value = evaluate(tree[1], context)
        for op, operand in tree[2]:
            value = _binary(op, value, evaluate(operand, context), context)
        return value
    if kind == "^":
        return _power(evaluate(tree[1], context), evaluate(tree[2], context))
    if kind == "cmp":
        left = evaluate(tree[1], context)
        for op, operand in tree[2]:
            right = evaluate(operand, context)
            if not _compare(op, left, right):
                return False
            left = right
        return True
    if kind == "not":
        return not _truth(evaluate(tree[1], context))
    if kind == "and":
        return all(_truth(evaluate(part, context)) for part in tree[1])
    if kind == "or":
        return any(_truth(evaluate(part, context)) for part in tree[1])
    if kind == "if":
        return evaluate(tree[2] if _truth(evaluate(tree[1], context)) else tree[3], context)
    return _call(tree[1], tree[2], context)


def plain(value):
    """An evaluated value as specs use it: an integral Fraction becomes an int, another a float."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _truth(value) -> bool:
    if not isinstance(value, (bool, int, float, Fraction)):
        raise ExprError(f"{_show(value)} is not true or false")
    return bool(value)


def _number(value, what: str):
    if isinstance(value, (str, bool)) or value is None:
        raise ExprError(f"'{what}' needs numbers, received {_show(value)}")
    return value


def _integer(value, what: str) -> int:
    value = plain(value)
    if type(value) is not int:
        raise ExprError(f"{what} must be an integer, received {_show(value)}")
    return value


def _show(value) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator} ({float(value):g})"
    return str(value)


def _binary(op: str, a, b, context: Context):
    _number(a, op)
    _number(b, op)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return context.divide(a, b)
    if b == 0:
        raise ZeroDivisionError
    if op == "//":
        return a // b
    return a % b


def _power(base, exponent):
    _number(base, "**")
    _number(exponent, "**")
    exponent = plain(exponent)
    if type(exponent) is int:
        if not 0 <= exponent <= 64:
            raise ExprError("an integer exponent must be from 0 to 64")
        return base**exponent
    if isinstance(base, (int, float, Fraction)) and base >= 0:
        return float(base) ** float(exponent)
    raise ExprError(f"cannot raise {_show(base)} to {_show(exponent)}")


def _compare(op: str, a, b) -> bool:
    if isinstance(a, str) != isinstance(b, str):
        return op == "!="
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    try:
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    except TypeError:
        raise ExprError(f"cannot compare {_show(a)} and {_show(b)}") from None


def _call(function: str, args: list, context: Context):
    if function in ("floor", "ceil"):
        if len(args) != 1:
            raise ExprError(f"{function}() takes one argument")
        (arg,) = args
        if arg[0] == "chain" and arg[2][-1][0] == "/":
            *head, (_, divisor) = arg[2]
            a = evaluate(("chain", arg[1], head) if head else arg[1], context)
            b = evaluate(divisor, context)
            _number(a, function)
            _number(b, function)
            if b == 0:
                raise ZeroDivisionError
            return a // b if function == "floor" else -((-a) // b)
        value = _number(evaluate(arg, context), function)
        if isinstance(value, (int, Fraction, float)):
            return math.floor(value) if function == "floor" else math.ceil(value)
        raise ExprError(f"write {function}(a / b)")
    values = [evaluate(arg, context) for arg in args]
    if function in ("round", "abs"):
        if len(values) != 1:
            raise ExprError(f"{function}() takes one argument")
        value = _number(values[0], function)
        return round(value) if function == "round" else abs(value)
    if function == "make_divisible":
        return _make_divisible(values)
    if len(values) < 2:
        raise ExprError(f"{function}() takes two or more arguments")
    result = _number(values[0], function)
    for value in values[1:]:
        result = context.extreme(function, result, _number(value, function))
    return result


def _make_divisible(values: list) -> int:
    """torchvision's `_make_divisible(v, divisor, min_value=None)` (MobileNet, EfficientNet), in
    its own float arithmetic: the nearest multiple of divisor, at least min_value, and not
    more than 10% below v."""
    if len(values) not in (2, 3):
        raise ExprError("make_divisible() takes v, divisor and an optional min_value")
    v = float(_number(values[0], "make_divisible"))
    divisor = _integer(values[1], "make_divisible's divisor")
    if divisor <= 0:
        raise ExprError("make_divisible's divisor must be positive")
    min_value = divisor if len(values) == 2 else _integer(values[2], "make_divisible's min_value")
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
