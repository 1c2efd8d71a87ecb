"""The layer-type registry, filled by the @register decorator.

A layer type is a `Layer` subclass holding its arguments and three pure rules:

    output_shape(cfg, ins) -> shape       shapes of the inputs → shape of the output
                                          (a list of shapes for a layer with several outputs)
    params(cfg, ins)       -> [Param]     parameters, named and laid out per cfg.convention
    macs(cfg, ins, out)    -> dim         multiply-accumulates for one forward pass

`cfg` is the validated arguments (attributes) plus `cfg.convention`; `ins` is
the list of input shapes. Before inference, `params` sees `ANY_SHAPE` inputs, so
sizes that depend on the input come out unknown. Rules raise ShapeError when
shapes do not fit; nothing else in shapecli knows a layer type by name.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import ClassVar

from .dims import Unknown
from .errors import SpecError, did_you_mean

REQUIRED = object()
"""Default of an argument that must be given."""


class PerConvention:
    """A default that depends on the convention: `PerConvention(torch=1, keras=-1)`.

    MXNet takes the PyTorch value unless given its own.
    """

    __slots__ = ("values",)

    def __init__(self, **values):
        self.values = values

    def pick(self, convention: str):
        return self.values.get(convention, self.values["torch"])

    def __repr__(self) -> str:
        return " / ".join(f"{k}: {v}" for k, v in self.values.items())


class Arg:
    """One layer argument: its kind, default, other accepted names, description."""

    __slots__ = ("kind", "default", "aliases", "doc")

    def __init__(self, kind, default=REQUIRED, aliases: tuple[str, ...] = (), doc: str = ""):
        self.kind, self.default, self.aliases, self.doc = kind, default, aliases, doc


class Param:
    """One parameter or buffer as a rule describes it, with a local name ('weight';
    nested names use '.', as in 'out_proj.weight', and each convention joins the
    parts its own way).

    `trainable` False marks values the optimizer does not update (Keras moving
    statistics, MXNet running statistics); `buffer` marks PyTorch buffers, which
    are listed but not counted as parameters.
    """

    __slots__ = ("name", "shape", "trainable", "buffer")

    def __init__(self, name: str, shape: tuple, trainable: bool = True, buffer: bool = False):
        self.name, self.shape, self.trainable, self.buffer = name, tuple(shape), trainable, buffer

    def __repr__(self) -> str:
        return f"Param({self.name!r}, {self.shape}, trainable={self.trainable}, buffer={self.buffer})"


class Layer:
    """Base of all layer types; subclasses override the rules they need."""

    type_name: ClassVar[str] = ""
    prefix: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    args: ClassVar[dict[str, Arg]] = {}
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        """Names of the outputs (`from: lstm/h_n`); output_shape returns a list when several."""
        return ("output",)

    @staticmethod
    def index_inputs(cfg, ranks: list[int | None]) -> dict[int, int | None]:
        """The inputs that hold int64 indices, not floats: position → the number of rows they index
        (an Embedding's table), or None where the valid values depend on the data (offsets, pooling
        indices: zeros are valid). `ranks` are the inputs' ranks (None: not known)."""
        return {}

    @staticmethod
    def index_outputs(cfg) -> tuple[int, ...]:
        """The positions of the outputs that are int64 indices, not floats (MaxPool's `indices`)."""
        return ()

    @staticmethod
    def output_shape(cfg, ins):
        raise NotImplementedError

    @staticmethod
    def params(cfg, ins) -> list[Param]:
        return []

    @staticmethod
    def macs(cfg, ins, out):
        return 0

    @staticmethod
    def check_args(cfg) -> None:
        """Checks across arguments, raising SpecError (no shapes are known here)."""


LAYERS: dict[str, type[Layer]] = {}
"""Every name a layer type answers to, lower-cased → its class."""

LAYER_TYPES: list[type[Layer]] = []
"""Each layer type once, in registration order."""


def register(name: str, *aliases: str, prefix: str | None = None):
    """Class decorator: make a Layer subclass available as `type: name` (or an alias)."""

    def decorate(cls: type[Layer]) -> type[Layer]:
        cls.type_name = name
        cls.aliases = aliases
        cls.prefix = prefix or name.lower()
        for word in (name, *aliases):
            if word.lower() in LAYERS:
                raise RuntimeError(f"layer type {word!r} registered twice")
            LAYERS[word.lower()] = cls
        LAYER_TYPES.append(cls)
        return cls

    return decorate


def lookup(name: str) -> type[Layer] | None:
    """The layer type called `name` (any letter case), or None."""
    load_layers()
    return LAYERS.get(name.lower())


def all_type_names() -> list[str]:
    """Every accepted type name, for suggestions."""
    load_layers()
    return [word for cls in LAYER_TYPES for word in (cls.type_name, *cls.aliases)]


_loaded = False


def load_layers() -> None:
    """Import every layer family once (importing fills the registry)."""
    global _loaded
    if not _loaded:
        from . import layers  # noqa: F401

        _loaded = True


def canonical_arg(cls: type[Layer], word: str) -> str | None:
    """The canonical name of argument `word` (or one of its aliases) of `cls`, or None."""
    return _argument_names(cls).get(word)


_NAMES: dict[type, dict[str, str]] = {}


def _argument_names(cls: type[Layer]) -> dict[str, str]:
    """Every name an argument of `cls` is accepted under → its canonical name (computed once per type)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = {
            word: canonical for canonical, arg in cls.args.items() for word in (canonical, *arg.aliases)
        }
    return names


_DEFAULTS: dict[tuple[type, str], dict[str, object]] = {}


def _defaults(cls: type[Layer], convention: str) -> dict[str, object]:
    """The validated default of every argument of `cls` under `convention` (REQUIRED where none)."""
    key = (cls, convention)
    defaults = _DEFAULTS.get(key)
    if defaults is None:
        defaults = {}
        for canonical, arg in cls.args.items():
            default = arg.default.pick(convention) if isinstance(arg.default, PerConvention) else arg.default
            defaults[canonical] = default if default is None or default is REQUIRED else arg.kind(default)
        _DEFAULTS[key] = defaults
    return defaults


def make_config(cls: type[Layer], given: dict, convention: str, locate) -> SimpleNamespace:
    """Validate `given` (argument name → value) for layer type `cls`.

    Aliases are mapped to canonical names, defaults filled in, each value checked
    by its kind. `null` means the default where the default is none or depends on
    the convention, and is refused elsewhere. `locate(key)` gives the position of a
    key's value, for errors.
    """
    by_name = _argument_names(cls)
    values = dict(_defaults(cls, convention))
    spelled: dict[str, str] = {}
    unknown = False
    for key, value in given.items():
        canonical = by_name.get(key)
        if canonical is None:
            raise SpecError(
                f"unknown argument '{key}' for {cls.type_name}",
                hint=did_you_mean(key, by_name) or f"{cls.type_name} takes: {', '.join(cls.args) or 'no arguments'}",
            ).at(locate(key, value=False))
        if canonical in spelled:
            raise SpecError(f"'{key}' and '{spelled[canonical]}' are the same argument; give one").at(
                locate(key, value=False)
            )
        spelled[canonical] = key
        arg = cls.args[canonical]
        if value is None and (arg.default is None or isinstance(arg.default, PerConvention)):
            continue  # null: the default
        if isinstance(value, Unknown):  # read from a shape, before inference: not known yet
            values[canonical], unknown = value, True
            continue
        try:
            values[canonical] = arg.kind(value)
        except SpecError as e:
            # a nested value (a wrapped layer's mapping) may locate its own error
            raise SpecError(f"{key}: {e.message}", e.loc, hint=e.hint).at(locate(key)) from None
    for canonical, value in values.items():
        if value is REQUIRED:
            names = " or ".join((canonical, *cls.args[canonical].aliases))
            raise SpecError(f"{cls.type_name} needs the argument '{names}'").at(locate(None))
    cfg = SimpleNamespace(convention=convention, **values)
    if unknown:
        return cfg
    try:
        cls.check_args(cfg)
    except SpecError as e:
        raise e.at(locate(None)) from None
    return cfg


def index_model_inputs(nodes, shapes: dict) -> dict[str, int | None]:
    """The model inputs that hold int64 indices (Layer.index_inputs of the layers reading them) → the
    fewest rows they index, or None where zeros are what is safe (offsets, pooling indices).

    `nodes` are the model's nodes (their `layer`, `cfg` and `sources`; a model input is a str source),
    `shapes` the model inputs' shapes by name (ranks decide EmbeddingBag's second input)."""
    found: dict[str, int | None] = {}
    for node in nodes:
        ranks = [len(shapes[s]) if isinstance(s, str) and shapes.get(s) is not None else None for s in node.sources]
        for position, limit in node.layer.index_inputs(node.cfg, ranks).items():
            if position >= len(node.sources) or not isinstance(node.sources[position], str):
                continue
            name = node.sources[position]
            if name in found and (found[name] is None or limit is None):
                found[name] = None
            else:
                found[name] = limit if name not in found else min(found[name], limit)
    return found
