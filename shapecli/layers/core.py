"""Dense, Bilinear, Embedding, PositionalEmbedding, Identity, Flatten, dropout and noise layers,
EmbeddingBag, Masking, EinsumDense."""

from __future__ import annotations

import re
from functools import cache

from ..args import Bool, Choice, Float, Int, Str, show
from ..dims import UNKNOWN, AnyShape, format_dim, format_shape, product
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, Param, register, with_sizes
from ..shape_math import (
    normalize_axis,
    require_at_least,
    require_declared,
    require_positive,
    require_rank,
    same_dim,
)
from .activation import ActivationWord


@register("Dense", "Linear", "LazyLinear", prefix="dense")
class Dense(Layer):
    """Fully connected layer on the last axis.

    PyTorch Linear weight (units, in); Keras Dense kernel (in, units); MXNet
    Dense weight (units, in); each with a bias (units,).
    """

    args = {
        "units": Arg(Int(1), aliases=("out_features",), doc="output size"),
        "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add a bias vector"),
        "activation": Arg(ActivationWord(), None, doc="activation applied to the output"),
        "in_units": Arg(
            Int(1),
            None,
            aliases=("in_features",),
            doc="declared input size: the parameters are known before inference",
        ),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (..., in) -> (..., units)
        (x,) = ins
        require_rank(x, 1)
        require_declared(x, -1, cfg, "in_units", hint=_in_units_hint)
        return [(*x[:-1], cfg.units)]

    @staticmethod
    def build(cfg, ins):
        # in_units: declared, else the input's last axis
        return with_sizes(cfg, in_units=ins[0][-1])

    @staticmethod
    def params(cfg, ins):
        if cfg.convention == "keras":
            weight = Param("kernel", (cfg.in_units, cfg.units))
        else:
            weight = Param("weight", (cfg.units, cfg.in_units))
        return [weight, Param("bias", (cfg.units,))] if cfg.use_bias else [weight]

    @staticmethod
    def macs(cfg, ins, outs):
        # rows * in * units
        return product(outs[0][:-1]) * cfg.in_units * cfg.units


def _in_units_hint(declared: int, x: tuple) -> str:
    """The fix for a declared in_units: a Flatten when the sizes after the batch axis multiply to it
    (a Dense straight after a convolution), else the size to declare."""
    if len(x) > 2 and product(x[1:]) == declared:
        sizes = " * ".join(format_dim(d) for d in x[1:])
        return f"the input has {sizes} = {declared} values per example: add a Flatten before this layer"
    return f"the input has {format_dim(x[-1])} features: set in_units: {format_dim(x[-1])}, or remove in_units"


@register("Identity", prefix="identity")
class Identity(Layer):
    """Passes its input through unchanged."""

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return [ins[0]]


@register("Dropout", prefix="dropout")
class Dropout(Layer):
    """Zeroes elements at random while training; the shape is unchanged."""

    args = {
        "rate": Arg(Float(0, 1), 0.5, aliases=("p",), doc="probability of dropping an element"),
        "inplace": Arg(Bool(), False, doc="PyTorch: overwrite the input (no shape effect)"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return [ins[0]]


@register("Flatten", prefix="flatten")
class Flatten(Layer):
    """Merges the axes start_dim..end_dim into one (by default all but the batch axis).

    Keras flattens a rank-1 input (batch,) to (batch, 1); PyTorch refuses it.
    """

    args = {
        "start_dim": Arg(Int(), 1, aliases=("start_axis",), doc="first axis merged"),
        "end_dim": Arg(Int(), -1, aliases=("end_axis",), doc="last axis merged"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (a.., d_s..d_e, b..) -> (a.., d_s*...*d_e, b..)
        (x,) = ins
        if cfg.convention == "keras" and len(x) == 1:
            return [(x[0], 1)]
        require_rank(x, 1)
        start = normalize_axis(cfg.start_dim, len(x))
        end = normalize_axis(cfg.end_dim, len(x))
        if start > end:
            raise ShapeError(f"has start_dim {cfg.start_dim} after end_dim {cfg.end_dim} for a rank-{len(x)} input")
        return [(*x[:start], product(x[start : end + 1]), *x[end + 1 :])]


class ChannelDropout(Dropout):
    """Base of the channel dropouts for `rank` spatial axes: PyTorch wants 2 or 3 axes for
    1-D, at least 2 for 2-D and at least 1 for 3-D; Keras a batched input (rank + 2 axes)."""

    rank = 1

    @classmethod
    def output_shape(cls, cfg, ins):
        # x -> x
        (x,) = ins
        if cfg.convention == "keras":
            require_rank(x, cls.rank + 2, cls.rank + 2)
        elif cls.rank == 1:
            require_rank(x, 2, 3)
        else:
            require_rank(x, 4 - cls.rank)
        return [x]


@register("Dropout1d", "SpatialDropout1D", prefix="dropout")
class Dropout1d(ChannelDropout):
    """Drops whole channels of a 1-D signal while training; the shape is unchanged."""

    rank = 1


@register("Dropout2d", "SpatialDropout2D", prefix="dropout")
class Dropout2d(ChannelDropout):
    """Drops whole channels of a 2-D signal while training; the shape is unchanged."""

    rank = 2


@register("Dropout3d", "SpatialDropout3D", prefix="dropout")
class Dropout3d(ChannelDropout):
    """Drops whole channels of a 3-D signal while training; the shape is unchanged."""

    rank = 3


@register("AlphaDropout", "FeatureAlphaDropout", prefix="dropout")
class AlphaDropout(Dropout):
    """Drops elements, keeping the mean and variance (SELU networks) while training; the shape is unchanged."""


@register("GaussianDropout", prefix="dropout")
class GaussianDropout(Dropout):
    """Drops elements by multiplicative Gaussian noise while training; the shape is unchanged."""

    args = {"rate": Dropout.args["rate"]}  # Keras' layer: no in-place option


@register("GaussianNoise", prefix="gaussian_noise")
class GaussianNoise(Layer):
    """Adds Gaussian noise while training; the shape is unchanged (Keras GaussianNoise)."""

    args = {"stddev": Arg(Float(0), 0.1, doc="standard deviation of the noise")}

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return [ins[0]]


_EMBEDDING_OPTIONS = {
    "max_norm": Arg(Float(0), None, doc="PyTorch: rows looked up are renormalized to at most this norm"),
    "norm_type": Arg(Float(), 2.0, doc="PyTorch: the p of the p-norm max_norm bounds"),
    "scale_grad_by_freq": Arg(Bool(), False, doc="PyTorch: scale gradients by word frequency (no shape effect)"),
    "sparse": Arg(Bool(), False, doc="PyTorch: sparse gradients (no shape effect)"),
}
"""PyTorch's options of Embedding and EmbeddingBag that change no shape."""


@register("Embedding", prefix="embedding")
class Embedding(Layer):
    """A lookup table: integer indices (...) → vectors (..., embedding_dim).

    PyTorch and MXNet `weight`, Keras `embeddings`, all (num_embeddings, embedding_dim).
    """

    args = {
        "num_embeddings": Arg(Int(1), aliases=("input_dim", "vocab_size"), doc="number of rows (vocabulary size)"),
        "embedding_dim": Arg(Int(1), aliases=("output_dim",), doc="size of each vector"),
        "padding_idx": Arg(Int(), None, doc="a row that is not trained (PyTorch; no shape effect)"),
        "mask_zero": Arg(Bool(), False, doc="Keras masking (no shape effect)"),
        **_EMBEDDING_OPTIONS,
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.padding_idx is not None and not -cfg.num_embeddings <= cfg.padding_idx < cfg.num_embeddings:
            raise SpecError(f"padding_idx ({cfg.padding_idx}) must be within num_embeddings ({cfg.num_embeddings})")

    @staticmethod
    def index_inputs(cfg, ranks) -> dict:
        return {0: cfg.num_embeddings}

    @staticmethod
    def output_shape(cfg, ins):
        # (...) -> (..., embedding_dim)
        return [(*ins[0], cfg.embedding_dim)]

    @staticmethod
    def params(cfg, ins):
        name = "embeddings" if cfg.convention == "keras" else "weight"
        return [Param(name, (cfg.num_embeddings, cfg.embedding_dim))]


@register("PositionalEmbedding", "PositionEmbedding", prefix="position_embedding")
class PositionalEmbedding(Layer):
    """Learned position vectors added to a sequence (N, T, D) → (N, T, D); T ≤ sequence_length.

    Like keras_hub's PositionEmbedding, BERT's position_embeddings and GPT-2's wpe:
    a (sequence_length, D) table.
    """

    args = {
        "sequence_length": Arg(Int(1), aliases=("max_length", "num_positions"), doc="longest sequence"),
        "embedding_dim": Arg(Int(1), None, aliases=("hidden_dim",), doc="declared vector size"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (N, T, D) -> (N, T, D)
        (x,) = ins
        require_rank(x, 2)
        length = x[-2]
        require_at_least(
            cfg.sequence_length - length,
            0,
            f"has sequence_length {cfg.sequence_length} but receives {format_dim(length)} positions",
        )
        require_declared(x, -1, cfg, "embedding_dim")
        return [x]

    @staticmethod
    def build(cfg, ins):
        # embedding_dim: declared, else the input's last axis
        return with_sizes(cfg, embedding_dim=ins[0][-1])

    @staticmethod
    def params(cfg, ins):
        return [
            Param("embeddings" if cfg.convention == "keras" else "weight", (cfg.sequence_length, cfg.embedding_dim))
        ]


@register("Bilinear", prefix="bilinear")
class Bilinear(Layer):
    """y = x1ᵀ A x2 + b over two inputs (..., in1) and (..., in2) → (..., out) (PyTorch Bilinear)."""

    min_inputs = max_inputs = 2
    args = {
        "out_features": Arg(Int(1), aliases=("units",), doc="output size"),
        "in1_features": Arg(Int(1), None, doc="declared size of the first input"),
        "in2_features": Arg(Int(1), None, doc="declared size of the second input"),
        "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add a bias"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (..., in1), (..., in2) -> (..., out)
        a, b = ins
        require_rank(a, 1)
        require_rank(b, 1)
        if len(a) != len(b) or any(same_dim(p, q) is None for p, q in zip(a[:-1], b[:-1])):
            raise ShapeError(
                f"needs inputs that agree on every axis but the last, receives {format_shape(a)} and {format_shape(b)}"
            )
        require_declared(a, -1, cfg, "in1_features")
        require_declared(b, -1, cfg, "in2_features", input=1)
        return [(*a[:-1], cfg.out_features)]

    @staticmethod
    def build(cfg, ins):
        # in1_features, in2_features: declared, else the last axis of each input
        return with_sizes(cfg, in1_features=ins[0][-1], in2_features=ins[1][-1])

    @staticmethod
    def params(cfg, ins):
        weight = Param("weight", (cfg.out_features, cfg.in1_features, cfg.in2_features))
        return [weight, Param("bias", (cfg.out_features,))] if cfg.use_bias else [weight]

    @staticmethod
    def macs(cfg, ins, outs):
        # rows * out * in1 * in2
        return product(outs[0][:-1]) * cfg.out_features * cfg.in1_features * cfg.in2_features


@register("ClassToken", prefix="class_token")
class ClassToken(Layer):
    """Prepends a learned token to a sequence: (N, T, D) → (N, T + 1, D) (ViT's class token)."""

    args = {"embedding_dim": Arg(Int(1), None, aliases=("hidden_dim",), doc="declared vector size")}

    @staticmethod
    def output_shape(cfg, ins):
        # (N, T, D) -> (N, T + 1, D)
        (x,) = ins
        require_rank(x, 3, 3)
        require_declared(x, -1, cfg, "embedding_dim")
        return [(x[0], x[1] + 1, x[2])]

    @staticmethod
    def build(cfg, ins):
        # embedding_dim: declared, else the input's last axis
        return with_sizes(cfg, embedding_dim=ins[0][-1])

    @staticmethod
    def params(cfg, ins):
        return [Param("class_token", (1, 1, cfg.embedding_dim))]


@register("EmbeddingBag", prefix="embedding_bag")
class EmbeddingBag(Layer):
    """Sums, averages or takes the maximum of bags of embeddings: (B, N) → (B, D), or a flat
    input (N,) cut into bags by `offsets` (PyTorch EmbeddingBag).

    Inputs: a 2-D input and optionally per_sample_weights of its shape; or a 1-D input, its
    offsets (B,) and optionally per_sample_weights (N,). torch.nn.functional.embedding_bag:
    per_sample_weights only with mode 'sum'; include_last_offset makes the last offset the
    end of the last bag (B - 1 bags from a flat input; a 2-D input still gives B).
    """

    min_inputs, max_inputs = 1, 3
    args = {
        "num_embeddings": Arg(Int(1), aliases=("input_dim", "vocab_size"), doc="number of rows (vocabulary size)"),
        "embedding_dim": Arg(Int(1), aliases=("output_dim",), doc="size of each vector"),
        "mode": Arg(Choice(("sum", "mean", "max")), "mean", doc="how a bag is reduced"),
        "include_last_offset": Arg(Bool(), False, doc="the offsets end with the end of the last bag"),
        "padding_idx": Arg(Int(), None, doc="a row that is not trained nor counted in a bag (no shape effect)"),
        **_EMBEDDING_OPTIONS,
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.padding_idx is not None and not -cfg.num_embeddings <= cfg.padding_idx < cfg.num_embeddings:
            raise SpecError(f"padding_idx ({cfg.padding_idx}) must be within num_embeddings ({cfg.num_embeddings})")
        if cfg.mode == "max" and (cfg.scale_grad_by_freq or cfg.sparse):
            word = "scale_grad_by_freq" if cfg.scale_grad_by_freq else "sparse"
            raise SpecError(f"mode 'max' does not support {word} (PyTorch refuses it)")

    @staticmethod
    def index_inputs(cfg, ranks) -> dict:
        # the indices; after a 1-D (or not yet known) input, the offsets
        return {0: cfg.num_embeddings} if ranks and ranks[0] == 2 else {0: cfg.num_embeddings, 1: None}

    @staticmethod
    def output_shape(cfg, ins):
        # (B, N) -> (B, D); (N,) with offsets (B,) -> (B, D), or (B - 1, D) with include_last_offset
        x, *rest = ins
        if len(x) not in (1, 2):
            raise ShapeError(f"expects indices of rank 1 (with offsets) or 2 (B, N), receives {format_shape(x)}")
        if len(x) == 2:
            if len(rest) > 1:
                raise ShapeError(
                    f"takes no offsets with a 2-D input {format_shape(x)} (each row is a bag)",
                    hint="give [input] or [input, per_sample_weights]",
                )
            weights, bags = (rest[0] if rest else None), x[0]
        else:
            if not rest:
                raise ShapeError(
                    f"needs offsets with a 1-D input {format_shape(x)}", hint="give [input, offsets] (the bags' starts)"
                )
            offsets, weights = rest[0], (rest[1] if len(rest) > 1 else None)
            if len(offsets) != 1:
                raise ShapeError(f"needs 1-D offsets, receives {format_shape(offsets)}")
            bags = offsets[0]
            if cfg.include_last_offset:
                bags = require_positive(bags - 1, "include_last_offset (the last offset ends the last bag)")
        if weights is not None:
            if len(weights) != len(x) or any(same_dim(a, b) is None for a, b in zip(weights, x)):
                raise ShapeError(
                    f"needs per_sample_weights shaped as the input {format_shape(x)}, receives {format_shape(weights)}"
                )
            if cfg.mode != "sum":
                raise ShapeError(f"takes per_sample_weights with mode 'sum' only, not '{cfg.mode}'")
        return [(bags, cfg.embedding_dim)]

    @staticmethod
    def params(cfg, ins):
        return [Param("weight", (cfg.num_embeddings, cfg.embedding_dim))]


@register("Masking", prefix="masking")
class Masking(Layer):
    """Marks the time steps whose features all equal mask_value, and zeroes them (Keras Masking).

    The shape is unchanged. Keras passes the mask on to the layers after it (an RNN
    skips masked steps); shapecli's shapes do not depend on it.
    """

    args = {"mask_value": Arg(Float(), 0.0, doc="the value of a padding step")}

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x (the mask is any(x != mask_value) over the last axis)
        require_rank(ins[0], 1)
        return [ins[0]]


class OutputSizes:
    """EinsumDense's output_shape: an integer, or a list of integers and nulls (a size taken from the input)."""

    def __call__(self, value):
        if type(value) is int and value >= 1:
            return (value,)
        if isinstance(value, list) and all(v is None or (type(v) is int and v >= 1) for v in value):
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "int ≥ 1, or a list of ints ≥ 1 and nulls"


@cache
def _equation() -> re.Pattern:
    """An einsum equation of two operands, `...` at either end of the input's and output's letters
    (compiled on first use: few specs have an EinsumDense)."""
    return re.compile(r"(\.\.\.)?([a-zA-Z]+)(\.\.\.)?,([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)(\.\.\.)?")


class EinsumEquation(str):
    """An EinsumDense equation as written; `parts` is (input letters, kernel letters, output
    letters, where the ellipsis is: None, 'left' or 'right')."""

    parts: tuple


class Equation:
    """An EinsumDense equation: 'ab,bc->ac', '...b,bc->...c' or 'ab...,bc->ac...'."""

    def __call__(self, value):
        if not isinstance(value, str):
            raise SpecError(f"expected an einsum equation, received {show(value)}")
        match = _equation().fullmatch(value.replace(" ", ""))
        forms = {
            (None, None, None, None): None,
            ("...", None, "...", None): "left",
            (None, "...", None, "..."): "right",
        }
        ellipses = (match.group(1), match.group(3), match.group(5), match.group(7)) if match else None
        if ellipses not in forms or (forms[ellipses] == "right" and len(match.group(2)) < 2):
            raise SpecError(
                f"expected an equation of the form ab,bc->ac, ...b,bc->...c or ab...,bc->ac..., received {show(value)}"
            )
        letters = (match.group(2), match.group(4), match.group(6))
        for part in letters:
            if len(set(part)) != len(part):
                raise SpecError(f"equation {show(value)} repeats a letter in '{part}' (a diagonal is not supported)")
        equation = EinsumEquation(value)
        equation.parts = (*letters, forms[ellipses])
        return equation

    def __str__(self) -> str:
        return "einsum equation"


@register("EinsumDense", prefix="einsum_dense")
class EinsumDense(Layer):
    """A dense layer whose kernel and product are given by an einsum equation (Keras EinsumDense).

    The kernel's letters take their sizes from the input, or from `output_shape`
    (the output's sizes after the batch axis, or after the ellipsis); `bias_axes`
    names the output letters that get a bias. 'ab,bc->ac' with output_shape 64 is
    Dense(64); '...b,bc->...c' applies it over any leading axes.
    """

    args = {
        "equation": Arg(Equation(), doc="input,kernel->output, letters per axis, '...' for other axes"),
        "output_shape": Arg(OutputSizes(), doc="the output's sizes (without the batch axis or the ellipsis)"),
        "bias_axes": Arg(Str(), None, doc="the output letters that get a bias"),
        "activation": Arg(ActivationWord(), None, doc="activation applied to the output"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        _, _, output, _ = cfg.equation.parts
        for letter in cfg.bias_axes or "":
            if letter not in output:
                raise SpecError(f"bias_axes names '{letter}', which is not a letter of the output '{output}'")

    @staticmethod
    def output_shape(cfg, ins):
        # the einsum's output: each output letter sized by the input or by output_shape
        return [_einsum_dense(cfg, ins[0])[2]]

    @staticmethod
    def params(cfg, ins):
        if isinstance(ins[0], AnyShape):
            return _einsum_params_before(cfg)
        kernel, bias, _, _ = _einsum_dense(cfg, ins[0])
        return [Param("kernel", kernel)] + ([Param("bias", bias)] if bias is not None else [])

    @staticmethod
    def macs(cfg, ins, outs):
        # the product of the sizes of every letter (and of the ellipsis axes)
        return _einsum_dense(cfg, ins[0])[3]


def _einsum_dense(cfg, x):
    """(kernel shape, bias shape or None, output shape, MACs), as Keras' _analyze_split_string
    sizes the kernel and bias and as the einsum then computes."""
    letters_in, letters_kernel, letters_out, ellipsis = cfg.equation.parts
    elided = len(x) - len(letters_in)
    if elided < 0 or (ellipsis is None and elided) or (ellipsis == "left" and not elided):
        what = "an input of rank" + (f" {len(letters_in)}" if ellipsis is None else f" > {len(letters_in)}")
        raise ShapeError(f"has input letters '{letters_in}' and needs {what}, receives {format_shape(x)}")
    written = list(cfg.output_shape)
    # the sizes Keras gives the output letters: output_shape after the batch axis (and after
    # the elided axes when they come first)
    expected = len(letters_out) - (0 if ellipsis == "left" else 1)
    if len(written) != expected:
        raise ShapeError(
            f"has output_shape {_show_sizes(written)} for the output letters '{letters_out}', which need "
            f"{expected} sizes" + ("" if ellipsis == "left" else " (the first letter is the batch axis)")
        )
    if ellipsis == "left":
        size_in = dict(zip(letters_in, x[elided:]))
        size_out = dict(zip(letters_out, written))
    else:
        size_in = dict(zip(letters_in, x))
        size_out = dict(zip(letters_out, [x[0], *written]))
    for letter in letters_out:
        if letter not in letters_in and letter not in letters_kernel:
            raise ShapeError(f"has output letter '{letter}' in neither the input nor the kernel")
        if letter in size_in and size_out[letter] is not None and same_dim(size_in[letter], size_out[letter]) is None:
            raise ShapeError(
                f"has output_shape {_show_sizes(written)}, which gives '{letter}' {format_dim(size_out[letter])}, "
                f"but the input {format_shape(x)} gives it {format_dim(size_in[letter])}"
            )
    kernel = []
    for letter in letters_kernel:
        if letter in size_out:  # Keras sizes a kernel letter of the output by output_shape
            if size_out[letter] is None:
                raise ShapeError(f"needs the size of kernel letter '{letter}', which output_shape leaves null")
            kernel.append(size_out[letter])
        elif letter in size_in:
            kernel.append(size_in[letter])
        else:
            raise ShapeError(f"has kernel letter '{letter}' in neither the input nor the output")
    sizes = {**dict(zip(letters_kernel, kernel)), **size_in}
    rest = x[:elided] if ellipsis == "left" else x[len(x) - elided :]
    body = tuple(sizes[letter] for letter in letters_out)
    out = (*rest, *body) if ellipsis == "left" else (*body, *rest)
    bias = None
    if cfg.bias_axes:
        first = min(letters_out.index(letter) for letter in cfg.bias_axes)
        bias = []
        for letter in letters_out[first:]:
            if letter in cfg.bias_axes and size_out[letter] is None:
                raise ShapeError(f"needs the size of bias letter '{letter}', which output_shape leaves null")
            bias.append(size_out[letter] if letter in cfg.bias_axes else 1)
        bias = (*bias, *(1,) * (elided if ellipsis == "right" else 0))
    return tuple(kernel), bias, out, product(rest) * product(sizes[c] for c in sorted(sizes))


def _einsum_params_before(cfg) -> list[Param]:
    """The kernel and bias before inference: sizes output_shape fixes are known, the input's not."""
    letters_in, letters_kernel, letters_out, ellipsis = cfg.equation.parts
    known = dict(zip(letters_out[1:] if ellipsis != "left" else letters_out, cfg.output_shape))
    kernel = tuple(known.get(c) if known.get(c) is not None else UNKNOWN for c in letters_kernel)
    params = [Param("kernel", kernel)]
    if cfg.bias_axes:
        first = min(letters_out.index(letter) for letter in cfg.bias_axes)
        bias = [
            (known.get(c) if known.get(c) is not None else UNKNOWN) if c in cfg.bias_axes else 1
            for c in letters_out[first:]
        ]
        if ellipsis == "right":
            bias.append(UNKNOWN)  # as many 1s as elided axes, not known yet
        params.append(Param("bias", tuple(bias)))
    return params


def _show_sizes(sizes) -> str:
    return "[" + ", ".join("null" if s is None else str(s) for s in sizes) + "]"
