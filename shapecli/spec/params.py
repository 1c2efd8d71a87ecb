"""Block parameters: their values at one block use, and `$` substitution.

A use passes the block's `params` as arguments; `$width` anywhere in the block's
layers is replaced by the value, and a text starting with `$` may be an
expression over the params (`$planes * 4`, `$(kernel - 1) // 2`).
"""

from __future__ import annotations

from ..args import show
from ..errors import Loc, SpecError, did_you_mean
from ..expr import ExprError, evaluate, parse
from ..yamlsrc import YList, YMap
from .schema import LAYER_KEYS, NO_DEFAULT, BlockDef


class Env(dict):
    """Block parameter values (name → value), and where each value was written:
    `locs` maps a name to (position, path of the block use that gave it)."""

    __slots__ = ("locs",)


def substitute(value, env: Env | None, loc: Loc, memo: dict | None = None):
    """`value` with each `$name` string replaced by the block parameter's value.

    A value that is exactly `$name` takes the position where the use gave it, so
    that messages point at the number the user wrote.
    """
    memo = {} if memo is None else memo
    if isinstance(value, str):
        return parameter_value(value, env, loc) if value.startswith("$") else value
    if not isinstance(value, (YList, YMap)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    items = value if isinstance(value, YList) else value.values()
    if not any(isinstance(v, (str, YList, YMap)) and (not isinstance(v, str) or v.startswith("$")) for v in items):
        memo[id(value)] = value  # nothing to substitute: keep the value as it is
        return value
    if isinstance(value, YList):
        pairs = list(zip(value, value.item_locs))
        result = YList(substitute(item, env, where, memo) for item, where in pairs)
        result.loc, result.item_locs = value.loc, [_origin(item, env, where) for item, where in pairs]
    else:
        result = YMap((k, substitute(v, env, value.value_loc(k), memo)) for k, v in value.items())
        result.loc, result.key_locs = value.loc, value.key_locs
        result.value_locs = {k: _origin(v, env, value.value_loc(k)) for k, v in value.items()}
    memo[id(value)] = result
    return result


def _origin(value, env: Env | None, loc: Loc) -> Loc:
    """Where a value was written: the block use's `name: value` for an exact `$name`."""
    if isinstance(value, str) and value.startswith("$") and env is not None:
        given = env.locs.get(value[1:].strip())
        return given[0] if given else loc
    return loc


def parameter_value(text: str, env: dict | None, loc: Loc):
    """The value of `$name`, or of an expression over block parameters that starts
    with `$`: `$planes * 4`, `$(planes + 1) // 2`, `$planes * $t`."""
    body = text[1:].strip()
    if env is None:
        raise SpecError(f"'{text}' is used outside a block", loc)
    if body in env:
        return env[body]

    def lookup(name: str):
        if name not in env:
            raise SpecError(f"unknown block parameter '${name}'", loc, hint=did_you_mean(name, env))
        value = env[name]
        if type(value) not in (int, float):
            raise SpecError(f"'${name}' is {show(value)}, not a number, in '{text}'", loc)
        return value

    try:
        return evaluate(parse(body.replace("$", "")), lookup, _divide)
    except ExprError as e:
        raise SpecError(f"'{text}': {e}", loc) from None
    except ZeroDivisionError:
        raise SpecError(f"'{text}' divides by zero", loc) from None
    except OverflowError:
        raise SpecError(f"'{text}' overflows: the value is too large", loc) from None


def _divide(a, b):
    """a / b: an integer when it divides exactly, else a float."""
    if isinstance(a, int) and isinstance(b, int) and b and a % b == 0:
        return a // b
    return a / b


def block_env(block: BlockDef, raw: YMap, outer: Env | None, use_path: str) -> Env:
    """Values of a block's params at one use, checked against their declared kinds."""
    given = {k: v for k, v in raw.items() if k not in LAYER_KEYS}
    for key in given:
        if key not in block.params:
            raise SpecError(
                f"unknown parameter '{key}' for block {block.name}",
                raw.key_loc(key),
                hint=did_you_mean(key, block.params) or f"its params: {', '.join(block.params) or 'none'}",
            )
    env = Env(outer or {})
    env.locs = dict(outer.locs) if outer is not None else {}
    for name, (kind, default) in block.params.items():
        if name in given:
            try:
                env[name] = kind(given[name])
            except SpecError as e:
                raise SpecError(f"{name}: {e.message}", raw.value_loc(name)) from None
            env.locs[name] = (raw.value_loc(name), use_path)
        elif default is not NO_DEFAULT:
            env[name] = default
        else:
            raise SpecError(f"block {block.name} needs the parameter '{name}'", raw.loc)
    return env
