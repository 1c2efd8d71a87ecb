"""The spec's schema: which keys are allowed where, and the checked values of the simple ones
(input shapes, block definitions and parameters, the `check:` key, names)."""

from __future__ import annotations

import re

from ..records import NamedTuple
from ..args import AnyValue, Bool, Choice, Float, Int, ListOf, Str, show
from ..dims import MAX_RANK, MAX_SIZE, UNKNOWN, Expr
from ..errors import Loc, SpecError, did_you_mean
from ..registry import Layer, lookup
from ..yamlsrc import YList, YMap
from .model import CheckPlan, InputDecl

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
"""Names of inputs, blocks and block parameters."""
LAYER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
"""Names of layers (may start with a digit: torchvision's `layer1.0`)."""
TOP_KEYS = ("convention", "params", "init", "inputs", "layers", "outputs", "blocks", "check")
CHECK_KEYS = ("inputs", "convention", "set", "expect", "max_memory")
BLOCK_KEYS = ("params", "init", "inputs", "layers", "outputs")
LAYER_KEYS = ("name", "type", "from", "repeat", "share", "tie", "if", "expect")
CONVENTION_NAMES = ("torch", "keras", "mxnet")
PARAM_KINDS = {"int": Int(), "float": Float(), "bool": Bool(), "str": Str(), "list": ListOf(), "any": AnyValue()}
NO_DEFAULT = object()
"""Default of a block parameter that must be given."""


def expect(value, kind: type, what: str, loc: Loc):
    """`value` if it is of `kind` (YMap, YList or str), else a located SpecError."""
    if not isinstance(value, kind):
        wanted = {YMap: "a mapping", YList: "a list", str: "a name"}[kind]
        raise SpecError(f"{what} must be {wanted}, received {show(value)}", loc)
    return value


def check_keys(mapping: YMap, allowed, what: str) -> None:
    """A located SpecError (with a did-you-mean) for the first key of `mapping` not in `allowed`."""
    for key in mapping:
        if key not in allowed:
            raise SpecError(
                f"unknown {what} '{key}'",
                mapping.key_loc(key),
                hint=did_you_mean(key, allowed) or f"expected one of: {', '.join(allowed)}",
            )


def check_name(name, what: str, loc: Loc, pattern=NAME) -> str:
    """`name` if it is a valid name, else a located SpecError."""
    expect(name, str, what, loc)
    if not pattern.match(name):
        raise SpecError(f"{what} '{name}' is not a valid name (letters, digits, '_' and '-'; no '.' or '/')", loc)
    return name


def names(value, what: str, loc: Loc) -> list[tuple[str, Loc]]:
    """A name or a list of names, each with its position."""
    if isinstance(value, str):
        return [(value, loc)]
    expect(value, YList, what, loc)
    return [(expect(item, str, what, item_loc), item_loc) for item, item_loc in zip(value, value.item_locs)]


class BlockDef(NamedTuple):
    """A block definition: its parameters (name → (kind, default)), inputs, layers, outputs."""

    name: str
    params: dict[str, tuple]
    inputs: list[str]
    layers: YList
    outputs: list[tuple[str, Loc]] | None
    loc: Loc
    init: dict
    """Role → Initializer of the block's `init:` (defaults for its layers)."""


def input_decls(root: YMap) -> dict[str, InputDecl]:
    """The model inputs of `inputs:` (default: one input `x` whose shape --input gives)."""
    if "inputs" not in root:
        return {"x": InputDecl("x", None, root.loc)}
    declared = expect(root["inputs"], YMap, "inputs", root.value_loc("inputs"))
    if not declared:
        raise SpecError("'inputs:' is empty", root.value_loc("inputs"))
    result = {}
    for name, dims in declared.items():
        check_name(name, "input name", declared.key_loc(name))
        result[name] = InputDecl(name, declared_shape(dims, declared.value_loc(name)), declared.key_loc(name))
    return result


def block_def(name: str, definition, blocks: YMap, convention: str) -> BlockDef:
    """A checked block definition."""
    loc = blocks.key_loc(name)
    check_name(name, "block name", loc)
    if lookup(name) is not None:
        raise SpecError(f"block name '{name}' is already a layer type", loc)
    expect(definition, YMap, f"block '{name}'", blocks.value_loc(name))
    check_keys(definition, BLOCK_KEYS, "block key")
    if "layers" not in definition:
        raise SpecError(f"block '{name}' has no 'layers:'", definition.loc)
    params = {}
    declared = expect(definition.get("params", YMap()), YMap, "params", definition.value_loc("params"))
    for param, spec in declared.items():
        params[param] = param_decl(param, spec, declared.value_loc(param))
    inputs = [
        check_name(n, "block input", loc)
        for n, loc in names(definition.get("inputs", "x"), "block inputs", definition.value_loc("inputs"))
    ]
    outputs = None
    if "outputs" in definition:
        outputs = names(definition["outputs"], "block outputs", definition.value_loc("outputs"))
    layers = expect(definition["layers"], YList, "layers", definition.value_loc("layers"))
    init = {}
    if "init" in definition:
        from ..initializers import scope_initializers, semantics_of

        init = scope_initializers(definition["init"], definition.value_loc("init"), {}, semantics_of(convention))
    return BlockDef(name, params, inputs, layers, outputs, loc, init)


def check_plans(root: YMap) -> list[CheckPlan]:
    """The `check:` key: one variant `{inputs: {name: 2x3x224x224 or [2, 3, 224, 224]}, convention,
    set: {param: value}, expect: {…}}`, or a list of them. Every value keeps its position."""
    if "check" not in root:
        return [CheckPlan([], None)]
    given = root["check"]
    if isinstance(given, YList):
        if not given:
            raise SpecError("'check:' is an empty list", root.value_loc("check"))
        return [
            _check_plan(expect(item, YMap, "a check variant", loc), loc) for item, loc in zip(given, given.item_locs)
        ]
    return [_check_plan(expect(given, YMap, "check", root.value_loc("check")), root.value_loc("check"))]


def _check_plan(plan: YMap, loc: Loc) -> CheckPlan:
    from ..dims import parse_shape
    from ..errors import InputError

    check_keys(plan, CHECK_KEYS, "key of check")
    convention = value(Choice(CONVENTION_NAMES), plan, "convention") if "convention" in plan else None
    inputs, input_locs = [], []
    given = plan.get("inputs", YMap())
    if isinstance(given, (str, YList)):
        given = {None: given}
    elif not isinstance(given, YMap):
        raise SpecError(
            f"check inputs must be a mapping of input names to shapes, received {show(given)}", plan.value_loc("inputs")
        )
    for name, shape in given.items():
        where = given.value_loc(name) if isinstance(given, YMap) else plan.value_loc("inputs")
        if isinstance(shape, str):
            try:
                inputs.append((name, parse_shape(shape)))
            except InputError as e:
                raise SpecError(e.message, where) from None
        else:
            inputs.append((name, declared_shape(shape, where)))
        input_locs.append(where)
    settings, set_locs = None, None
    if "set" in plan:
        settings = expect(plan["set"], YMap, "check set", plan.value_loc("set"))
        set_locs = {key: settings.value_loc(key) for key in settings}
    expectations, expect_locs = None, None
    if "expect" in plan:
        expectations = expect(plan["expect"], YMap, "check expect", plan.value_loc("expect"))
        expect_locs = {key: expectations.value_loc(key) for key in expectations}
    limit = _memory_limit(plan)
    return CheckPlan(inputs, convention, settings, expectations, loc, tuple(input_locs), set_locs, expect_locs, limit)


def _memory_limit(plan: YMap):
    """`max_memory: 16GiB` of a check variant, with where it is written."""
    from ..errors import InputError

    if "max_memory" not in plan:
        return None
    from ..memory.budget import MemoryLimit, parse_size

    loc = plan.value_loc("max_memory")
    try:
        return MemoryLimit(parse_size(plan["max_memory"]), loc)
    except InputError as e:
        raise SpecError(f"check max_memory: {e.message}", loc, hint=e.hint) from None


def convention_of(root: YMap) -> str | None:
    """The convention a spec names at its top level (`convention: keras`), if any."""
    if "convention" not in root:
        return None
    return value(Choice(CONVENTION_NAMES), root, "convention")


def param_decl(name: str, spec, loc: Loc) -> tuple:
    """(kind, default) of a block parameter declared as `int` or `{type: int, default: 3}`."""
    default = NO_DEFAULT
    if isinstance(spec, YMap):
        check_keys(spec, ("type", "default"), "key of a block parameter")
        if "default" in spec:
            default = spec["default"]
        loc, spec = spec.value_loc("type"), spec.get("type", "any")
    if not isinstance(spec, str) or spec not in PARAM_KINDS:
        raise SpecError(f"parameter '{name}' has type {show(spec)}; expected one of {', '.join(PARAM_KINDS)}", loc)
    kind = PARAM_KINDS[spec]
    if default is not NO_DEFAULT:
        try:
            default = kind(default)
        except SpecError as e:
            raise SpecError(f"default of '{name}': {e.message}", loc) from None
    return kind, default


def declared_shape(dims, loc: Loc) -> tuple:
    """A shape written in `inputs:`: a list of ints ≥ 0, symbol names and nulls."""
    expect(dims, YList, "an input shape", loc)
    if len(dims) > MAX_RANK:
        raise SpecError(f"the input shape has {len(dims)} axes; shapecli handles at most {MAX_RANK}", loc)
    shape = []
    for dim, dim_loc in zip(dims, dims.item_locs):
        if dim is None:
            shape.append(UNKNOWN)
        elif type(dim) is int and 0 <= dim <= MAX_SIZE:
            shape.append(dim)
        elif type(dim) is int and dim > MAX_SIZE:
            raise SpecError(f"a dimension is at most 2^63 - 1 (int64), received {show(dim)}", dim_loc)
        elif isinstance(dim, str) and NAME.match(dim) and "-" not in dim:
            shape.append(Expr.symbol(dim))
        else:
            raise SpecError(f"a dimension must be an integer ≥ 0, a name or null, received {show(dim)}", dim_loc)
    return tuple(shape)


def value(kind, raw: YMap, key: str):
    """raw[key] checked by `kind`; an error is located at the value."""
    try:
        return kind(raw[key])
    except SpecError as e:
        raise SpecError(f"{key}: {e.message}", raw.value_loc(key)) from None


def check_arity(layer: type[Layer], count: int, raw: YMap) -> None:
    """A located SpecError unless `layer` takes `count` inputs."""
    low, high = layer.min_inputs, layer.max_inputs
    if low <= count and (high is None or count <= high):
        return
    if high == low:
        wanted = f"{low} input{'s' if low > 1 else ''}"
    elif high is None:
        wanted = f"at least {low} inputs"
    else:
        wanted = f"{low} to {high} inputs"
    raise SpecError(f"{layer.type_name} takes {wanted}, receives {count}", raw.value_loc("from"))
