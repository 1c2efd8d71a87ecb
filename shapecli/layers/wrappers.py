"""Keras' wrappers: TimeDistributed and Bidirectional, each around a layer written in the spec.

The wrapped layer is a mapping under `layer:`, written as a layer of the spec
without `from` (the wrapper gives it its input):

    - {type: TimeDistributed, layer: {type: Dense, units: 8}}
    - {type: Bidirectional, merge_mode: sum, layer: {type: LSTM, units: 16, return_sequences: true}}

Its arguments are checked as a layer's (errors located in the mapping), under the
spec's convention. Keras names the wrapped layer's weights after it: by default its
type as written in Keras' snake case (Dense → dense, SimpleRNN → simple_rnn,
ConvLSTM2D → conv_lstm2d), else its `name:`. Formulas from Keras 3.15
(keras/src/layers/rnn/time_distributed.py, bidirectional.py).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from ..args import Choice, show
from ..dims import AnyShape, format_shape
from ..errors import ShapeError, SpecError, did_you_mean
from ..registry import Arg, Layer, Param, all_type_names, lookup, make_config, register


def keras_name(label: str) -> str:
    """Keras' default name of a layer of class `label` (keras.src.utils.naming.to_snake_case)."""
    name = re.sub(r"\W+", "", label)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class LayerSpec:
    """A wrapped layer as the spec writes it: its type (class and the label written), its
    arguments, its name and where each was written; `config(convention)` validates them."""

    __slots__ = ("cls", "label", "args", "name", "raw", "_configs")

    def __init__(self, cls: type[Layer], label: str, args: dict, name: str, raw):
        self.cls, self.label, self.args, self.name, self.raw = cls, label, args, name, raw
        self._configs: dict = {}

    def locate(self, key, value=True):
        """The position of an argument (its value, or its key), for errors; None without positions."""
        if not hasattr(self.raw, "value_loc"):
            return None
        if key is None:
            return self.raw.loc
        return self.raw.value_loc(key) if value else self.raw.key_loc(key)

    def config(self, convention: str) -> SimpleNamespace:
        """The wrapped layer's validated arguments under `convention` (a located SpecError if invalid)."""
        if convention not in self._configs:
            self._configs[convention] = make_config(self.cls, self.args, convention, self.locate)
        return self._configs[convention]

    def __eq__(self, other) -> bool:
        return isinstance(other, LayerSpec) and (self.cls, self.name, repr(self.args)) == (
            other.cls,
            other.name,
            repr(other.args),
        )

    def __hash__(self) -> int:
        return hash((self.cls, self.name))

    def __str__(self) -> str:
        args = "".join(f", {k}: {show(v)}" for k, v in self.args.items())
        return f"{{type: {self.label}{args}}}"

    __repr__ = __str__


_NOT_INSIDE = ("from", "repeat", "share", "tie", "if", "expect")
"""Layer keys that have no meaning on a wrapped layer: the wrapper places it."""


class WrappedLayer:
    """The `layer:` argument of a wrapper: a mapping {type, name?, …arguments} → LayerSpec."""

    __slots__ = ("accepts", "what")

    def __init__(self, accepts=None, what: str = "a layer"):
        self.accepts, self.what = accepts, what

    def __call__(self, value) -> LayerSpec:
        from ..initializers import is_init_key
        from ..spec.schema import LAYER_NAME

        if not isinstance(value, dict):
            raise SpecError(f"expected {self}, received {show(value)}")
        locate = getattr(value, "value_loc", lambda key: None)
        key_loc = getattr(value, "key_loc", lambda key: None)
        if "type" not in value:
            raise SpecError("the wrapped layer needs a 'type'", getattr(value, "loc", None))
        label = value["type"]
        cls = lookup(label) if isinstance(label, str) else None
        if cls is None:
            hint = did_you_mean(label, all_type_names()) if isinstance(label, str) else None
            raise SpecError(
                f"unknown layer type {show(label)} (a wrapper takes a layer type, not a block)",
                locate("type"),
                hint=hint,
            )
        if self.accepts is not None and not self.accepts(cls):
            raise SpecError(f"wraps {label}, but takes {self.what}", locate("type"))
        if cls.min_inputs > 1:
            raise SpecError(f"wraps {label}, which takes {cls.min_inputs} inputs; a wrapper passes one", locate("type"))
        for key in value:
            if key in _NOT_INSIDE:
                raise SpecError(f"'{key}' has no meaning inside a wrapped layer: write it on the wrapper", key_loc(key))
            if isinstance(key, str) and is_init_key(key):
                raise SpecError(f"write {key} on the wrapper: it starts the wrapped layer's parameters", key_loc(key))
        name = value.get("name", keras_name(label))
        if not isinstance(name, str) or not LAYER_NAME.match(name):
            raise SpecError(f"expected a name of letters, digits, _ and -, received {show(name)}", locate("name"))
        args = {k: v for k, v in value.items() if k not in ("type", "name")}
        return LayerSpec(cls, label, args, name, value)

    def __str__(self) -> str:
        return "a layer {type: …, …arguments}"


def _inner(cfg) -> SimpleNamespace:
    return cfg.layer.config(cfg.convention)


def _with_built_inner(cfg, ins) -> SimpleNamespace:
    """A wrapper's build: its configuration with `inner`, the wrapped layer's built on `ins`."""
    return SimpleNamespace(**{**vars(cfg), "inner": cfg.layer.cls.build(_inner(cfg), ins)})


def _apply(cfg, x):
    """The wrapped layer's output shapes for input `x`, its errors saying so."""
    spec = cfg.layer
    try:
        return spec.cls.output_shape(_inner(cfg), [x])
    except ShapeError as e:
        raise ShapeError(f"wraps {spec.label}, which {e.message}", hint=e.hint) from None


def _named(prefix: str, params: list[Param]) -> list[Param]:
    return [Param(f"{prefix}.{p.name}", p.shape, p.trainable, p.buffer) for p in params]


# -- TimeDistributed ----------------------------------------------------------------------


def _step_input(x):
    """What the wrapped layer receives: the input without its time axis 1, (N, *rest)."""
    if isinstance(x, AnyShape):
        return x
    if len(x) < 3:
        raise ShapeError(f"needs an input of rank ≥ 3 (batch, time, …), receives {format_shape(x)}")
    return (x[0], *x[2:])


@register("TimeDistributed", prefix="time_distributed")
class TimeDistributed(Layer):
    """Applies its layer to every time step: (N, T, *rest) → (N, T, *layer's output[1:]) (Keras TimeDistributed).

    The layer sees (N, *rest) and its parameters are shared by every step. Keras names
    them `<layer name>/…` under the wrapper; under the torch convention they keep the
    layer's own names (PyTorch applies the module to the N·T steps at once).
    """

    args = {"layer": Arg(WrappedLayer(), doc="the layer applied to each step: {type: …, …arguments}")}

    @staticmethod
    def check_args(cfg) -> None:
        inner = _inner(cfg)
        if cfg.layer.cls.max_inputs is not None and cfg.layer.cls.max_inputs < 1:
            raise SpecError(f"wraps {cfg.layer.label}, which takes no input")
        if len(cfg.layer.cls.output_names(inner)) > 1:
            raise SpecError(
                f"wraps {cfg.layer.label} with several outputs; TimeDistributed passes one on",
                cfg.layer.locate(None),
            )

    @staticmethod
    def output_shape(cfg, ins):
        # (N, T, *rest) -> (N', T, *y[1:]) with y = layer((N, *rest))
        (x,) = ins
        (y,) = _apply(cfg, _step_input(x))
        return [(y[0], x[1], *y[1:])]

    @staticmethod
    def build(cfg, ins):
        # the layer built on one step
        return _with_built_inner(cfg, [_step_input(ins[0])])

    @staticmethod
    def params(cfg, ins):
        params = cfg.layer.cls.params(cfg.inner, [_step_input(ins[0])])
        return _named(cfg.layer.name, params) if cfg.convention == "keras" else params

    @staticmethod
    def macs(cfg, ins, outs):
        # T times the layer's
        x, y = ins[0], outs[0]
        step = _step_input(x)
        return x[1] * cfg.layer.cls.macs(cfg.inner, [step], [(y[0], *y[2:])])


# -- Bidirectional ------------------------------------------------------------------------


class MergeMode:
    """concat, sum, mul, ave, or null (the two directions as two outputs)."""

    def __call__(self, value):
        return None if value is None else Choice(("concat", "sum", "mul", "ave"))(value)

    def __str__(self) -> str:
        return "concat|sum|mul|ave|null"


def _recurrent(cls) -> bool:
    from .recurrent import ConvLSTM, Recurrent

    return issubclass(cls, (Recurrent, ConvLSTM))


def _states(cfg) -> tuple[str, ...]:
    """The names of the wrapped layer's state outputs without 'state_' (h, c)."""
    inner = _inner(cfg)
    return tuple(name.removeprefix("state_") for name in cfg.layer.cls.output_names(inner)[1:])


@register("Bidirectional", prefix="bidirectional")
class Bidirectional(Layer):
    """Runs its recurrent layer forwards and backwards and merges the two (Keras Bidirectional).

    merge_mode concat joins the last axes; sum, mul and ave combine them elementwise;
    null gives the two as outputs `forward` and `backward`. With return_state the
    states follow: forward_h, forward_c, backward_h, backward_c. The weights are the
    layer's twice, under forward_<name> and backward_<name>. Keras convention only
    (PyTorch: `bidirectional: true` on the recurrent layer).
    """

    args = {
        "layer": Arg(
            WrappedLayer(_recurrent, "a recurrent layer (SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D)"),
            doc="the recurrent layer: {type: LSTM, units: …}",
        ),
        "merge_mode": Arg(MergeMode(), "concat", doc="how the two directions combine (null: two outputs)"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.convention != "keras":
            raise SpecError(
                "Bidirectional is Keras' wrapper; under the torch and mxnet conventions write "
                "bidirectional: true on the recurrent layer"
            )
        inner = _inner(cfg)
        for flag, why in (
            ("bidirectional", "the wrapper makes it bidirectional"),
            ("go_backwards", "the wrapper runs a copy backwards itself"),
        ):
            if getattr(inner, flag, False):
                raise SpecError(f"the wrapped layer has {flag}: true; {why}", cfg.layer.locate(flag))

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        outputs = ("output",) if cfg.merge_mode is not None else ("forward", "backward")
        states = _states(cfg)
        return (*outputs, *(f"{side}_{s}" for side in ("forward", "backward") for s in states))

    @staticmethod
    def output_shape(cfg, ins):
        # concat: (…, 2F); sum/mul/ave: (…, F); null: (…, F) twice; then the states of both directions
        output, *states = _apply(cfg, ins[0])
        if cfg.merge_mode == "concat":
            merged = [(*output[:-1], 2 * output[-1])]
        elif cfg.merge_mode is None:
            merged = [output, output]
        else:
            merged = [output]
        return merged + states * 2

    @staticmethod
    def build(cfg, ins):
        # the layer built on the input
        return _with_built_inner(cfg, ins)

    @staticmethod
    def params(cfg, ins):
        params = cfg.layer.cls.params(cfg.inner, ins)
        return _named(f"forward_{cfg.layer.name}", params) + _named(f"backward_{cfg.layer.name}", params)

    @staticmethod
    def macs(cfg, ins, outs):
        # twice the layer's
        return 2 * cfg.layer.cls.macs(cfg.inner, ins, cfg.layer.cls.output_shape(_inner(cfg), ins))
