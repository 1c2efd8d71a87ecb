"""Initializers in the spec: how each parameter starts, parsed and checked with positions.

A layer names the initializer of each parameter role with a key `<role>_init`;
`init:` at the top of a spec, or in a block, sets defaults for the layers below it:

    - {type: Dense, units: 256, weight_init: xavier_uniform, bias_init: zeros}
    - {type: LSTM, hidden_size: 64, recurrent_init: orthogonal(gain=1.0)}
    init: kaiming_normal(mode=fan_out, nonlinearity=relu)      # the weights of every layer
    init: {weight: "normal(0, 0.01)", bias: zeros}               # several roles

A value is a name, a call (`normal(0, 0.01)`, `kaiming_uniform(a=sqrt(5))`) or
a mapping (`{type: normal, std: 0.01}`). Roles: `weight` (kernels, embeddings,
projections), `bias`, `recurrent` (recurrent kernels), `gamma` and `beta`
(a normalization's scale and shift), `alpha` (PReLU's slopes). Statistics
buffers (running mean and variance) always start as the framework starts them.

A named initializer means what the convention's framework means by that name:
torch.nn.init under the torch and mxnet conventions, keras.initializers under
keras (there `kaiming_normal`/`he_normal` is a truncated normal, and `uniform`
defaults to ±0.05). Nothing here imports numpy: materialize.py draws the values.
"""

from __future__ import annotations

import math
import re

from .args import show
from .errors import Loc, SpecError, did_you_mean

ROLES = ("weight", "bias", "recurrent", "gamma", "beta", "alpha")
"""The parameter roles a spec may initialize."""

NONLINEARITIES = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
)
"""The nonlinearities torch.nn.init.calculate_gain knows."""

_REQUIRED = object()
_NUMBER, _NONNEGATIVE, _POSITIVE = "number", "number ≥ 0", "number > 0"

# name: ((argument, kind, default), …); a default of None is the framework's (see _FRAMEWORK_DEFAULTS)
SIGNATURES: dict[str, tuple] = {
    "zeros": (),
    "ones": (),
    "constant": (("value", _NUMBER, _REQUIRED),),
    "uniform": (("low", _NUMBER, None), ("high", _NUMBER, None)),
    "normal": (("mean", _NUMBER, None), ("std", _NONNEGATIVE, None)),
    "truncated_normal": (
        ("mean", _NUMBER, None),
        ("std", _NONNEGATIVE, None),
        ("a", _NUMBER, None),
        ("b", _NUMBER, None),
    ),
    "xavier_uniform": (("gain", _POSITIVE, 1.0),),
    "xavier_normal": (("gain", _POSITIVE, 1.0),),
    "kaiming_uniform": (
        ("a", _NUMBER, 0.0),
        ("mode", ("fan_in", "fan_out"), "fan_in"),
        ("nonlinearity", NONLINEARITIES, "leaky_relu"),
    ),
    "kaiming_normal": (
        ("a", _NUMBER, 0.0),
        ("mode", ("fan_in", "fan_out"), "fan_in"),
        ("nonlinearity", NONLINEARITIES, "leaky_relu"),
    ),
    "orthogonal": (("gain", _NUMBER, 1.0),),
}

ALIASES = {
    "glorot_uniform": "xavier_uniform",
    "glorot_normal": "xavier_normal",
    "he_uniform": "kaiming_uniform",
    "he_normal": "kaiming_normal",
    "zero": "zeros",
    "one": "ones",
    "trunc_normal": "truncated_normal",
}

_FRAMEWORK_DEFAULTS = {
    # torch.nn.init: uniform_(a=0, b=1), normal_(mean=0, std=1), trunc_normal_(mean=0, std=1, a=-2, b=2)
    "torch": {
        "uniform": {"low": 0.0, "high": 1.0},
        "normal": {"mean": 0.0, "std": 1.0},
        "truncated_normal": {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0},
    },
    # keras.initializers: RandomUniform(-0.05, 0.05), RandomNormal(0, 0.05), TruncatedNormal(0, 0.05) (±2 std)
    "keras": {
        "uniform": {"low": -0.05, "high": 0.05},
        "normal": {"mean": 0.0, "std": 0.05},
        "truncated_normal": {"mean": 0.0, "std": 0.05},
    },
}

_KERAS_NAMES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal"}
_KERAS_NAMES |= {"kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal"}


def semantics_of(convention: str) -> str:
    """Whose initializers a convention's names mean: 'keras' for keras, else 'torch'."""
    return "keras" if convention == "keras" else "torch"


class Initializer:
    """One initializer: a kind ('uniform', 'kaiming_normal', …), its arguments with
    every default filled in, whose meaning ('torch' or 'keras'), where the spec
    wrote it (None for a framework default), and how it is shown.

    Framework defaults also use kinds the spec cannot write: 'bias_uniform'
    (PyTorch's bias, U(±1/√fan_in) of the layer's weight `of`), 'dim_uniform'
    (U(±1/√n), n = axis `axis` of parameter `of`: Bilinear) and
    'unit_forget_bias' (Keras' LSTM bias: `inner` with ones for the forget gate).
    `key` is the spec key it was written under ('bias_init', 'init'), None for a default.
    """

    __slots__ = ("kind", "args", "semantics", "loc", "text", "key")

    def __init__(
        self, kind: str, args: dict, semantics: str, loc: Loc | None = None, text: str | None = None, key=None
    ):
        self.kind, self.args, self.semantics, self.loc, self.key = kind, args, semantics, loc, key
        self.text = text or _default_text(kind, args, semantics)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Initializer({self.text!r})"


def _default_text(kind: str, args: dict, semantics: str) -> str:
    name = _KERAS_NAMES.get(kind, kind) if semantics == "keras" else kind
    shown = [format_number(v) if isinstance(v, float) else str(v) for v in args.values()]
    return f"{name}({', '.join(shown)})" if shown else name


def format_number(value: float) -> str:
    """A number as short as it reads: 0.01, 1, -0.05, 1e-05; √5 for sqrt(5) (it parses back)."""
    for n in (2, 3, 5, 6, 7, 8, 10):
        if abs(abs(value) - math.sqrt(n)) < 1e-12:
            return f"{'-' if value < 0 else ''}√{n}"
    return f"{value:g}"


# -- parsing -----------------------------------------------------------------------------

# patterns compiled on first use (by re's cache): most specs name no initializer
_CALL = r"(?s)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*\Z"
_NUMBER_TEXT = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z"
_ROOT = r"([-+]?)\s*(?:sqrt\s*\(\s*(.+?)\s*\)|√\s*(.+))\Z"


def parse_initializer(value, loc: Loc, semantics: str, key: str | None = None) -> Initializer:
    """An initializer from a spec value (a name, a call string, or `{type: name, …}`) written under `key`."""
    if isinstance(value, str):
        name, given = _parse_call(value, loc)
    elif isinstance(value, dict):
        if "type" not in value:
            raise SpecError(
                "an initializer mapping needs 'type'",
                loc,
                hint="e.g. {type: normal, std: 0.01}, or write it as normal(0, 0.01)",
            )
        name = value["type"]
        if not isinstance(name, str):
            raise SpecError(f"an initializer's type must be a name, received {show(name)}", loc)
        given = [(key, item) for key, item in value.items() if key != "type"]
    else:
        raise SpecError(
            f"an initializer must be a name, a call or a mapping, received {show(value)}",
            loc,
            hint="e.g. xavier_uniform, normal(0, 0.01) or {type: normal, std: 0.01}",
        )
    canonical = ALIASES.get(name.lower(), name.lower())
    if canonical not in SIGNATURES:
        raise SpecError(
            f"unknown initializer '{name}'",
            loc,
            hint=did_you_mean(name, [*SIGNATURES, *ALIASES]) or f"known: {', '.join(SIGNATURES)}",
        )
    args = _bind(canonical, given, loc, semantics)
    shown = ", ".join(text if key is None else f"{key}={text}" for key, text in _written(canonical, given, args))
    display = _KERAS_NAMES.get(canonical, canonical) if semantics == "keras" else canonical
    return Initializer(canonical, args, semantics, loc, f"{display}({shown})" if shown else display, key)


def _parse_call(text: str, loc: Loc) -> tuple[str, list]:
    """('normal', [(None, 0.0), ('std', 0.01)]) from 'normal(0, std=0.01)'."""
    if text.count("(") != text.count(")"):
        raise SpecError(
            f"unbalanced parentheses in the initializer '{text}'",
            loc,
            hint='inside a {…} flow mapping a comma ends the value: quote it, "normal(0, 0.01)"',
        )
    match = re.match(_CALL, text)
    if not match:
        raise SpecError(
            f"cannot read the initializer '{text}'", loc, hint="write e.g. xavier_uniform or normal(0, 0.01)"
        )
    name, inside = match.group(1), match.group(2)
    given = []
    if inside is not None and inside.strip():
        for part in _split_arguments(inside):
            key, equals, value = part.partition("=")
            if equals:
                given.append((key.strip(), value.strip()))
            else:
                given.append((None, part.strip()))
    return name, given


def _split_arguments(inside: str) -> list[str]:
    """Top-level comma-separated parts of an argument list (commas inside sqrt(…) stay)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inside):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(inside[start:i])
            start = i + 1
    parts.append(inside[start:])
    return parts


def _bind(name: str, given: list, loc: Loc, semantics: str) -> dict:
    """The arguments of initializer `name` from what was given, checked, with defaults filled in."""
    signature = SIGNATURES[name]
    names = [arg for arg, _, _ in signature]
    values: dict = {}
    for position, (key, raw) in enumerate(given):
        if key is None:
            if any(k is not None for k, _ in given[:position]):
                raise SpecError(f"{name}: a positional argument follows a named one", loc)
            if position >= len(signature):
                takes = f"takes {', '.join(names)}" if names else "takes no arguments"
                raise SpecError(f"{name} {takes}; received {len(given)} arguments", loc)
            key = names[position]
        if key not in names:
            raise SpecError(
                f"unknown argument '{key}' for the initializer {name}",
                loc,
                hint=did_you_mean(key, names) or (f"it takes {', '.join(names)}" if names else "it takes no arguments"),
            )
        if key in values:
            raise SpecError(f"{name}: argument '{key}' is given twice", loc)
        kind = signature[names.index(key)][1]
        values[key] = _argument(name, key, kind, raw, loc)
    if semantics == "keras" and name == "truncated_normal" and ({"a", "b"} & set(values)):
        raise SpecError(
            "Keras' truncated normal redraws values beyond 2 std of the mean; it takes no bounds a, b",
            loc,
            hint="give mean and std only, or use the torch convention",
        )
    defaults = _FRAMEWORK_DEFAULTS[semantics].get(name, {})
    for arg, _, default in signature:
        if arg in values:
            continue
        if default is _REQUIRED:
            raise SpecError(f"{name} needs the argument '{arg}'", loc, hint=f"e.g. {name}(0.1)")
        if default is None:
            if arg in defaults:
                values[arg] = defaults[arg]
            continue
        values[arg] = default
    ordered = {arg: values[arg] for arg in names if arg in values}
    _check_ranges(name, ordered, loc)
    return ordered


def _argument(name: str, key: str, kind, raw, loc: Loc):
    """One argument value: a number (from YAML, '0.01', 'sqrt(5)', '√5') or one of a set of words."""
    if isinstance(kind, tuple):
        if isinstance(raw, str) and raw.strip().lower() in kind:
            return raw.strip().lower()
        raise SpecError(f"{name}: {key} must be one of {', '.join(kind)}, received {show(raw)}", loc)
    number = _number(raw)
    if number is None:
        raise SpecError(f"{name}: {key} must be a {kind}, received {show(raw)}", loc)
    if (kind == _NONNEGATIVE and number < 0) or (kind == _POSITIVE and number <= 0):
        raise SpecError(f"{name}: {key} must be a {kind}, received {format_number(number)}", loc)
    return number


def _number(raw, roots: bool = True) -> float | None:
    """A finite number from a YAML number or a text: '0.01', '1e-3', 'sqrt(5)', '√5', '-√2'."""
    if type(raw) in (int, float):
        try:
            value = float(raw)
        except OverflowError:
            return None
        return value if math.isfinite(value) else None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if re.match(_NUMBER_TEXT, text):
        value = float(text)
        return value if math.isfinite(value) else None
    root = re.match(_ROOT, text) if roots else None
    if root:
        inner = _number(root.group(2) or root.group(3), roots=False)
        if inner is None or inner < 0:
            return None
        return -math.sqrt(inner) if root.group(1) == "-" else math.sqrt(inner)
    return None


def _check_ranges(name: str, args: dict, loc: Loc) -> None:
    if name == "uniform" and args["low"] > args["high"]:
        raise SpecError(
            f"uniform needs low ≤ high, received low={format_number(args['low'])}, high={format_number(args['high'])}",
            loc,
        )
    if name == "truncated_normal" and "a" in args and args["a"] >= args["b"]:
        raise SpecError(
            f"truncated_normal needs a < b, received a={format_number(args['a'])}, b={format_number(args['b'])}", loc
        )


def _written(name: str, given: list, args: dict) -> list[tuple[str | None, str]]:
    """The arguments as the table shows them: positional for value-like ones, key=value otherwise."""
    positional = name in ("constant", "uniform", "normal")
    keys = [k for k, _, _ in SIGNATURES[name]]
    if positional and given:
        return [(None, format_number(args[k])) for k in keys if k in args]
    shown = []
    for key, _ in given:
        key = key if key is not None else keys[len(shown)]
        value = args[key]
        shown.append((key, format_number(value) if isinstance(value, float) else value))
    return shown


# -- where initializers are written ----------------------------------------------------------


def scope_initializers(value, loc: Loc, outer: dict, semantics: str) -> dict:
    """The role → Initializer defaults of an `init:` key, over those of the enclosing scope.

    `init: NAME` (or a call, or `{type: …}`) sets the weights; `init: {weight: …, bias: …}` several roles.
    """
    if isinstance(value, str) or (isinstance(value, dict) and "type" in value):
        return {**outer, "weight": parse_initializer(value, loc, semantics, "init")}
    if not isinstance(value, dict):
        raise SpecError(
            f"init must be an initializer or a mapping of roles to initializers, received {show(value)}",
            loc,
            hint="e.g. init: xavier_uniform, or init: {weight: xavier_uniform, bias: zeros}",
        )
    result = dict(outer)
    for role, item in value.items():
        if role not in ROLES:
            raise SpecError(
                f"unknown parameter role '{role}' in init",
                value.key_loc(role),
                hint=did_you_mean(str(role), ROLES) or f"roles: {', '.join(ROLES)}",
            )
        result[role] = parse_initializer(item, value.value_loc(role), semantics, "init")
    return result


def is_init_key(key: str) -> bool:
    """Whether a layer key names an initializer (`weight_init`, `bias_init`, …)."""
    return isinstance(key, str) and key.endswith("_init")


def layer_initializers(raw, type_name: str, roles: tuple[str, ...], inherited: dict, semantics: str) -> dict:
    """The role → Initializer map of one layer: its own `<role>_init` keys over the inherited defaults.

    `raw` is the layer's YAML mapping; `roles` the roles its type has.
    """
    result = {role: init for role, init in inherited.items() if role in roles}
    for key in raw:
        if not is_init_key(key):
            continue
        role = key[: -len("_init")]
        if role not in roles:
            if roles:
                hint = _framework_name_hint(role, roles) or did_you_mean(key, [f"{r}_init" for r in roles])
                hint = hint or "its roles: " + ", ".join(f"{r}_init" for r in roles)
                message = f"{type_name} has no parameter role '{role}' to initialize"
            else:
                hint, message = None, f"{type_name} has no parameters to initialize ('{key}')"
            raise SpecError(message, raw.key_loc(key), hint=hint)
        result[role] = parse_initializer(raw[key], raw.value_loc(key), semantics, key)
    return result


def _framework_name_hint(role: str, roles: tuple[str, ...]) -> str | None:
    """The role a framework's parameter name stands for, where the names differ (PyTorch's
    BatchNorm weight is the scale, gamma)."""
    if "gamma" in roles and role in ("weight", "scale", "bias"):
        shift = ", its shift beta_init (PyTorch's bias)" if "beta" in roles else ""
        return f"a normalization's scale is gamma_init (PyTorch's weight){shift}"
    if roles == ("alpha",) and role == "weight":
        return "PReLU's slopes are alpha_init (PyTorch's weight)"
    return None
