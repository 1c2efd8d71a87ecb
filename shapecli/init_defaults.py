"""What each parameter starts as when the spec names no initializer: each framework's
own default, per layer family and convention, and the role each parameter plays.

    PyTorch (torch/nn/modules/*.py reset_parameters, torch 2.13)
      Linear, Conv*, ConvTranspose*  weight kaiming_uniform(a=√5); bias U(±1/√fan_in), fan_in of the
                                     weight as init._calculate_fan_in_and_fan_out computes it (a
                                     transposed weight (in, out/groups, *k) counts dim 1)
      Bilinear                       weight and bias U(±1/√in1_features) (weight.size(1))
      Embedding                      N(0, 1); the padding_idx row zeros
      RNN, LSTM, GRU                 every weight and bias U(±1/√hidden_size)
      RNNCell, LSTMCell, GRUCell     the same (RNNCellBase.reset_parameters)
      EmbeddingBag                   as Embedding: N(0, 1), the padding_idx row zeros
      TransformerEncoder/Decoder     each layer's own defaults (the given layer deep-copied), the norm's
      Transformer                    xavier_uniform for every parameter of more than one axis
                                     (Transformer._reset_parameters), the biases and norms as their layers
      MultiheadAttention             in-projection xavier_uniform, its bias and out_proj.bias zeros,
                                     out_proj.weight as Linear, bias_k/bias_v xavier_normal
      norms                          weight ones, bias zeros; running_mean 0, running_var 1
      PReLU                          0.25
    Keras 3 (keras/src/layers, 3.15)
      kernels glorot_uniform (MultiHeadAttention's with the einsum's input and output axes as
      fans); recurrent kernels orthogonal; biases zeros, LSTM's forget gate ones
      (unit_forget_bias); Embedding uniform(±0.05); BatchNormalization gamma and moving_variance
      ones, beta and moving_mean zeros; PReLU zeros; keras_hub PositionEmbedding glorot_uniform
    MXNet Gluon (python/mxnet/gluon, 2.0)
      every weight without its own initializer takes the global default of
      Block.initialize(), initializer.Uniform(0.07); biases zeros; BatchNorm gamma and
      running_var ones, beta and running_mean zeros; PReLU alpha 0.25
    Types a framework does not have take the family's usual choice there (Keras: glorot_uniform
    kernels, zero biases); torchvision's ViT starts its class token at zeros and its position
    embedding at N(0, 0.02), which the torch convention follows.
    Keras' own types (3.15): Normalization mean, count zeros and variance ones; Attention scale
    and concat_score_weight ones; AdditiveAttention scale glorot_uniform; EinsumDense kernel
    glorot_uniform with the einsum's input and output letters as fans, bias zeros; ConvLSTM as
    LSTM (kernel glorot_uniform, recurrent kernel orthogonal, unit_forget_bias); TimeDistributed
    and Bidirectional: their layer's.
    Standalone tensors (layers/tensors.py): a Parameter or Buffer starts as its `init` argument
    says, zeros without one (torch.zeros, as nn.Parameter(torch.zeros(…)) is written); the
    scope's `init:` does not reach it. LayerScale's gamma starts at init_values (torch.ones(C)
    * layer_scale in torchvision's ConvNeXt, Constant(init_values) in Keras').
"""

from __future__ import annotations

import math

from .records import NamedTuple
from .initializers import Initializer, parse_initializer, semantics_of


class ParamInit(NamedTuple):
    """How one parameter starts: its role (None: a statistics buffer the spec cannot set),
    the framework default, and for Keras the axes its fans are counted over (None: compute_fans)."""

    role: str | None
    default: Initializer
    fan_axes: tuple | None = None


def _t(kind: str, text: str | None = None, **args) -> Initializer:
    return Initializer(kind, args, "torch", None, text)


def _k(kind: str, text: str | None = None, **args) -> Initializer:
    return Initializer(kind, args, "keras", None, text)


ZEROS, ONES = _t("zeros"), _t("ones")
TORCH_WEIGHT = _t("kaiming_uniform", "kaiming_uniform(a=√5)", a=math.sqrt(5), mode="fan_in", nonlinearity="leaky_relu")
KERAS_KERNEL = _k("xavier_uniform", "glorot_uniform", gain=1.0)
KERAS_RECURRENT = _k("orthogonal", "orthogonal", gain=1.0)
MXNET_WEIGHT = _t("uniform", "uniform(±0.07)", low=-0.07, high=0.07)


def _torch_bias(weight: str) -> Initializer:
    """PyTorch's bias: U(±1/√fan_in) with the fan_in of the layer's weight."""
    return _t("bias_uniform", "uniform(±1/√fan_in)", of=weight)


def _weight_or_bias(cfg, local: str, convention: str, weight: str = "weight") -> ParamInit:
    """Linear and convolution layers: a weight (kernel) and a bias."""
    if local.endswith("bias"):
        default = _torch_bias(weight) if convention == "torch" else ZEROS
        return ParamInit("bias", default)
    return ParamInit("weight", {"torch": TORCH_WEIGHT, "keras": KERAS_KERNEL}.get(convention, MXNET_WEIGHT))


def _separable(cfg, local: str, convention: str) -> ParamInit:
    # torch: two Conv modules (depthwise, pointwise); keras: depthwise_kernel, pointwise_kernel, bias
    return _weight_or_bias(cfg, local, convention, "pointwise.weight")


def _bilinear(cfg, local: str, convention: str) -> ParamInit:
    role = "bias" if local == "bias" else "weight"
    if convention == "torch":
        return ParamInit(role, _t("dim_uniform", "uniform(±1/√in1_features)", of="weight", axis=1))
    return _weight_or_bias(cfg, local, convention)


def _embedding(cfg, local: str, convention: str) -> ParamInit:
    if convention == "keras":
        return ParamInit("weight", _k("uniform", "uniform(-0.05, 0.05)", low=-0.05, high=0.05))
    if convention == "mxnet":
        return ParamInit("weight", MXNET_WEIGHT)
    padding = cfg.padding_idx
    if padding is None:
        return ParamInit("weight", _t("normal", "normal(0, 1)", mean=0.0, std=1.0))
    row = padding % cfg.num_embeddings
    return ParamInit("weight", _t("normal", f"normal(0, 1), row {row} zeros", mean=0.0, std=1.0, zero_row=row))


def _position(cfg, local: str, convention: str) -> ParamInit:
    default = {
        "torch": _t("normal", "normal(0, 0.02)", mean=0.0, std=0.02),
        "keras": KERAS_KERNEL,
    }.get(convention, MXNET_WEIGHT)
    return ParamInit("weight", default)


def _class_token(cfg, local: str, convention: str) -> ParamInit:
    return ParamInit("weight", ZEROS)


def _standalone(cfg, local: str, convention: str) -> ParamInit:
    # a Parameter or Buffer: its `init` argument (the convention's meaning of the name), else zeros
    if cfg.init is None:
        return ParamInit(None, ZEROS)
    return ParamInit(None, parse_initializer(cfg.init, None, semantics_of(convention), "init"))


def _layer_scale(cfg, local: str, convention: str) -> ParamInit:
    value = cfg.init_values
    return ParamInit("gamma", _t("constant", f"constant({value:g})", value=value))


def _prelu(cfg, local: str, convention: str) -> ParamInit:
    return ParamInit("alpha", ZEROS if convention == "keras" else _t("constant", "constant(0.25)", value=0.25))


_STATISTICS = {
    "running_mean": ZEROS,
    "running_var": ONES,
    "num_batches_tracked": ZEROS,
    "moving_mean": ZEROS,
    "moving_variance": ONES,
    "mean": ZEROS,
    "variance": ONES,
    "count": ZEROS,
}


def _norm(cfg, local: str, convention: str) -> ParamInit:
    name = local.rsplit(".", 1)[-1]
    if name in _STATISTICS:
        return ParamInit(None, _STATISTICS[name])
    if name in ("weight", "gamma", "scale"):
        return ParamInit("gamma", ONES)
    return ParamInit("beta", ZEROS)


def _recurrent(cfg, local: str, convention: str, lstm: bool = False) -> ParamInit:
    recurrent = "weight_hh" in local or "h2h_weight" in local or local.endswith("recurrent_kernel")
    role = "recurrent" if recurrent else "bias" if "bias" in local else "weight"
    if convention == "torch":
        bound = 1 / math.sqrt(cfg.hidden_size)
        return ParamInit(role, _t("uniform", "uniform(±1/√hidden_size)", low=-bound, high=bound))
    if convention == "mxnet":
        return ParamInit(role, ZEROS if role == "bias" else MXNET_WEIGHT)
    if role == "bias":
        if lstm:
            return ParamInit(
                role, _k("unit_forget_bias", "zeros, forget gate ones", inner=ZEROS, units=cfg.hidden_size)
            )
        return ParamInit(role, ZEROS)
    return ParamInit(role, KERAS_RECURRENT if recurrent else KERAS_KERNEL)


def _lstm(cfg, local: str, convention: str) -> ParamInit:
    return _recurrent(cfg, local, convention, lstm=True)


def _attention(cfg, local: str, convention: str) -> ParamInit:
    if convention == "keras":
        # EinsumDense kernels: query/key/value (dim, heads, head_dim), output (heads, head_dim, width)
        if local.endswith("bias"):
            return ParamInit("bias", ZEROS)
        axes = ((0, 1), (2,)) if local.startswith("attention_output") else ((0,), (1, 2))
        return ParamInit("weight", KERAS_KERNEL, axes)
    return _torch_attention(local, convention)


def _torch_attention(local: str, convention: str) -> ParamInit:
    """nn.MultiheadAttention's parameters (also inside the transformer layers), by local name:
    in_proj_weight or q/k/v_proj_weight, in_proj_bias, bias_k, bias_v, out_proj.weight, out_proj.bias."""
    role = "bias" if "bias" in local else "weight"
    if convention != "torch":
        return ParamInit(role, ZEROS if role == "bias" else KERAS_KERNEL if convention == "keras" else MXNET_WEIGHT)
    if local == "out_proj.weight":
        return ParamInit(role, TORCH_WEIGHT)
    if local in ("bias_k", "bias_v"):
        return ParamInit(role, _t("xavier_normal", "xavier_normal", gain=1.0))
    if role == "bias":
        return ParamInit(role, ZEROS)
    return ParamInit(role, _t("xavier_uniform", "xavier_uniform", gain=1.0))


def _transformer(cfg, local: str, convention: str) -> ParamInit:
    module, _, name = local.rpartition(".")
    if module.startswith(("self_attn", "multihead_attn")):
        return _torch_attention(local.split(".", 1)[1], convention)
    if module.startswith("norm"):
        return _norm(cfg, name, convention)
    return _weight_or_bias(cfg, name, convention, f"{module}.weight")


def _stack_layer(local: str) -> str:
    """A stack's parameter name below its layer: 'layers.3.linear1.weight' → 'linear1.weight' (the final
    norm's 'norm.weight' stays)."""
    if local.startswith("layers."):
        return local.split(".", 2)[2]
    return local


def _in_stack(spec: ParamInit, prefix: str) -> ParamInit:
    """A layer's ParamInit inside a stack: a bias bound by its weight names that weight with the prefix."""
    default = spec.default
    if "of" not in default.args:
        return spec
    moved = Initializer(default.kind, {**default.args, "of": prefix + default.args["of"]}, default.semantics)
    moved.text = default.text
    return spec._replace(default=moved)


def _transformer_stack(cfg, local: str, convention: str) -> ParamInit:
    inner = _stack_layer(local)
    return _in_stack(_transformer(cfg, inner, convention), local[: len(local) - len(inner)])


def _transformer_whole(cfg, local: str, convention: str) -> ParamInit:
    # nn.Transformer re-initializes every parameter of more than one axis with xavier_uniform
    inner = _stack_layer(local.split(".", 1)[1])
    spec = _in_stack(_transformer(cfg, inner, convention), local[: len(local) - len(inner)])
    two_axes = inner.endswith("weight") and not inner.startswith("norm")
    if convention == "torch" and two_axes:
        return ParamInit(spec.role, _t("xavier_uniform", "xavier_uniform", gain=1.0))
    return spec


def _normalization(cfg, local: str, convention: str) -> ParamInit:
    return ParamInit(None, _STATISTICS[local])


def _attention_scalar(cfg, local: str, convention: str) -> ParamInit:
    # Attention's scalar scale and concat_score_weight start at ones
    return ParamInit("gamma", ONES)


def _additive_scale(cfg, local: str, convention: str) -> ParamInit:
    # AdditiveAttention's scale (dim,): glorot_uniform with fans (dim, dim), in every convention
    return ParamInit("weight", KERAS_KERNEL)


def _einsum_dense(cfg, local: str, convention: str) -> ParamInit:
    if local == "bias":
        return ParamInit("bias", ZEROS)
    # Keras' VarianceScaling over the kernel letters of the input (fan in) and of the output (fan out)
    letters_in, letters_kernel, letters_out, _ = cfg.equation.parts
    outputs = tuple(i for i, c in enumerate(letters_kernel) if c in letters_out)
    inputs = tuple(i for i, c in enumerate(letters_kernel) if c not in letters_out)
    return ParamInit("weight", KERAS_KERNEL, (inputs, outputs))


def _conv_lstm(cfg, local: str, convention: str) -> ParamInit:
    name = local.rsplit(".", 1)[-1]
    if name == "bias":
        return ParamInit("bias", _k("unit_forget_bias", "zeros, forget gate ones", inner=ZEROS, units=cfg.filters))
    return ParamInit(
        "recurrent" if name == "recurrent_kernel" else "weight",
        KERAS_RECURRENT if name == "recurrent_kernel" else KERAS_KERNEL,
    )


def _wrapped(cfg, local: str, convention: str) -> ParamInit:
    """A wrapper's parameter: its layer's, named without the wrapper's prefix."""
    spec = cfg.layer
    inner = spec.config(convention)
    for prefix in (spec.name, f"forward_{spec.name}", f"backward_{spec.name}"):
        if convention == "keras" and local.startswith(prefix + "."):
            local = local[len(prefix) + 1 :]
            break
    family = family_of(spec.cls)
    return family.describe(inner, local, convention) if family else UNKNOWN_INIT


class Family(NamedTuple):
    """The parameter roles of a layer family, and how each parameter starts."""

    roles: tuple[str, ...]
    describe: object
    """describe(cfg, local name, convention) -> ParamInit"""


_WEIGHT_BIAS = ("weight", "bias")
_NORM = ("gamma", "beta")

FAMILIES: dict[str, Family] = {
    "core.Dense": Family(_WEIGHT_BIAS, _weight_or_bias),
    "conv.Conv": Family(_WEIGHT_BIAS, _weight_or_bias),
    "conv.ConvTranspose": Family(_WEIGHT_BIAS, _weight_or_bias),
    "conv.DepthwiseConv": Family(_WEIGHT_BIAS, _weight_or_bias),
    "conv.SeparableConv": Family(_WEIGHT_BIAS, _separable),
    "core.Bilinear": Family(_WEIGHT_BIAS, _bilinear),
    "core.Embedding": Family(("weight",), _embedding),
    "core.PositionalEmbedding": Family(("weight",), _position),
    "core.ClassToken": Family(("weight",), _class_token),
    "activation.PReLU": Family(("alpha",), _prelu),
    "norm.BatchNormBase": Family(_NORM, _norm),
    "norm.LayerNorm": Family(_NORM, _norm),
    "norm.GroupNorm": Family(_NORM, _norm),
    "norm.InstanceNormBase": Family(_NORM, _norm),
    "norm.RMSNorm": Family(("gamma",), _norm),
    "recurrent.Recurrent": Family(("weight", "recurrent", "bias"), _recurrent),
    "recurrent.LSTM": Family(("weight", "recurrent", "bias"), _lstm),
    "attention.MultiheadAttention": Family(_WEIGHT_BIAS, _attention),
    "attention.TransformerEncoderLayer": Family(("weight", "bias", "gamma", "beta"), _transformer),
    "attention.TransformerDecoderLayer": Family(("weight", "bias", "gamma", "beta"), _transformer),
    "cells.Cell": Family(("weight", "recurrent", "bias"), _recurrent),
    "core.EmbeddingBag": Family(("weight",), _embedding),
    "transformer.TransformerEncoder": Family(("weight", "bias", "gamma", "beta"), _transformer_stack),
    "transformer.TransformerDecoder": Family(("weight", "bias", "gamma", "beta"), _transformer_stack),
    "transformer.Transformer": Family(("weight", "bias", "gamma", "beta"), _transformer_whole),
    "preprocessing.Normalization": Family((), _normalization),
    "attention.Attention": Family(("gamma",), _attention_scalar),
    "attention.AdditiveAttention": Family(("weight",), _additive_scale),
    "core.EinsumDense": Family(_WEIGHT_BIAS, _einsum_dense),
    "recurrent.ConvLSTM": Family(("weight", "recurrent", "bias"), _conv_lstm),
    "wrappers.TimeDistributed": Family(("weight", "recurrent", "bias", "gamma", "beta", "alpha"), _wrapped),
    "wrappers.Bidirectional": Family(("weight", "recurrent", "bias"), _wrapped),
    "tensors.Standalone": Family((), _standalone),
    "tensors.LayerScale": Family(("gamma",), _layer_scale),
}
"""Layer family (a Layer class, named as `module.Class` under shapecli/layers, so that this table
imports no family; its subclasses share the entry) → roles and defaults. Types without an entry
have no parameters."""

_NAMES: dict[type, str] = {}


def _name(cls: type) -> str:
    """`module.Class` for a class of shapecli/layers (a FAMILIES key), the full dotted name otherwise."""
    name = _NAMES.get(cls)
    if name is None:
        name = _NAMES[cls] = f"{cls.__module__}.{cls.__qualname__}".removeprefix(f"{__package__}.layers.")
    return name


def family_of(layer: type) -> Family | None:
    """The entry of a layer type: its own, or its nearest base class's."""
    for cls in layer.__mro__:
        family = FAMILIES.get(_name(cls))
        if family is not None:
            return family
    return None


def roles_of(layer: type) -> tuple[str, ...]:
    """The roles a spec may initialize on a layer of this type."""
    family = family_of(layer)
    return family.roles if family else ()


UNKNOWN_INIT = ParamInit(None, Initializer("unknown", {}, "torch", None, "?"))
"""What a parameter of a type without an entry gets: shown as '?', refused by init and run."""


def param_init(layer: type, cfg, local: str, given: dict) -> tuple[ParamInit, Initializer]:
    """(the parameter's ParamInit, the initializer it gets): the spec's for its role, else the default."""
    family = family_of(layer)
    if family is None:
        return UNKNOWN_INIT, UNKNOWN_INIT.default
    spec = family.describe(cfg, local, cfg.convention)
    chosen = given.get(spec.role) if spec.role is not None else None
    if chosen is None:
        return spec, spec.default
    if spec.default.kind == "unit_forget_bias":  # Keras keeps the forget gate at ones around the given bias
        units = spec.default.args["units"]
        text = f"{chosen}, forget gate ones"
        wrapped = Initializer(
            "unit_forget_bias", {"inner": chosen, "units": units}, "keras", chosen.loc, text, chosen.key
        )
        return spec, wrapped
    return spec, chosen
