"""The torch bridge for modules: torch module class → shapecli layer type and arguments.

`MODULES` maps a class (by its public dotted name) to a `ModuleRule`: the
layer type, and a function that reads the module's configuration into the
arguments a spec writes (PyTorch's own argument names; defaults left out).
An attribute the layer type cannot express must have the framework's default,
else the function raises `Refused` saying which — the import then fails rather
than write a different model. `REFUSED` lists the classes with no layer type,
each with the reason. A subclass that keeps its base's `forward` maps as the
base does; any other module is traced through.

Only `shapecli import torch` imports this module (and with it torch).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from ..records import NamedTuple

from torch import nn


class Refused(Exception):
    """The module's configuration has no equivalent in the layer type; the message says what."""


class ModuleRule(NamedTuple):
    """How a module class becomes a layer.

    `results` says how the module's return value maps onto the layer's outputs:
    None for one tensor, else a nested tuple of output indices (LSTM: (0, (1, 2))).
    `inputs` is how many of the forward's first parameters are the layer's inputs;
    `call` turns the call's other arguments (with defaults filled in) into more
    arguments, refusing what the layer type cannot express; without it they must
    keep their defaults.
    """

    layer: str
    args: Callable[[nn.Module], dict]
    results: object = None
    inputs: int = 1
    call: Callable[[dict], dict] | None = None


def _same(values) -> int | list:
    """A tuple of sizes as a spec writes it: one int when all are equal."""
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    return values[0] if len(set(values)) == 1 else list(values)


def _default(module: nn.Module, attribute: str, default, why: str = "") -> None:
    value = getattr(module, attribute)
    if value != default:
        raise Refused(f"{attribute}={value!r} (only {default!r}{': ' + why if why else ''})")


def _optional(args: dict, key: str, value, default) -> dict:
    """Add `key: value` unless it is the default."""
    if value != default:
        args[key] = value
    return args


def _no_args(_module) -> dict:
    return {}


# -- layers with parameters -------------------------------------------------------


def _linear(m: nn.Linear) -> dict:
    return _optional({"out_features": m.out_features}, "bias", m.bias is not None, True)


def _bilinear(m: nn.Bilinear) -> dict:
    return _optional({"out_features": m.out_features}, "bias", m.bias is not None, True)


def _conv(m: nn.modules.conv._ConvNd) -> dict:
    args = {"out_channels": m.out_channels, "kernel_size": _same(m.kernel_size)}
    _optional(args, "stride", _same(m.stride), 1)
    padding = m.padding if isinstance(m.padding, str) else _same(m.padding)
    _optional(args, "padding", padding, 0)
    if args.get("padding") == "valid":
        del args["padding"]
    _optional(args, "dilation", _same(m.dilation), 1)
    _optional(args, "groups", m.groups, 1)
    _optional(args, "bias", m.bias is not None, True)
    if m.transposed:
        _optional(args, "output_padding", _same(m.output_padding), 0)
    _optional(args, "padding_mode", m.padding_mode, "zeros")
    return args


def _batch_norm(m: nn.modules.batchnorm._BatchNorm) -> dict:
    if m.momentum is None:
        raise Refused("momentum=None (a cumulative average; the layer type takes a number)")
    args = _optional({}, "eps", m.eps, 1e-5)
    _optional(args, "momentum", m.momentum, 0.1)
    _optional(args, "affine", m.affine, True)
    return _optional(args, "track_running_stats", m.track_running_stats, True)


def _sync_batch_norm(m: nn.SyncBatchNorm) -> dict:
    return {"axis": 1, **_batch_norm(m)}


def _instance_norm(m: nn.modules.instancenorm._InstanceNorm) -> dict:
    _default(m, "momentum", 0.1)
    args = _optional({}, "eps", m.eps, 1e-5)
    _optional(args, "affine", m.affine, False)
    return _optional(args, "track_running_stats", m.track_running_stats, False)


def _layer_norm(m: nn.LayerNorm) -> dict:
    args = {"normalized_shape": list(m.normalized_shape)}
    _optional(args, "eps", m.eps, 1e-5)
    _optional(args, "elementwise_affine", m.elementwise_affine, True)
    if m.elementwise_affine:
        _optional(args, "bias", m.bias is not None, True)
    return args


def _channel_layer_norm(m: nn.LayerNorm) -> dict:
    """torchvision's LayerNorm2d: a LayerNorm over the channel axis of (N, C, H, W)."""
    if len(m.normalized_shape) != 1:
        raise Refused(f"normalized_shape={tuple(m.normalized_shape)} (only one channel size)")
    args = {"axis": 1}
    _optional(args, "eps", m.eps, 1e-5)
    _optional(args, "elementwise_affine", m.elementwise_affine, True)
    if m.elementwise_affine:
        _optional(args, "bias", m.bias is not None, True)
    return args


def _rms_norm(m: nn.RMSNorm) -> dict:
    args = {"normalized_shape": list(m.normalized_shape)}
    _optional(args, "eps", m.eps, None)
    return _optional(args, "elementwise_affine", m.elementwise_affine, True)


def _group_norm(m: nn.GroupNorm) -> dict:
    args = {"num_groups": m.num_groups}
    _optional(args, "eps", m.eps, 1e-5)
    return _optional(args, "affine", m.affine, True)


def _local_response_norm(m: nn.LocalResponseNorm) -> dict:
    _default(m, "alpha", 1e-4, "the layer type has no alpha")
    _default(m, "beta", 0.75, "the layer type has no beta")
    _default(m, "k", 1.0, "the layer type has no k")
    return {"size": m.size}


def _prelu(m: nn.PReLU) -> dict:
    return _optional({}, "num_parameters", m.num_parameters, 1)


def _embedding(m: nn.Embedding) -> dict:
    _default(m, "max_norm", None, "the layer type does not renormalize")
    _default(m, "scale_grad_by_freq", False)
    _default(m, "sparse", False)
    args = {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim}
    return _optional(args, "padding_idx", m.padding_idx, None)


def _recurrent(m: nn.RNNBase) -> dict:
    args = {"hidden_size": m.hidden_size}
    _optional(args, "num_layers", m.num_layers, 1)
    _optional(args, "bias", m.bias, True)
    _optional(args, "batch_first", m.batch_first, False)
    _optional(args, "dropout", float(m.dropout), 0.0)
    _optional(args, "bidirectional", m.bidirectional, False)
    if isinstance(m, nn.LSTM):
        _optional(args, "proj_size", m.proj_size, 0)
    if isinstance(m, nn.RNN):
        _optional(args, "nonlinearity", m.nonlinearity, "tanh")
    return args


def _attention(m: nn.MultiheadAttention) -> dict:
    args = {"embed_dim": m.embed_dim, "num_heads": m.num_heads}
    if m.kdim != m.embed_dim:
        args["kdim"] = m.kdim
    if m.vdim != m.embed_dim:
        args["vdim"] = m.vdim
    _optional(args, "bias", m.in_proj_bias is not None, True)
    _optional(args, "add_bias_kv", m.bias_k is not None, False)
    _optional(args, "add_zero_attn", m.add_zero_attn, False)
    _optional(args, "dropout", float(m.dropout), 0.0)
    return _optional(args, "batch_first", m.batch_first, False)


def _transformer_layer(m) -> dict:
    activation = {1: "relu", 2: "gelu"}.get(m.activation_relu_or_gelu)
    if activation is None:
        raise Refused(f"activation={m.activation!r} (only relu or gelu)")
    attention = m.self_attn
    if attention.bias_k is not None or attention.add_zero_attn or attention.kdim != attention.embed_dim:
        raise Refused("its self-attention has add_bias_kv, add_zero_attn or kdim (the layer type has none)")
    args = {"d_model": attention.embed_dim, "nhead": attention.num_heads}
    _optional(args, "dim_feedforward", m.linear1.out_features, 2048)
    _optional(args, "dropout", float(m.dropout.p), 0.1)
    _optional(args, "activation", activation, "relu")
    _optional(args, "layer_norm_eps", m.norm1.eps, 1e-5)
    _optional(args, "batch_first", attention.batch_first, False)
    _optional(args, "norm_first", m.norm_first, False)
    return _optional(args, "bias", m.linear1.bias is not None, True)


def _attention_call(options: dict) -> dict:
    for name in ("key_padding_mask", "attn_mask"):
        if options.get(name) is not None:
            raise Refused(f"is called with {name} (the layer type takes no mask)")
    if options.get("is_causal"):
        raise Refused("is called with is_causal=True (the layer type takes no mask)")
    return {} if options.get("average_attn_weights", True) else {"average_attn_weights": False}


def _transformer_call(options: dict) -> dict:
    for name, value in options.items():
        if value not in (None, False):
            raise Refused(f"is called with {name} (the layer type takes no mask)")
    return {}


# -- layers without parameters ------------------------------------------------------


def _activation_with(**defaults) -> Callable[[nn.Module], dict]:
    """Arguments of an activation: the given attributes, when not their defaults."""

    def args(m: nn.Module) -> dict:
        result = {}
        for name, default in defaults.items():
            _optional(result, name, getattr(m, name), default)
        return result

    return args


def _gelu(m: nn.GELU) -> dict:
    _default(m, "approximate", "none", "the tanh approximation is another function")
    return {}


def _softplus(m: nn.Softplus) -> dict:
    _default(m, "beta", 1.0, "the layer type has no beta")
    _default(m, "threshold", 20.0, "the layer type has no threshold")
    return {}


def _softmax(m: nn.Module) -> dict:
    if m.dim is None:
        raise Refused("dim=None (an implicit, deprecated axis choice; give dim)")
    return {"dim": m.dim}


def _glu(m: nn.GLU) -> dict:
    return _optional({}, "dim", m.dim, -1)


def _threshold(m: nn.Threshold) -> dict:
    return {"threshold": m.threshold, "value": m.value}


def _hardtanh(m: nn.Hardtanh) -> dict:
    args = _optional({}, "min_val", m.min_val, -1.0)
    return _optional(args, "max_val", m.max_val, 1.0)


def _dropout(m: nn.modules.dropout._DropoutNd) -> dict:
    return _optional({}, "p", float(m.p), 0.5)


def _flatten(m: nn.Flatten) -> dict:
    args = _optional({}, "start_dim", m.start_dim, 1)
    return _optional(args, "end_dim", m.end_dim, -1)


def _unflatten(m: nn.Unflatten) -> dict:
    return {"dim": m.dim, "unflattened_size": list(m.unflattened_size)}


def _pool(m: nn.Module) -> dict:
    if getattr(m, "return_indices", False):
        raise Refused("return_indices=True (the layer type has one output)")
    if getattr(m, "divisor_override", None) is not None:
        raise Refused(f"divisor_override={m.divisor_override} (the layer type has none)")
    args = {"kernel_size": _same(m.kernel_size)}
    stride = _same(m.stride) if m.stride is not None else None
    if stride is not None and stride != args["kernel_size"]:
        args["stride"] = stride
    _optional(args, "padding", _same(m.padding), 0)
    if hasattr(m, "dilation"):
        _optional(args, "dilation", _same(m.dilation), 1)
    _optional(args, "ceil_mode", m.ceil_mode, False)
    if hasattr(m, "count_include_pad"):
        _optional(args, "count_include_pad", m.count_include_pad, True)
    return args


def _adaptive_pool(m: nn.Module) -> dict:
    if getattr(m, "return_indices", False):
        raise Refused("return_indices=True (the layer type has one output)")
    size = m.output_size
    if isinstance(size, tuple):
        return {"output_size": _same(size) if None not in size else list(size)}
    return {"output_size": size}


def _upsample(m: nn.Upsample) -> dict:
    if m.recompute_scale_factor:
        raise Refused("recompute_scale_factor=True (the layer type has none)")
    args = {}
    if m.size is not None:
        args["size"] = _same(m.size)
    if m.scale_factor is not None:
        factor = _same(m.scale_factor)
        args["scale_factor"] = factor
    _optional(args, "mode", m.mode, "nearest")
    if m.align_corners is not None:
        args["align_corners"] = bool(m.align_corners)
    return args


def _padding(m: nn.Module) -> dict:
    return {"padding": _same(m.padding)}


def _constant_padding(m: nn.Module) -> dict:
    return _optional(_padding(m), "value", float(m.value), 0.0)


def _torchvision_permute(m) -> dict:
    return {"dims": list(m.dims)}


MODULES: dict[str, ModuleRule] = {
    "torch.nn.Linear": ModuleRule("Linear", _linear),
    "torch.nn.Bilinear": ModuleRule("Bilinear", _bilinear, inputs=2),
    "torch.nn.Conv1d": ModuleRule("Conv1d", _conv),
    "torch.nn.Conv2d": ModuleRule("Conv2d", _conv),
    "torch.nn.Conv3d": ModuleRule("Conv3d", _conv),
    "torch.nn.ConvTranspose1d": ModuleRule("ConvTranspose1d", _conv),
    "torch.nn.ConvTranspose2d": ModuleRule("ConvTranspose2d", _conv),
    "torch.nn.ConvTranspose3d": ModuleRule("ConvTranspose3d", _conv),
    "torch.nn.BatchNorm1d": ModuleRule("BatchNorm1d", _batch_norm),
    "torch.nn.BatchNorm2d": ModuleRule("BatchNorm2d", _batch_norm),
    "torch.nn.BatchNorm3d": ModuleRule("BatchNorm3d", _batch_norm),
    "torch.nn.SyncBatchNorm": ModuleRule("BatchNormalization", _sync_batch_norm),
    "torch.nn.InstanceNorm1d": ModuleRule("InstanceNorm1d", _instance_norm),
    "torch.nn.InstanceNorm2d": ModuleRule("InstanceNorm2d", _instance_norm),
    "torch.nn.InstanceNorm3d": ModuleRule("InstanceNorm3d", _instance_norm),
    "torch.nn.LayerNorm": ModuleRule("LayerNorm", _layer_norm),
    "torch.nn.RMSNorm": ModuleRule("RMSNorm", _rms_norm),
    "torch.nn.GroupNorm": ModuleRule("GroupNorm", _group_norm),
    "torch.nn.LocalResponseNorm": ModuleRule("LocalResponseNorm", _local_response_norm),
    "torch.nn.PReLU": ModuleRule("PReLU", _prelu),
    "torch.nn.Embedding": ModuleRule("Embedding", _embedding),
    "torch.nn.LSTM": ModuleRule("LSTM", _recurrent, (0, (1, 2))),
    "torch.nn.GRU": ModuleRule("GRU", _recurrent, (0, 1)),
    "torch.nn.RNN": ModuleRule("RNN", _recurrent, (0, 1)),
    "torch.nn.MultiheadAttention": ModuleRule("MultiheadAttention", _attention, (0, 1), 3, _attention_call),
    "torch.nn.TransformerEncoderLayer": ModuleRule(
        "TransformerEncoderLayer", _transformer_layer, call=_transformer_call
    ),
    "torch.nn.TransformerDecoderLayer": ModuleRule(
        "TransformerDecoderLayer", _transformer_layer, inputs=2, call=_transformer_call
    ),
    "torch.nn.ReLU": ModuleRule("ReLU", _no_args),
    "torch.nn.ReLU6": ModuleRule("ReLU6", _no_args),
    "torch.nn.LeakyReLU": ModuleRule("LeakyReLU", _activation_with(negative_slope=0.01)),
    "torch.nn.ELU": ModuleRule("ELU", _activation_with(alpha=1.0)),
    "torch.nn.CELU": ModuleRule("CELU", _activation_with(alpha=1.0)),
    "torch.nn.SELU": ModuleRule("SELU", _no_args),
    "torch.nn.GELU": ModuleRule("GELU", _gelu),
    "torch.nn.SiLU": ModuleRule("SiLU", _no_args),
    "torch.nn.Mish": ModuleRule("Mish", _no_args),
    "torch.nn.Sigmoid": ModuleRule("Sigmoid", _no_args),
    "torch.nn.Tanh": ModuleRule("Tanh", _no_args),
    "torch.nn.Hardswish": ModuleRule("Hardswish", _no_args),
    "torch.nn.Hardsigmoid": ModuleRule("Hardsigmoid", _no_args),
    "torch.nn.Hardtanh": ModuleRule("Hardtanh", _hardtanh),
    "torch.nn.Softplus": ModuleRule("Softplus", _softplus),
    "torch.nn.Softsign": ModuleRule("Softsign", _no_args),
    "torch.nn.Softshrink": ModuleRule("Softshrink", _activation_with(lambd=0.5)),
    "torch.nn.Hardshrink": ModuleRule("Hardshrink", _activation_with(lambd=0.5)),
    "torch.nn.Tanhshrink": ModuleRule("Tanhshrink", _no_args),
    "torch.nn.Threshold": ModuleRule("Threshold", _threshold),
    "torch.nn.LogSigmoid": ModuleRule("LogSigmoid", _no_args),
    "torch.nn.Softmax": ModuleRule("Softmax", _softmax),
    "torch.nn.LogSoftmax": ModuleRule("LogSoftmax", _softmax),
    "torch.nn.Softmin": ModuleRule("Softmin", _softmax),
    "torch.nn.GLU": ModuleRule("GLU", _glu),
    "torch.nn.Identity": ModuleRule("Identity", _no_args),
    "torch.nn.Dropout": ModuleRule("Dropout", _dropout),
    "torch.nn.Dropout1d": ModuleRule("Dropout1d", _dropout),
    "torch.nn.Dropout2d": ModuleRule("Dropout2d", _dropout),
    "torch.nn.Dropout3d": ModuleRule("Dropout3d", _dropout),
    "torch.nn.AlphaDropout": ModuleRule("AlphaDropout", _dropout),
    "torch.nn.FeatureAlphaDropout": ModuleRule("FeatureAlphaDropout", _dropout),
    "torch.nn.Flatten": ModuleRule("Flatten", _flatten),
    "torch.nn.Unflatten": ModuleRule("Unflatten", _unflatten),
    "torch.nn.MaxPool1d": ModuleRule("MaxPool1d", _pool),
    "torch.nn.MaxPool2d": ModuleRule("MaxPool2d", _pool),
    "torch.nn.MaxPool3d": ModuleRule("MaxPool3d", _pool),
    "torch.nn.AvgPool1d": ModuleRule("AvgPool1d", _pool),
    "torch.nn.AvgPool2d": ModuleRule("AvgPool2d", _pool),
    "torch.nn.AvgPool3d": ModuleRule("AvgPool3d", _pool),
    "torch.nn.AdaptiveAvgPool1d": ModuleRule("AdaptiveAvgPool1d", _adaptive_pool),
    "torch.nn.AdaptiveAvgPool2d": ModuleRule("AdaptiveAvgPool2d", _adaptive_pool),
    "torch.nn.AdaptiveAvgPool3d": ModuleRule("AdaptiveAvgPool3d", _adaptive_pool),
    "torch.nn.AdaptiveMaxPool1d": ModuleRule("AdaptiveMaxPool1d", _adaptive_pool),
    "torch.nn.AdaptiveMaxPool2d": ModuleRule("AdaptiveMaxPool2d", _adaptive_pool),
    "torch.nn.AdaptiveMaxPool3d": ModuleRule("AdaptiveMaxPool3d", _adaptive_pool),
    "torch.nn.Upsample": ModuleRule("Upsample", _upsample),
    "torch.nn.UpsamplingNearest2d": ModuleRule("Upsample", _upsample),
    "torch.nn.UpsamplingBilinear2d": ModuleRule("Upsample", _upsample),
    "torch.nn.ZeroPad1d": ModuleRule("ZeroPad1d", _padding),
    "torch.nn.ZeroPad2d": ModuleRule("ZeroPad2d", _padding),
    "torch.nn.ZeroPad3d": ModuleRule("ZeroPad3d", _padding),
    "torch.nn.ConstantPad1d": ModuleRule("ConstantPad1d", _constant_padding),
    "torch.nn.ConstantPad2d": ModuleRule("ConstantPad2d", _constant_padding),
    "torch.nn.ConstantPad3d": ModuleRule("ConstantPad3d", _constant_padding),
    "torch.nn.ReflectionPad1d": ModuleRule("ReflectionPad1d", _padding),
    "torch.nn.ReflectionPad2d": ModuleRule("ReflectionPad2d", _padding),
    "torch.nn.ReflectionPad3d": ModuleRule("ReflectionPad3d", _padding),
    "torch.nn.ReplicationPad1d": ModuleRule("ReplicationPad1d", _padding),
    "torch.nn.ReplicationPad2d": ModuleRule("ReplicationPad2d", _padding),
    "torch.nn.ReplicationPad3d": ModuleRule("ReplicationPad3d", _padding),
    "torchvision.ops.misc.Permute": ModuleRule("Permute", _torchvision_permute),
    "torchvision.models.convnext.LayerNorm2d": ModuleRule("LayerNorm", _channel_layer_norm),
}
"""Module class (public dotted name) → how it becomes a layer."""

_NO_TYPE = "no shapecli layer type does this yet"
_LOSS = "a loss function, not a layer of the model"
_LAZY = "an uninitialized lazy module: run one forward pass first, so that its parameters have shapes"

REFUSED: dict[str, str] = {
    "torch.nn.AdaptiveLogSoftmaxWithLoss": _LOSS,
    "torch.nn.BCELoss": _LOSS,
    "torch.nn.BCEWithLogitsLoss": _LOSS,
    "torch.nn.CTCLoss": _LOSS,
    "torch.nn.CosineEmbeddingLoss": _LOSS,
    "torch.nn.CrossEntropyLoss": _LOSS,
    "torch.nn.GaussianNLLLoss": _LOSS,
    "torch.nn.HingeEmbeddingLoss": _LOSS,
    "torch.nn.HuberLoss": _LOSS,
    "torch.nn.KLDivLoss": _LOSS,
    "torch.nn.L1Loss": _LOSS,
    "torch.nn.LinearCrossEntropyLoss": _LOSS,
    "torch.nn.MSELoss": _LOSS,
    "torch.nn.MarginRankingLoss": _LOSS,
    "torch.nn.MultiLabelMarginLoss": _LOSS,
    "torch.nn.MultiLabelSoftMarginLoss": _LOSS,
    "torch.nn.MultiMarginLoss": _LOSS,
    "torch.nn.NLLLoss": _LOSS,
    "torch.nn.NLLLoss2d": _LOSS,
    "torch.nn.PoissonNLLLoss": _LOSS,
    "torch.nn.SmoothL1Loss": _LOSS,
    "torch.nn.SoftMarginLoss": _LOSS,
    "torch.nn.TripletMarginLoss": _LOSS,
    "torch.nn.TripletMarginWithDistanceLoss": _LOSS,
    "torch.nn.LazyLinear": _LAZY,
    "torch.nn.LazyConv1d": _LAZY,
    "torch.nn.LazyConv2d": _LAZY,
    "torch.nn.LazyConv3d": _LAZY,
    "torch.nn.LazyConvTranspose1d": _LAZY,
    "torch.nn.LazyConvTranspose2d": _LAZY,
    "torch.nn.LazyConvTranspose3d": _LAZY,
    "torch.nn.LazyBatchNorm1d": _LAZY,
    "torch.nn.LazyBatchNorm2d": _LAZY,
    "torch.nn.LazyBatchNorm3d": _LAZY,
    "torch.nn.LazyInstanceNorm1d": _LAZY,
    "torch.nn.LazyInstanceNorm2d": _LAZY,
    "torch.nn.LazyInstanceNorm3d": _LAZY,
    "torch.nn.Transformer": "a whole encoder-decoder whose forward torch.fx cannot follow; "
    "import the TransformerEncoderLayer/DecoderLayer stacks instead",
    "torch.nn.TransformerEncoder": "its forward checks tensor properties (the fast path) that torch.fx cannot "
    "follow; a ModuleList of TransformerEncoderLayer imports",
    "torch.nn.TransformerDecoder": "its forward checks tensor properties that torch.fx cannot follow; "
    "a ModuleList of TransformerDecoderLayer imports",
    "torch.nn.LSTMCell": _NO_TYPE + " (a single recurrent step)",
    "torch.nn.GRUCell": _NO_TYPE + " (a single recurrent step)",
    "torch.nn.RNNCell": _NO_TYPE + " (a single recurrent step)",
    "torch.nn.EmbeddingBag": _NO_TYPE + " (bags of embeddings reduced by offsets)",
    "torch.nn.PixelShuffle": _NO_TYPE,
    "torch.nn.PixelUnshuffle": _NO_TYPE,
    "torch.nn.ChannelShuffle": _NO_TYPE,
    "torch.nn.Fold": _NO_TYPE,
    "torch.nn.Unfold": _NO_TYPE,
    "torch.nn.CosineSimilarity": _NO_TYPE,
    "torch.nn.PairwiseDistance": _NO_TYPE,
    "torch.nn.CircularPad1d": _NO_TYPE + " (circular padding)",
    "torch.nn.CircularPad2d": _NO_TYPE + " (circular padding)",
    "torch.nn.CircularPad3d": _NO_TYPE + " (circular padding)",
    "torch.nn.CrossMapLRN2d": _NO_TYPE,
    "torch.nn.FractionalMaxPool2d": _NO_TYPE + " (random output sizes)",
    "torch.nn.FractionalMaxPool3d": _NO_TYPE + " (random output sizes)",
    "torch.nn.LPPool1d": _NO_TYPE + " (power-average pooling)",
    "torch.nn.LPPool2d": _NO_TYPE + " (power-average pooling)",
    "torch.nn.LPPool3d": _NO_TYPE + " (power-average pooling)",
    "torch.nn.MaxUnpool1d": _NO_TYPE,
    "torch.nn.MaxUnpool2d": _NO_TYPE,
    "torch.nn.MaxUnpool3d": _NO_TYPE,
    "torch.nn.RReLU": _NO_TYPE + " (a randomized leaky ReLU)",
    "torch.nn.Softmax2d": _NO_TYPE + " (write Softmax with dim=-3)",
    "torch.nn.DataParallel": "a wrapper for training on several devices: import the module it wraps",
    "torchvision.ops.stochastic_depth.StochasticDepth": _NO_TYPE
    + " (drops whole residual branches while training; a shape-preserving layer type for it is missing)",
}
"""Module class (public dotted name) → why it cannot be imported."""

CONTAINERS = ("torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict")
"""Module classes that only hold other modules: traced through, their blocks named after their path."""


class Rules:
    """The tables resolved to classes (torchvision's only if the model imported torchvision)."""

    def __init__(self):
        self.mapped = _classes(MODULES)
        self.refused = _classes(REFUSED)

    def for_module(self, module: nn.Module) -> tuple[str, ModuleRule | str] | None:
        """(class name, the rule or the refusal reason) for a module, or None to trace through it.

        A subclass is mapped as its base only if it keeps the base's forward.
        """
        cls = type(module)
        for base in cls.__mro__:
            if base in self.mapped or base in self.refused:
                if base is not cls and cls.forward is not base.forward:
                    return None
                name = self.mapped.get(base) or self.refused[base]
                return name, MODULES[name] if base in self.mapped else REFUSED[name]
        return None


def _resolve(name: str) -> type | None:
    """The class called `name`; torchvision classes only when torchvision is already imported."""
    module_name, _, class_name = name.rpartition(".")
    module = sys.modules.get(module_name)
    if module is None and module_name.startswith("torch."):
        module = importlib.import_module(module_name)
    return getattr(module, class_name, None) if module is not None else None


def _classes(table: dict) -> dict[type, str]:
    return {cls: name for name in table if (cls := _resolve(name)) is not None}


def is_container(module: nn.Module) -> bool:
    """A plain Sequential, ModuleList or ModuleDict (not a subclass with its own forward)."""
    return type(module) in (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def owns_state(module: nn.Module) -> bool:
    """Whether the module itself (not its children) holds parameters or buffers."""
    return any(True for _ in module.parameters(recurse=False)) or any(True for _ in module.buffers(recurse=False))
