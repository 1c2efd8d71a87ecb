"""Whole transformer stacks in PyTorch's layout: TransformerEncoder, TransformerDecoder, Transformer.

torch/nn/modules/transformer.py: TransformerEncoder and TransformerDecoder hold
`num_layers` copies of their layer under `layers.<i>.` and, when given, a final LayerNorm
under `norm.`; Transformer holds an encoder and a decoder (`encoder.` and `decoder.`), each
with its final LayerNorm(d_model, eps=layer_norm_eps, bias=bias) always. Parameter names
are those of state_dict: `layers.0.self_attn.in_proj_weight`, `norm.weight`,
`encoder.layers.0.linear1.weight`, `decoder.norm.bias`. MACs are the layers' MACs summed.

Transformer checks (its forward) that a batched src and tgt have one batch size and that
both have d_model features; the output has tgt's shape.
"""

from __future__ import annotations

from ..args import Bool, Int
from ..dims import format_dim, format_shape
from ..errors import ShapeError
from ..registry import Arg, Layer, Param, register
from ..shape_math import same_dim
from .attention import (
    _TRANSFORMER_ARGS,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    _norm,
    _sequence,
    build_width,
)

MAX_LAYERS = 1024
"""Most layers one stack takes: each adds its parameters to the listing."""

_NORM = Arg(Bool(), False, doc="a final LayerNorm(d_model, eps=layer_norm_eps, bias=bias) as `norm`")


def _stack(layer: type[Layer], cfg, ins, count: int, norm: bool, prefix: str = "") -> list[Param]:
    """The parameters of `count` copies of `layer` under `<prefix>layers.<i>.`, and `<prefix>norm.`."""
    one = layer.params(cfg, ins)
    params = [Param(f"{prefix}layers.{i}.{p.name}", p.shape, p.trainable, p.buffer) for i in range(count) for p in one]
    if norm:
        params += _norm(f"{prefix}norm", cfg.d_model, cfg.bias)
    return params


class TransformerStack(Layer):
    """Base of TransformerEncoder and TransformerDecoder: `num_layers` copies of `layer` and an
    optional final norm; shapes are one layer's, MACs num_layers times one layer's."""

    layer: type[Layer]

    @classmethod
    def output_shape(cls, cfg, ins):
        # one layer's: encoder (S, N, E) -> (S, N, E); decoder tgt (T, N, E), memory (S, N, E) -> (T, N, E)
        return cls.layer.output_shape(cfg, ins)

    @staticmethod
    def build(cfg, ins):
        # d_model: declared, else the width of input 0
        return build_width(cfg, ins)

    @classmethod
    def params(cls, cfg, ins):
        return _stack(cls.layer, cfg, ins, cfg.num_layers, cfg.norm)

    @classmethod
    def macs(cls, cfg, ins, outs):
        # num_layers * one layer's
        return cfg.num_layers * cls.layer.macs(cfg, ins, outs)


@register("TransformerEncoder", prefix="encoder")
class TransformerEncoder(TransformerStack):
    """num_layers TransformerEncoderLayers and an optional final norm (PyTorch TransformerEncoder)."""

    layer = TransformerEncoderLayer
    args = {
        **_TRANSFORMER_ARGS,
        "num_layers": Arg(Int(1, MAX_LAYERS), doc=f"number of encoder layers (at most {MAX_LAYERS})"),
        "norm": _NORM,
    }


@register("TransformerDecoder", prefix="decoder")
class TransformerDecoder(TransformerStack):
    """num_layers TransformerDecoderLayers and an optional final norm; inputs [tgt, memory]
    (PyTorch TransformerDecoder)."""

    layer = TransformerDecoderLayer
    min_inputs = max_inputs = 2
    args = {
        **_TRANSFORMER_ARGS,
        "num_layers": Arg(Int(1, MAX_LAYERS), doc=f"number of decoder layers (at most {MAX_LAYERS})"),
        "norm": _NORM,
    }


@register("Transformer", prefix="transformer")
class Transformer(Layer):
    """An encoder (on src) and a decoder (on tgt, attending to the encoder's output), each with
    its final norm; inputs [src, tgt], output tgt's shape (PyTorch Transformer)."""

    min_inputs = max_inputs = 2
    args = {
        **_TRANSFORMER_ARGS,
        "nhead": Arg(Int(1), 8, aliases=("num_heads",), doc="number of heads"),
        "num_encoder_layers": Arg(Int(1, MAX_LAYERS), 6, doc="encoder layers"),
        "num_decoder_layers": Arg(Int(1, MAX_LAYERS), 6, doc="decoder layers"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # src (S, N, E), tgt (T, N, E) -> (T, N, E); batched src and tgt share N, both have d_model features
        src, tgt = ins
        batch_src, _, width_src = _sequence(src, cfg.batch_first)
        batch_tgt, _, width_tgt = _sequence(tgt, cfg.batch_first)
        if batch_src is not None and batch_tgt is not None and _differ(batch_src, batch_tgt):
            raise ShapeError(
                f"needs src and tgt of one batch size, receives {format_shape(src)} and {format_shape(tgt)}"
            )
        if _differ(width_src, width_tgt) or (cfg.d_model is not None and _differ(width_src, cfg.d_model)):
            width = format_dim(cfg.d_model if cfg.d_model is not None else width_src)
            raise ShapeError(
                f"needs src and tgt with d_model={width} features, receives {format_shape(src)} and {format_shape(tgt)}"
            )
        memory = TransformerEncoderLayer.output_shape(cfg, [src])[0]
        return TransformerDecoderLayer.output_shape(cfg, [tgt, memory])

    @staticmethod
    def build(cfg, ins):
        # d_model: declared, else the width of src
        return build_width(cfg, ins)

    @staticmethod
    def params(cfg, ins):
        encoder = _stack(TransformerEncoderLayer, cfg, ins[:1], cfg.num_encoder_layers, True, "encoder.")
        return encoder + _stack(TransformerDecoderLayer, cfg, ins, cfg.num_decoder_layers, True, "decoder.")

    @staticmethod
    def macs(cfg, ins, outs):
        # the encoder's layers on src, the decoder's on tgt with memory of src's shape
        src, tgt = ins
        encoder = cfg.num_encoder_layers * TransformerEncoderLayer.macs(cfg, [src], [src])
        return encoder + cfg.num_decoder_layers * TransformerDecoderLayer.macs(cfg, [tgt, src], outs)


def _differ(a, b) -> bool:
    """Whether two sizes that must be equal certainly differ (recording the condition when symbolic)."""
    return same_dim(a, b) is None
