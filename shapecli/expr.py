"""A small arithmetic language, shared by `$` expressions in specs and symbolic dims.

    expr  := term (('+' | '-') term)*
    term  := unary (('*' | '/' | '//' | '%') unary)*
    unary := '-' unary | power
    power := atom ('^' unary)?
    atom  := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

`parse` gives a tree of tuples; `evaluate` computes it with Python's operators,
so the same tree evaluates over numbers (block parameters) or dims (symbols).
`floor(a/b)` and `ceil(a/b)` are integer divisions; `min` and `max` take two
arguments. A chain of `+ -` or `* / // %` is one flat node and a run of unary
minus one negation, so only parentheses, calls and `^` nest, at most MAX_NESTING
deep: no text makes the parser or the evaluator recurse without bound.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*/%^(),]))")
FUNCTIONS = ("floor", "ceil", "min", "max")
MAX_NESTING = 64
"""Deepest nesting of parentheses, calls and powers."""


class ExprError(ValueError):
    """The text is not an expression of this grammar (message says why and where)."""


def parse(text: str):
    """The expression tree of `text`; raises ExprError."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    tree = parser.expr()
    if parser.position < len(tokens):
        raise ExprError(f"unexpected '{tokens[parser.position]}' in '{text}'")
    return tree


def _tokenize(text: str) -> list:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            raise ExprError(f"unexpected '{text[position:].strip()[0]}' in '{text}'")
        number, name, symbol = match.groups()
        if number is not None:
            tokens.append(float(number) if "." in number else int(number))
        else:
            tokens.append(name if name is not None else symbol)
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

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            wanted = f"'{expected}'" if expected else "more"
            raise ExprError(
                f"expected {wanted} at the end of '{self.text}'"
                if token is None
                else f"expected {wanted}, found '{token}' in '{self.text}'"
            )
        self.position += 1
        return token

    def expr(self):
        first = self.term()
        rest = []
        while self.peek() in ("+", "-"):
            rest.append((self.take(), self.term()))
        return ("chain", first, rest) if rest else first

    def term(self):
        first = self.unary()
        rest = []
        while self.peek() in ("*", "/", "//", "%"):
            rest.append((self.take(), self.unary()))
        return ("chain", first, rest) if rest else first

    def unary(self):
        negate = False
        while self.peek() == "-":
            self.take()
            negate = not negate
        tree = self.atom()
        if self.peek() == "^":
            self.take()
            self.nest()
            tree = ("^", tree, self.unary())
            self.depth -= 1
        return ("neg", tree) if negate else tree

    def atom(self):
        token = self.take()
        if isinstance(token, (int, float)) and not isinstance(token, bool):
            return ("num", token)
        if token == "(":
            self.nest()
            tree = self.expr()
            self.take(")")
            self.depth -= 1
            return tree
        if isinstance(token, str) and (token[0].isalpha() or token[0] == "_"):
            if self.peek() != "(":
                return ("name", token)
            if token not in FUNCTIONS:
                raise ExprError(f"unknown function '{token}' in '{self.text}' (known: {', '.join(FUNCTIONS)})")
            self.take("(")
            self.nest()
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            self.depth -= 1
            return ("call", token, args)
        raise ExprError(f"unexpected '{token}' in '{self.text}'")


def evaluate(tree, name, divide, extreme=None):
    """The value of a tree.

    `name(n)` gives a name's value; `divide(a, b)` is what `a / b` means outside
    floor/ceil; `extreme(kind, a, b)` computes min/max (default: Python's).
    """

    def value(node):
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind == "name":
            return name(node[1])
        if kind == "neg":
            return -value(node[1])
        if kind == "call":
            return call(node[1], node[2])
        if kind == "chain":
            result = value(node[1])
            for op, operand in node[2]:
                result = binary(op, result, value(operand))
            return result
        return binary(kind, value(node[1]), value(node[2]))

    def binary(op, a, b):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return divide(a, b)
        if op == "//":
            return a // b
        if op == "%":
            return a % b
        if not isinstance(b, int) or b < 0 or b > 64:
            raise ExprError("an exponent must be an integer from 0 to 64")
        return a**b

    def call(function, args):
        if function in ("floor", "ceil"):
            if len(args) != 1:
                raise ExprError(f"{function}() takes one argument")
            (arg,) = args
            if arg[0] != "chain" or arg[2][-1][0] != "/":
                raise ExprError(f"write {function}(a / b)")
            *head, (_, divisor) = arg[2]
            a = value(("chain", arg[1], head) if head else arg[1])
            b = value(divisor)
            if function == "floor":
                return a // b
            if isinstance(a, float) or isinstance(b, float):
                return -((-a) // b)
            return (a + (b - 1)) // b
        if len(args) != 2:
            raise ExprError(f"{function}() takes two arguments")
        a, b = value(args[0]), value(args[1])
        if extreme is not None:
            return extreme(function, a, b)
        return max(a, b) if function == "max" else min(a, b)

    return value(tree)
