"""The numpy backend: every layer type's forward pass in inference mode, one table.

    LAYERS[type_name](cfg, xs, params) -> array, or a list of arrays for a layer with several outputs

`cfg` holds the validated arguments and `cfg.convention`; `xs` are the input
arrays in the layer's input order; `params` the layer's parameters and buffers
by local name ('weight', 'out_proj.bias', 'lstm_cell.kernel'), laid out as the
convention stores them. Semantics follow the convention's framework: PyTorch
for torch and mxnet, Keras 3 (as it computes on its torch backend) for keras.
Inference mode: dropout and noise layers pass their input through, batch
normalization uses its running statistics (batch statistics where PyTorch
does, without them).

Everything is float32: parameters and inputs arrive as float32, constants are
Python floats (which numpy keeps at the array's precision), and the run checks
every output's dtype. Convolutions are im2col (sliding_window_view) and one
matmul; transposed convolutions the same on the stride-dilated input; only
recurrent layers loop, over time steps. The functions live in numpy_layers/,
one module per family; a function raises `Refusal` for arguments it cannot run
(the run reports it at the layer). `REFUSED` names the types this backend does
not run at all, with the reason (none today); a guard test keeps `LAYERS` and
`REFUSED` together equal to the registry.
"""

from __future__ import annotations

import numpy as np

from .numpy_layers.activation import (
    activation_layer,
    celu,
    elu,
    gelu_layer,
    glu,
    hardshrink,
    keras_relu,
    leaky_relu,
    log_softmax,
    prelu,
    rrelu,
    softmax,
    softplus_layer,
    softshrink,
    word_layer,
)
from .numpy_layers import adapt
from .numpy_layers.attention import (
    attention,
    decoder_layer,
    encoder_layer,
    transformer,
    transformer_decoder,
    transformer_encoder,
)
from .numpy_layers.common import F32, Refusal
from .numpy_layers.conv import conv, depthwise, separable, transposed
from .numpy_layers.core import (
    average,
    bilinear,
    class_token,
    concat,
    dense,
    embedding,
    embedding_bag,
    flatten,
    fold,
    identity,
    permute,
    positional,
    reshape,
    slice_layer,
    squeeze,
    unflatten,
)
from .numpy_layers.keras_types import (
    bidirectional,
    center_crop,
    conv_lstm,
    dot,
    einsum_dense,
    masking,
    normalization,
    plain_attention,
    repeat_vector,
    rescaling,
    resizing,
    time_distributed,
)
from .numpy_layers.norm import batchnorm, groupnorm, instancenorm, layernorm, local_response_norm, rmsnorm
from .numpy_layers.distance import cosine_similarity, pairwise_distance
from .numpy_layers.pool import adaptive, global_pooling, lp_pool, max_unpool, pool
from .numpy_layers.rearrange import fold as fold_blocks
from .numpy_layers.rearrange import pixel_shuffle, pixel_unshuffle, unfold
from .numpy_layers.recurrent import cell, recurrent
from .numpy_layers.resample import cropping, fixed_upsample, keras_pad, torch_pad, upsample, upsampling

__all__ = ["LAYERS", "REFUSED", "Refusal"]


LAYERS: dict = {
    "ReLU": lambda cfg, xs, p: keras_relu(xs[0], cfg.negative_slope, cfg.max_value, cfg.threshold),
    "ReLU6": word_layer("relu6"),
    "LeakyReLU": lambda cfg, xs, p: leaky_relu(xs[0], cfg.negative_slope),
    "ELU": lambda cfg, xs, p: elu(xs[0], cfg.alpha),
    "SELU": word_layer("selu"),
    "GELU": word_layer("gelu"),
    "SiLU": word_layer("silu"),
    "Mish": word_layer("mish"),
    "Sigmoid": word_layer("sigmoid"),
    "Hardsigmoid": word_layer("hard_sigmoid"),
    "Hardswish": word_layer("hard_swish"),
    "Tanh": word_layer("tanh"),
    "Softplus": word_layer("softplus"),
    "Softsign": word_layer("softsign"),
    "Softmax": lambda cfg, xs, p: softmax(xs[0], cfg.axis),
    "LogSoftmax": lambda cfg, xs, p: log_softmax(xs[0], cfg.axis),
    "Softmin": lambda cfg, xs, p: softmax(-xs[0], cfg.axis),
    "LogSigmoid": word_layer("log_sigmoid"),
    "CELU": lambda cfg, xs, p: celu(xs[0], cfg.alpha),
    "Tanhshrink": word_layer("tanhshrink"),
    "Softshrink": lambda cfg, xs, p: softshrink(xs[0], cfg.lambd),
    "Hardshrink": lambda cfg, xs, p: hardshrink(xs[0], cfg.lambd),
    "Hardtanh": lambda cfg, xs, p: np.clip(xs[0], cfg.min_val, cfg.max_val),
    "Threshold": lambda cfg, xs, p: np.where(xs[0] > cfg.threshold, xs[0], F32(cfg.value)),
    "Activation": activation_layer,
    "PReLU": prelu,
    "GLU": glu,
    "MultiheadAttention": attention,
    "TransformerEncoderLayer": encoder_layer,
    "TransformerDecoderLayer": decoder_layer,
    "Dense": dense,
    "Identity": identity,
    "Dropout": identity,
    "Flatten": flatten,
    "AlphaDropout": identity,
    "GaussianDropout": identity,
    "GaussianNoise": identity,
    "Embedding": embedding,
    "PositionalEmbedding": positional,
    "Bilinear": bilinear,
    "ClassToken": class_token,
    "Add": fold(np.add),
    "Multiply": fold(np.multiply),
    "Subtract": fold(np.subtract),
    "Average": average,
    "Maximum": fold(np.maximum),
    "Minimum": fold(np.minimum),
    "Concat": concat,
    "MatMul": lambda cfg, xs, p: np.matmul(xs[0], xs[1]),
    "BatchNormalization": batchnorm,
    "LayerNorm": layernorm,
    "GroupNorm": groupnorm,
    "RMSNorm": rmsnorm,
    "LocalResponseNorm": local_response_norm,
    "RNN": recurrent("RNN", "SimpleRNN"),
    "LSTM": recurrent("LSTM", "LSTM"),
    "GRU": recurrent("GRU", "GRU"),
    "Reshape": reshape,
    "Unflatten": unflatten,
    "Permute": permute,
    "Transpose": lambda cfg, xs, p: np.swapaxes(xs[0], cfg.dim0, cfg.dim1),
    "Squeeze": squeeze,
    "Unsqueeze": lambda cfg, xs, p: np.expand_dims(xs[0], cfg.axis % (xs[0].ndim + 1)),
    "Upsample": upsample,
    "Slice": slice_layer,
    "Select": lambda cfg, xs, p: np.take(xs[0], cfg.index, axis=cfg.axis),
}
for _rank in (1, 2, 3):
    LAYERS[f"Conv{_rank}d"] = conv(_rank)
    LAYERS[f"ConvTranspose{_rank}d"] = transposed(_rank)
    LAYERS[f"Dropout{_rank}d"] = identity
    LAYERS[f"BatchNorm{_rank}d"] = batchnorm
    LAYERS[f"InstanceNorm{_rank}d"] = instancenorm(_rank)
    LAYERS[f"UpSampling{_rank}D"] = upsampling(_rank)
    LAYERS[f"ZeroPadding{_rank}D"] = keras_pad(_rank)
    LAYERS[f"Cropping{_rank}D"] = cropping(_rank)
    for _mode, _name in (
        ("constant", "ZeroPad"),
        ("constant", "ConstantPad"),
        ("reflect", "ReflectionPad"),
        ("replicate", "ReplicationPad"),
    ):
        LAYERS[f"{_name}{_rank}d"] = torch_pad(_rank, _mode)
    for _kind, _torch, _keras in (("max", "Max", "Max"), ("avg", "Avg", "Average")):
        LAYERS[f"{_torch}Pool{_rank}d"] = pool(_rank, _kind)
        LAYERS[f"Adaptive{_torch}Pool{_rank}d"] = adaptive(_rank, _kind)
        LAYERS[f"Global{_keras}Pooling{_rank}D"] = global_pooling(_rank, _kind)
for _rank in (1, 2):
    LAYERS[f"DepthwiseConv{_rank}D"] = depthwise(_rank)
    LAYERS[f"SeparableConv{_rank}D"] = separable(_rank)
LAYERS.update(
    {
        "Rescaling": rescaling,
        "Normalization": normalization,
        "Resizing": resizing,
        "CenterCrop": center_crop,
        "RepeatVector": repeat_vector,
        "Masking": masking,
        "Dot": dot,
        "Attention": plain_attention(additive=False),
        "AdditiveAttention": plain_attention(additive=True),
        "EinsumDense": einsum_dense,
        "TimeDistributed": time_distributed(LAYERS),
        "Bidirectional": bidirectional(LAYERS),
    }
)
for _rank in (1, 2, 3):
    LAYERS[f"ConvLSTM{_rank}D"] = conv_lstm(_rank)

LAYERS.update(
    {
        "GELU": gelu_layer,
        "Softplus": softplus_layer,
        "RReLU": rrelu,
        "Softmax2d": lambda cfg, xs, p: softmax(xs[0], -3),
        "StochasticDepth": identity,
        "PixelShuffle": pixel_shuffle,
        "PixelUnshuffle": pixel_unshuffle,
        "Fold": fold_blocks,
        "Unfold": unfold,
        "EmbeddingBag": embedding_bag,
        "RNNCell": cell("RNNCell"),
        "LSTMCell": cell("LSTMCell"),
        "GRUCell": cell("GRUCell"),
        "TransformerEncoder": transformer_encoder,
        "TransformerDecoder": transformer_decoder,
        "Transformer": transformer,
        "UpsamplingNearest2d": fixed_upsample("nearest", None),
        "UpsamplingBilinear2d": fixed_upsample("bilinear", True),
        "CosineSimilarity": cosine_similarity,
        "PairwiseDistance": pairwise_distance,
        "SyncBatchNorm": batchnorm,
    }
)
for _rank in (1, 2, 3):
    LAYERS[f"MaxUnpool{_rank}d"] = max_unpool(_rank)
    LAYERS[f"LPPool{_rank}d"] = lp_pool(_rank)
    LAYERS[f"CircularPad{_rank}d"] = torch_pad(_rank, "circular")
    LAYERS[f"LazyInstanceNorm{_rank}d"] = instancenorm(_rank)

LAYERS.update(
    {
        "Parameter": adapt.tensor,
        "Buffer": adapt.tensor,
        "LayerScale": adapt.layer_scale,
        "PadToMultiple": adapt.pad_to_multiple,
        "Pad": adapt.pad,
        "Crop": adapt.crop,
        "CropTo": adapt.crop_to,
        "Roll": adapt.roll,
        "ChannelShuffle": adapt.channel_shuffle,
        "IndexSelect": adapt.index_select,
        "Split": adapt.split,
        "Chunk": adapt.chunk,
        "Stack": adapt.stack,
        "Reduce": adapt.reduce,
        "Einsum": adapt.einsum,
        "Expand": adapt.expand,
        "Tile": adapt.tile,
        "Repeat": adapt.tile,
    }
)

REFUSED: dict[str, str] = {}
"""Layer types this backend does not run, with the reason shown to the user. Empty: every type runs."""
