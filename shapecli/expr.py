"""A small arithmetic language, shared by `$` expressions in specs and symbolic dims.

    expr  := term (('+' | '-') term)*
    term  := unary (('*' | '/' | '//' | '%') unary)*
    unary := '-' unary | power
    power := atom ('^' unary)?
    atom  := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

`parse` gives a tree of tuples; `evaluate` computes it with Python's operators,
so the same tree evaluates over numbers (block parameters) or dims (symbols).
`floor(a/b)` and `ceil(a/b)` are integer divisions; `min` and `max` take two
arguments.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*/%^(),]))")
FUNCTIONS = ("floor", "ceil", "min", "max")


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
        tree = self.term()
        while self.peek() in ("+", "-"):
            tree = (self.take(), tree, self.term())
        return tree

    def term(self):
        tree = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            tree = (self.take(), tree, self.unary())
        return tree

    def unary(self):
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        tree = self.atom()
        if self.peek() == "^":
            self.take()
            tree = ("^", tree, self.unary())
        return tree

    def atom(self):
        token = self.take()
        if isinstance(token, (int, float)) and not isinstance(token, bool):
            return ("num", token)
        if token == "(":
            tree = self.expr()
            self.take(")")
            return tree
        if isinstance(token, str) and (token[0].isalpha() or token[0] == "_"):
            if self.peek() != "(":
                return ("name", token)
            if token not in FUNCTIONS:
                raise ExprError(f"unknown function '{token}' in '{self.text}' (known: {', '.join(FUNCTIONS)})")
            self.take("(")
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
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
        a, b = value(node[1]), value(node[2])
        if kind == "+":
            return a + b
        if kind == "-":
            return a - b
        if kind == "*":
            return a * b
        if kind == "/":
            return divide(a, b)
        if kind == "//":
            return a // b
        if kind == "%":
            return a % b
        if not isinstance(b, int) or b < 0 or b > 64:
            raise ExprError("an exponent must be an integer from 0 to 64")
        return a**b

    def call(function, args):
        if function in ("floor", "ceil"):
            if len(args) != 1:
                raise ExprError(f"{function}() takes one argument")
            (arg,) = args
            if arg[0] != "/":
                raise ExprError(f"write {function}(a / b)")
            a, b = value(arg[1]), value(arg[2])
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
