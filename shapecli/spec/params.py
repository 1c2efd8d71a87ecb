"""Parameters and `$` values: the model's `params:` and a block's, their values at one use,
and the substitution of `$` texts.

A text starting with `$` is a parameter (`$width`) or an expression
(`$planes * ($base_width / 64) * $groups`, `$make_divisible($c * $w, 8)`,
`$x.shape[1] // 2`, `$a if $t != 1 else $b`), computed in exact rational
arithmetic; an integral result is an int. An expression that reads a tensor's
shape (`$x.shape[1]`) cannot be computed while the spec expands: it becomes a
`Deferred`, computed during inference once the shapes are known.
"""

from __future__ import annotations

from ..args import show
from ..dims import ANY_SHAPE, UNKNOWN
from ..errors import Loc, SpecError, did_you_mean
from ..expr import Context, ExprError, evaluate, names_in, parse, plain
from ..yamlsrc import YList, YMap
from .schema import LAYER_KEYS, NO_DEFAULT, BlockDef


class Env(dict):
    """Parameter values (name → value) visible in a scope, and where each value was written:
    `locs` maps a name to (position, path of the use that gave it). `block` is False in the
    model's own scope (for messages)."""

    __slots__ = ("locs", "block")


def model_env() -> Env:
    """The model scope's parameters (none until a top-level params: gives some)."""
    env = Env()
    env.locs, env.block = {}, False
    return env


class NeedsShapes(Exception):
    """An expression reads a tensor's shape, which is not known while the spec expands."""


class Deferred:
    """A `$` value that reads tensor shapes, computed once inference knows them.

    `names` are the tensors whose shapes it reads, looked up in `ports` (the names of
    the scope it is written in); the builder fills `sources` when the graph is resolved.
    `kind`, when set, checks the value (a block parameter's declared kind).
    """

    __slots__ = ("tree", "text", "env", "loc", "ports", "names", "sources", "kind")

    def __init__(self, tree, text: str, env: Env, loc: Loc, ports: dict):
        self.tree, self.text, self.env, self.loc, self.ports = tree, text, env, loc, ports
        self.names = names_in(tree)[1]
        self.sources: dict = {}
        self.kind = None

    def deferred_in_env(self) -> list[Deferred]:
        """The deferred parameters this value may read."""
        return [v for v in self.env.values() if isinstance(v, Deferred)]

    def value(self, values: dict):
        """The value, with `values` (source → shape) giving the shapes."""
        result = _evaluate(self.tree, self.text, self.env, self.loc, lambda name: values[self.sources[name]], values)
        if self.kind is not None:
            try:
                result = self.kind(result)
            except SpecError as e:
                raise SpecError(f"'{self.text}' is {show(result)}: {e.message}", self.loc) from None
        return result

    def value_before(self):
        """The value before inference: UNKNOWN wherever it depends on a shape."""
        try:
            return _evaluate(self.tree, self.text, self.env, self.loc, lambda name: ANY_SHAPE, None)
        except (SpecError, TypeError, ArithmeticError):
            return UNKNOWN


class _Parameters(Context):
    """Names are parameters; `x.shape[i]` reads a tensor's shape when `shape_of` can give it."""

    def __init__(self, env: Env, text: str, loc: Loc, shape_of, values):
        self.env, self.text, self.loc, self.shape_of, self.values = env, text, loc, shape_of, values

    def name(self, name: str):
        if name not in self.env:
            raise _unknown(name, self.env, self.text, self.loc)
        value = self.env[name]
        if isinstance(value, Deferred):
            if self.values is None:
                if self.shape_of is not None:  # before inference: unknown
                    return value.value_before()
                raise NeedsShapes
            return value.value(self.values)
        return value

    def shape(self, name: str, axis: int):
        if self.shape_of is None:
            raise NeedsShapes
        shape = self.shape_of(name)
        if shape is ANY_SHAPE:
            return UNKNOWN
        if not -len(shape) <= axis < len(shape):
            raise ExprError(f"{name}.shape[{axis}] is out of range: {name} has {len(shape)} axes")
        return shape[axis]


def _unknown(name: str, env: Env, text: str, loc: Loc) -> SpecError:
    if not env.block and not env:
        return SpecError(
            f"'${name}' is used outside a block" if text.strip() == f"${name}" else f"'{text}' is used outside a block",
            loc,
            hint="declare model-wide parameters under a top-level params:",
        )
    what = "block parameter" if env.block else "model parameter"
    return SpecError(f"unknown {what} '${name}'", loc, hint=did_you_mean(name, env))


_TREES: dict[str, object] = {}


def _tree(body: str, text: str, loc: Loc):
    tree = _TREES.get(body)
    if tree is None:
        try:
            tree = parse(body)
        except ExprError as e:
            raise SpecError(f"'{text}': {e}", loc) from None
        if len(_TREES) < 10_000:
            _TREES[body] = tree
    return tree


def _evaluate(tree, text: str, env: Env, loc: Loc, shape_of, values):
    try:
        return plain(evaluate(tree, _Parameters(env, text, loc, shape_of, values)))
    except ExprError as e:
        raise SpecError(f"'{text}': {e}", loc) from None
    except ZeroDivisionError:
        raise SpecError(f"'{text}' divides by zero", loc) from None
    except OverflowError:
        raise SpecError(f"'{text}' overflows: the value is too large", loc) from None
    except TypeError as e:
        raise SpecError(f"'{text}' cannot be computed ({e})", loc) from None


def parameter_value(text: str, env: Env, loc: Loc, ports: dict | None = None):
    """The value of `$name` or of a `$` expression; a Deferred when it reads tensor shapes
    (`ports`: the names of the scope it is written in)."""
    body = text[1:].strip() if text.startswith("$") else text.strip()
    if body in env and not isinstance(env[body], Deferred):
        return env[body]
    tree = _tree(body.replace("$", ""), text, loc)
    try:
        return _evaluate(tree, text, env, loc, None, None)
    except NeedsShapes:
        if ports is None:
            raise SpecError(f"'{text}' reads a tensor's shape, which is not known here", loc) from None
        return Deferred(tree, text, env, loc, ports)


def substitute(value, env: Env, loc: Loc, ports: dict | None = None, memo: dict | None = None):
    """`value` with each `$` text replaced by its value (a Deferred if it reads shapes).

    A value that is exactly `$name` takes the position where the use gave it, so
    that messages point at the number the user wrote.
    """
    if isinstance(value, str):
        if value.startswith(("$", "-$")):
            return parameter_value(value, env, loc, ports)
        if "$" in value:
            raise _not_an_expression(value, loc)
        return value
    if not isinstance(value, (YList, YMap)):
        return value
    if memo is not None and id(value) in memo:
        return memo[id(value)]
    if not _may_substitute(value if isinstance(value, YList) else value.values()):
        if memo is not None:
            memo[id(value)] = value  # nothing to substitute: keep the value as it is
        return value
    memo = {} if memo is None else memo
    if isinstance(value, YList):
        pairs = list(zip(value, value.item_locs))
        result = YList(substitute(item, env, where, ports, memo) for item, where in pairs)
        result.loc, result.item_locs = value.loc, [_origin(item, env, where) for item, where in pairs]
    else:
        result = YMap(
            (k, v if k == "if" else substitute(v, env, value.value_loc(k), ports, memo))  # if: reads its own $
            for k, v in value.items()
        )
        result.loc, result.key_locs = value.loc, value.key_locs
        result.value_locs = {k: _origin(v, env, value.value_loc(k)) for k, v in value.items()}
    memo[id(value)] = result
    return result


def _may_substitute(items) -> bool:
    """Whether some of `items` is a `$` text or a list or mapping (that may hold one)."""
    for item in items:
        if type(item) is str:
            if "$" in item:
                return True
        elif isinstance(item, (YList, YMap)) or isinstance(item, str) and "$" in item:
            return True
    return False


def _not_an_expression(value: str, loc: Loc) -> SpecError:
    """The error for a text with a `$` inside but not at its start (`4 * $w`): it is no expression."""
    if all(value.count(a) == value.count(b) for a, b in ("()", "[]")):
        hint = f"write '${value.replace('$', '')}' (the $ before names inside an expression is optional)"
    else:
        hint = "start the value with $: inside {…}, a value that does not start with $ ends at its first comma"
    return SpecError(f"'{value}' is not an expression: a $ value must start with $", loc, hint=hint)


def deferred_in(value) -> list[Deferred]:
    """The Deferred values in a (possibly nested) value."""
    if isinstance(value, Deferred):
        return [value]
    if isinstance(value, list):
        return [d for item in value for d in deferred_in(item)]
    if isinstance(value, dict):
        return [d for item in value.values() for d in deferred_in(item)]
    return []


def resolved(value, values: dict):
    """A value with its Deferred parts computed from `values` (source → shape)."""
    if isinstance(value, Deferred):
        return value.value(values)
    if isinstance(value, YList):
        result = YList(resolved(item, values) for item in value)
        result.loc, result.item_locs = value.loc, value.item_locs
        return result
    if isinstance(value, list):
        return [resolved(item, values) for item in value]
    if isinstance(value, YMap):  # a nested mapping (a wrapped layer): its positions kept
        return _mapped(value, lambda item: resolved(item, values))
    return value


def resolved_before(value):
    """A value with its Deferred parts as they are known before inference (UNKNOWN if from shapes)."""
    if isinstance(value, Deferred):
        return value.value_before()
    if isinstance(value, list):
        return [resolved_before(item) for item in value]
    if isinstance(value, YMap):
        return _mapped(value, resolved_before)
    return value


def _mapped(value: YMap, change) -> YMap:
    """A copy of a located mapping with change(v) for each value."""
    result = YMap((k, change(v)) for k, v in value.items())
    result.loc, result.key_locs, result.value_locs = value.loc, value.key_locs, value.value_locs
    return result


def _origin(value, env: Env, loc: Loc) -> Loc:
    """Where a value was written: the use's `name: value` for an exact `$name`."""
    if isinstance(value, str) and value.startswith("$"):
        given = env.locs.get(value[1:].strip())
        return given[0] if given else loc
    return loc


def block_env(block: BlockDef, raw: YMap, outer: Env, use_path: str) -> Env:
    """Values of a block's params at one use, checked against their declared kinds (a
    value read from shapes is checked when it is computed)."""
    given = {k: v for k, v in raw.items() if k not in LAYER_KEYS}
    for key in given:
        if key not in block.params:
            raise SpecError(
                f"unknown parameter '{key}' for block {block.name}",
                raw.key_loc(key),
                hint=did_you_mean(key, block.params) or f"its params: {', '.join(block.params) or 'none'}",
            )
    env = Env(outer)
    env.locs, env.block = dict(outer.locs), True
    for name, (kind, default) in block.params.items():
        if name in given:
            value = given[name]
            if isinstance(value, Deferred):
                value.kind = kind
                env[name] = value
            else:
                try:
                    env[name] = kind(value)
                except SpecError as e:
                    raise SpecError(f"{name}: {e.message}", raw.value_loc(name)) from None
            env.locs[name] = (raw.value_loc(name), use_path)
        elif default is not NO_DEFAULT:
            env[name] = default
        else:
            raise SpecError(f"block {block.name} needs the parameter '{name}'", raw.loc)
    return env
