"""What each layer type keeps for its backward pass: one rule per layer type.

The rules follow what PyTorch's autograd saves in a training-mode forward pass
(derivatives.yaml and the functional code of torch.nn), and each was checked
with `torch.autograd.graph.saved_tensors_hooks` (tools/measure_memory.py):

    Dense, Conv            their input (the padded input when PyTorch pads first)
    ReLU, Sigmoid, Tanh    their output; most other activations their input
    BatchNorm              its input and two statistics per channel
    Dropout                a mask (bool on CUDA; the noise itself on the CPU)
    MaxPool                its input and int64 indices of the output's size
    Softmax                its output
    attention              its inputs, projections, the attention weights …
    LSTM, GRU, RNN         their input and the gates and states of every step

A rule receives a `Call` (the layer's arguments, input and output shapes, and
what the graph around it says) and returns `Keeps`: the tensors saved, each an
input, an output or a new tensor of so many elements of a kind; which outputs
are views of an input (sharing its storage); and the elements of internal
temporaries alive while the layer runs (for the inference peak). Tensors are
counted by storage later, so a tensor two layers keep is counted once.
"""

from __future__ import annotations

from functools import lru_cache

from ..records import NamedTuple
from ..dims import Dim, dim_max, equal, product
from ..shape_math import normalize_axis, split_channels, window_padding

# element kinds of the tensors a rule creates
ACT = "act"
"""The layer's compute type: --dtype, or half precision under --amp for the layers autocast runs in it."""
WIDE = "wide"
"""Float32 under --amp (a residual sum, a normalization's input), else --dtype."""
STAT = "stat"
"""Per-channel or per-row statistics: float32 (float64 for --dtype float64)."""
INDEX = "index"
"""int64 indices."""
MASK = "mask"
"""A dropout mask: bool on CUDA; on the CPU the scaled noise, in the compute type."""
PARAM = "param"
"""A copy of a parameter or buffer, in the parameters' type."""
BOOL = "bool"
"""A boolean condition (torch.where's), one byte per element."""


class Saved(NamedTuple):
    """One tensor a layer keeps for backward: an input, an output, or a new tensor.

    `cast` False marks an input kept as it is even under autocast (a LayerNorm inside a
    layer that otherwise computes in half precision).
    """

    what: str
    source: str
    index: int = 0
    elements: Dim = 0
    kind: str = ACT
    cast: bool = True


class Keeps(NamedTuple):
    """What a layer keeps for backward, and how its outputs relate to its inputs.

    `views` lists (output, input) pairs: the output shares the input's storage.
    `contiguous` is False when the views reorder axes (Permute, Transpose).
    `transient` is the elements (compute type) of internal tensors alive at once
    while the layer runs, beyond its outputs. `output` is the kind of its new
    outputs (a transformer layer computes in half precision under autocast but
    returns a float32 LayerNorm output or residual sum). `owned` lists the outputs
    that are the layer's own parameter or buffer (a Parameter layer): counted with
    the parameters, not as activations.
    """

    saved: tuple = ()
    views: tuple = ()
    contiguous: bool = True
    transient: Dim = 0
    output: str = ACT
    owned: tuple = ()


class Call(NamedTuple):
    """A layer as a rule sees it.

    `same[i]` is the index of the first input that is the same tensor as input
    i; `contiguous[i]` whether input i is laid out densely in order; `used`
    the indices of the outputs something consumes (or the model returns).
    """

    layer: type
    cfg: object
    ins: list
    outs: list
    training: bool
    device: str
    same: tuple
    contiguous: tuple
    used: frozenset


NOTHING = Keeps()
VIEW = Keeps(views=((0, 0),))


def inp(index: int = 0, what: str = "input", cast: bool = True) -> Saved:
    """Input `index` (the copy autocast makes of it, unless `cast` is False)."""
    return Saved(what, "in", index, cast=cast)


def out(index: int = 0, what: str = "output") -> Saved:
    """Output `index`."""
    return Saved(what, "out", index)


def new(elements: Dim, what: str, kind: str = ACT) -> Saved:
    """A tensor the layer makes and keeps."""
    return Saved(what, "new", elements=elements, kind=kind)


RULES: dict = {}
"""Layer type name → rule(call) → Keeps."""

AUTOCAST: dict[str, str] = {}
"""Layer type name → how autocast runs it: 'half' (casts its inputs to half precision), 'fp32'
(casts to float32), 'param' (the parameters' type wins); absent: the widest input type."""


def rule(*names: str, autocast: str | None = None):
    """Register a rule for layer types `names` (and, optionally, how autocast runs them)."""

    def register(function):
        for name in names:
            RULES[name] = function
            if autocast:
                AUTOCAST[name] = autocast
        return function

    return register


@lru_cache(maxsize=4096)
def _n(shape: tuple) -> Dim:
    """Elements of a shape (cached: a model repeats few shapes many times)."""
    return product(shape)


def _rank_names(stem: str, ranks=(1, 2, 3), suffix: str = "d") -> list[str]:
    return [f"{stem}{r}{suffix}" for r in ranks]


# -- activations -----------------------------------------------------------------------

INPUT, OUTPUT, EXTRA, CPU_EXTRA, CONDITION = "input", "output", "extra", "cpu-extra", "condition"

ACTIVATION_KEEPS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "relu": (OUTPUT,),
    "relu6": (INPUT,),
    "leaky_relu": (INPUT,),
    "elu": (INPUT,),
    "selu": (INPUT,),
    "celu": (INPUT,),
    "gelu": (INPUT,),
    "silu": (INPUT,),
    "swish": (INPUT,),
    "mish": (INPUT,),
    "sigmoid": (OUTPUT,),
    "hard_sigmoid": (INPUT,),
    "hard_swish": (INPUT,),
    "tanh": (OUTPUT,),
    "softplus": (INPUT,),
    "softsign": (INPUT, EXTRA),  # x / (|x| + 1): the division keeps x and |x| + 1
    "softmax": (OUTPUT,),
    "log_softmax": (OUTPUT,),
    "softmin": (OUTPUT,),  # softmax(-x)
    "log_sigmoid": (INPUT, CPU_EXTRA),  # the CPU kernel also keeps a buffer of the input's size
    "tanhshrink": (EXTRA,),  # x - tanh(x): tanh keeps its output
    "softshrink": (INPUT,),
    "hardshrink": (INPUT,),
    "hard_tanh": (INPUT,),
    "threshold": (INPUT,),
    "exponential": (OUTPUT,),
    # Keras' activations as keras/src/backend/torch/nn.py writes them: torch.where keeps its conditions
    "sparse_plus": (EXTRA, CONDITION, CONDITION),  # where(x <= -1, 0, where(x < 1, (x + 1)² / 4, x))
    "sparse_sigmoid": (CONDITION, CONDITION),
    "squareplus": (INPUT, EXTRA),  # (x + sqrt(x² + 4)) / 2: x² keeps x, sqrt its output
    "sparsemax": (EXTRA, CONDITION),  # and the sort's indices, positions and support sizes: see activation_keeps
}
"""Activation word → what its backward keeps: its input, its output, an extra tensor of its size."""

FP32_ACTIVATIONS = {"softmax", "log_softmax", "softmin", "softplus", "exponential"}
"""Activations autocast runs in float32 (softmax, log_softmax, softplus, exp)."""


def _activation_words() -> dict[str, str]:
    """Activation layer type name → its word (ReLU → relu), from the layer catalog."""
    from ..layers.activation import ACTIVATION_LAYERS

    return {cls.type_name: cls.word for cls in ACTIVATION_LAYERS}


def activation_keeps(word: str | None, c: Call, before: Saved, after: Saved, shape: tuple) -> tuple:
    """What activation `word` keeps, given how its input (`before`) and output (`after`) are kept;
    `shape` is the shape of both."""
    saved = []
    for token in ACTIVATION_KEEPS[word or "linear"]:
        if token == INPUT:
            saved.append(before)
        elif token == OUTPUT:
            saved.append(after)
        elif token == EXTRA or (token == CPU_EXTRA and c.device == "cpu"):
            saved.append(new(_n(shape), "intermediate"))
        elif token == CONDITION:
            saved.append(new(_n(shape), "condition", BOOL))
    if word == "sparsemax":  # the sort's indices, the positions 1..n, the support size of each row
        rows = product(shape[:-1])
        saved += [new(_n(shape), "sort indices", INDEX), new(shape[-1], "positions"), new(rows, "support sizes", INDEX)]
    return tuple(saved)


def _after_layer(word: str | None, c: Call) -> tuple:
    """A layer's own `activation` argument: the activation applied to its (new) pre-activation output."""
    if word in (None, "linear"):
        return ()
    return activation_keeps(word, c, new(_n(c.outs[0]), "pre-activation"), out(), c.outs[0])


def _activation(c: Call) -> Keeps:
    word = c.cfg.activation if c.layer.type_name == "Activation" else _WORDS[c.layer.type_name]
    if word == "linear":
        return VIEW
    if c.layer.type_name == "ReLU" and (c.cfg.max_value, c.cfg.negative_slope, c.cfg.threshold) != (None, 0.0, 0.0):
        return _keras_relu(c)
    return Keeps(activation_keeps(word, c, inp(), out(), c.ins[0]))


def _keras_relu(c: Call) -> Keeps:
    """Keras' relu(x, negative_slope, max_value, threshold) as the torch backend table writes it."""
    cfg, n = c.cfg, _n(c.ins[0])
    if cfg.max_value == 6.0 and not cfg.threshold and not cfg.negative_slope:
        return Keeps((inp(),))  # relu6
    if cfg.negative_slope and cfg.max_value is None and not cfg.threshold:
        return Keeps((inp(),))  # leaky_relu
    if cfg.threshold:  # where(x > threshold, x, 0) keeps its condition; a clip keeps its input
        saved = [new(n, "threshold condition", BOOL)]
        if cfg.max_value is not None:
            saved.append(new(n, "clip input"))
    elif cfg.max_value == 6.0:
        saved = [inp()]  # relu6 keeps its input
    else:
        saved = [new(n, "relu output (clip input)")]
    if cfg.negative_slope:
        saved.append(new(n, "relu(threshold - x)"))
    return Keeps(tuple(saved))


_WORDS = _activation_words()
for _name, _word in _WORDS.items():
    rule(_name, autocast="fp32" if _word in FP32_ACTIVATIONS else None)(_activation)
rule("Activation")(_activation)


@rule("PReLU", autocast="half")
def _prelu(c: Call) -> Keeps:
    return Keeps((inp(),))


@rule("GLU")
def _glu(c: Call) -> Keeps:
    return Keeps((inp(),))


# -- dense, embeddings -----------------------------------------------------------------


def _matrix_input(c: Call, index: int = 0) -> Saved:
    """The input a matrix product keeps: the input, or its dense copy when it is a strided view of rank > 2."""
    if c.contiguous[index] or len(c.ins[index]) <= 2:
        return inp(index)
    return new(_n(c.ins[index]), "input (dense copy)")


def _pre_activation(c: Call) -> Dim:
    """Elements of the pre-activation output alive while a layer's own `activation` runs (0 without one)."""
    return 0 if c.cfg.activation in (None, "linear") else _n(c.outs[0])


@rule("Dense", autocast="half")
def _dense(c: Call) -> Keeps:
    return Keeps((_matrix_input(c), *_after_layer(c.cfg.activation, c)), transient=_pre_activation(c))


@rule("Bilinear")
def _bilinear(c: Call) -> Keeps:
    return Keeps((inp(0), inp(1)))


@rule("Embedding", autocast="param")
def _embedding(c: Call) -> Keeps:
    return Keeps((inp(0, "indices"),))


@rule("PositionalEmbedding", autocast="param")
def _positional_embedding(c: Call) -> Keeps:
    # PyTorch looks the positions 0..T-1 up in its table (GPT-2's wpe, BERT's position
    # embeddings, shapecli.build_torch) and keeps them, int64; Keras slices the table and adds it
    if c.cfg.convention == "keras":
        return NOTHING
    return Keeps((new(c.ins[0][-2], "positions", INDEX),), transient=c.ins[0][-2] * c.ins[0][-1])


@rule("ClassToken", autocast="param")
def _class_token(c: Call) -> Keeps:
    return NOTHING  # a concatenation keeps no tensor


# -- convolutions ----------------------------------------------------------------------


def _padded_first(c: Call) -> tuple:
    """What a convolution keeps of its input: the input itself, or the padded copy PyTorch makes first
    (padding_mode reflect/replicate/circular, or uneven 'same' padding), and the input when the pad keeps it."""
    cfg, rank = c.cfg, c.layer.rank
    batch, channels, spatial = split_channels(cfg, c.ins[0], rank)
    pads = window_padding(cfg.padding, spatial, cfg.kernel_size, cfg.strides, cfg.dilation)
    mode = getattr(cfg, "padding_mode", "zeros")
    if all(equal(lo, 0) and equal(hi, 0) for lo, hi in pads):
        return (inp(),)
    if mode == "zeros" and all(equal(lo, hi) is not False for lo, hi in pads):
        return (inp(),)
    padded = new(_n(batch) * channels * product(n + lo + hi for n, (lo, hi) in zip(spatial, pads)), "padded input")
    return (inp(), padded) if mode in ("reflect", "replicate") else (padded,)


@rule(*_rank_names("Conv"), "DepthwiseConv1D", "DepthwiseConv2D", autocast="half")
def _conv(c: Call) -> Keeps:
    return Keeps((*_padded_first(c), *_after_layer(c.cfg.activation, c)), transient=_pre_activation(c))


@rule(*_rank_names("ConvTranspose"), autocast="half")
def _conv_transpose(c: Call) -> Keeps:
    return Keeps((inp(), *_after_layer(c.cfg.activation, c)), transient=_pre_activation(c))


@rule("SeparableConv1D", "SeparableConv2D", autocast="half")
def _separable(c: Call) -> Keeps:
    cfg, rank = c.cfg, c.layer.rank
    batch, _, spatial_out = split_channels(cfg, c.outs[0], rank)
    _, channels, _ = split_channels(cfg, c.ins[0], rank)
    depthwise = _n(batch) * channels * cfg.depth_multiplier * product(spatial_out)
    saved = (*_padded_first(c), new(depthwise, "depthwise output"), *_after_layer(cfg.activation, c))
    return Keeps(saved, transient=depthwise + _pre_activation(c))


# -- pooling ---------------------------------------------------------------------------


@rule(*_rank_names("MaxPool"), *_rank_names("AdaptiveMaxPool"))
def _max_pool(c: Call) -> Keeps:
    return Keeps((inp(), new(_n(c.outs[0]), "indices", INDEX)))


@rule(*_rank_names("AvgPool"))
def _avg_pool(c: Call) -> Keeps:
    return Keeps((inp(),))


@rule(*_rank_names("AdaptiveAvgPool"))
def _adaptive_avg_pool(c: Call) -> Keeps:
    if all(size == 1 for size in c.cfg.output_size):
        return NOTHING  # PyTorch takes the mean, which keeps no tensor
    return Keeps((inp(),))


@rule(*_rank_names("GlobalAveragePooling", suffix="D"))
def _global_avg_pool(c: Call) -> Keeps:
    return NOTHING


@rule(*_rank_names("GlobalMaxPooling", suffix="D"))
def _global_max_pool(c: Call) -> Keeps:
    return Keeps((inp(), out()))  # amax keeps its input and its result


# -- normalization ---------------------------------------------------------------------


def _statistics(count: Dim, what: str = "statistics") -> tuple:
    """Mean and inverse deviation: two float32 tensors of `count` elements."""
    return (new(count, f"{what} (mean)", STAT), new(count, f"{what} (1/std)", STAT))


@rule(*_rank_names("BatchNorm"), "BatchNormalization")
def _batch_norm(c: Call) -> Keeps:
    if not c.training:
        return NOTHING
    x = c.ins[0]
    return Keeps((inp(), *_statistics(x[normalize_axis(c.cfg.axis, len(x))], "batch statistics")))


def _normalized_axes(cfg, x) -> list[int]:
    if cfg.normalized_shape is not None:
        return list(range(len(x) - len(cfg.normalized_shape), len(x)))
    axes = cfg.axis if isinstance(cfg.axis, tuple) else (cfg.axis,)
    return [normalize_axis(a, len(x)) for a in axes]


def _rows(cfg, x) -> Dim:
    axes = set(_normalized_axes(cfg, x))
    return product(d for i, d in enumerate(x) if i not in axes)


@rule("LayerNorm", autocast="fp32")
def _layer_norm(c: Call) -> Keeps:
    x = c.ins[0]
    if getattr(c.cfg, "rms_scaling", False):
        # Keras: x * rsqrt(var(x) + eps) * gamma: the input, the inverse deviation, the scaled input
        return Keeps((inp(), new(_rows(c.cfg, x), "row statistics (1/std)", STAT), new(_n(x), "normalized input")))
    return Keeps((inp(), *_statistics(_rows(c.cfg, x), "row statistics")))


@rule("RMSNorm", autocast="fp32")
def _rms_norm(c: Call) -> Keeps:
    x = c.ins[0]
    saved = (inp(), new(_rows(c.cfg, x), "row statistics (1/rms)", STAT))
    return Keeps(saved + ((new(_n(x), "normalized input"),) if c.cfg.affine else ()))


@rule("GroupNorm", autocast="fp32")
def _group_norm(c: Call) -> Keeps:
    x = c.ins[0]
    groups = x[normalize_axis(c.cfg.axis, len(x))] if c.cfg.num_groups == -1 else c.cfg.num_groups
    return Keeps((inp(), *_statistics(x[0] * groups, "group statistics")))


@rule(*_rank_names("InstanceNorm"))
def _instance_norm(c: Call) -> Keeps:
    # batch_norm over (1, N*C, ...): statistics per sample and channel; affine and running
    # statistics are repeated N times, and those copies are kept too
    x, rank = c.ins[0], c.layer.rank
    rows = (x[0] if len(x) == rank + 2 else 1) * x[-(rank + 1)]
    saved = (inp(), *_statistics(rows, "instance statistics"))
    if c.cfg.affine:
        saved += (new(rows, "repeated weight", PARAM),)
    if c.cfg.track_running_stats:
        saved += (new(rows, "repeated running mean", PARAM), new(rows, "repeated running var", PARAM))
    return Keeps(saved)


@rule("LocalResponseNorm", autocast="fp32")
def _local_response_norm(c: Call) -> Keeps:
    # x / (k + alpha * avg_pool(pad(x²)))^beta: the pool keeps the padded squares,
    # the power its base and result, the division x and the divisor
    x, size = c.ins[0], c.cfg.size
    padded = x[0] * (x[1] + size - 1) * product(x[2:])
    n = _n(x)
    return Keeps((inp(), new(padded, "padded squares"), new(n, "power base"), new(n, "divisor")))


# -- dropout and noise -----------------------------------------------------------------


def _dropped(c: Call, kept: tuple) -> Keeps:
    """A random layer: keeps `kept` while training; the identity in inference."""
    return Keeps(kept) if c.training else VIEW


@rule("Dropout")
def _dropout(c: Call) -> Keeps:
    rate = c.cfg.rate
    if rate == 0 or not c.training:
        return VIEW  # PyTorch returns the input itself
    if rate == 1:
        return NOTHING
    return Keeps((new(_n(c.ins[0]), "mask", MASK),))


@rule(*_rank_names("Dropout"))
def _channel_dropout(c: Call) -> Keeps:
    # input * noise with noise (N, C, 1, …): one value per sample and channel
    x, rank = c.ins[0], c.layer.rank
    if c.cfg.rate == 0 or not c.training:
        return VIEW
    if c.cfg.convention == "keras":
        noise = x[0] * x[-1]
    elif rank == 2 or len(x) == rank + 2:
        noise = x[0] * x[1]
    else:
        noise = x[0]  # an unbatched input: one value per channel
    return Keeps((new(noise, "channel noise"),))


@rule("AlphaDropout", "GaussianDropout")
def _noise_dropout(c: Call) -> Keeps:
    if c.cfg.rate == 0:
        return VIEW
    return _dropped(c, (new(_n(c.ins[0]), "noise"),))


@rule("GaussianNoise")
def _gaussian_noise(c: Call) -> Keeps:
    return NOTHING if c.training else VIEW  # x + noise keeps nothing


# -- shapes: views and copies ----------------------------------------------------------


@rule("Identity")
def _identity(c: Call) -> Keeps:
    return VIEW


@rule("Flatten", "Reshape", "Unflatten")
def _reshape(c: Call) -> Keeps:
    return VIEW if c.contiguous[0] else NOTHING  # a strided input is copied


@rule("Permute", "Transpose")
def _permute(c: Call) -> Keeps:
    return Keeps(views=((0, 0),), contiguous=False)


@rule("Squeeze", "Unsqueeze")
def _squeeze(c: Call) -> Keeps:
    return Keeps(views=((0, 0),), contiguous=c.contiguous[0])


@rule("Select", "Slice")
def _select(c: Call) -> Keeps:
    leading = normalize_axis(c.cfg.axis, len(c.ins[0])) == 0 and getattr(c.cfg, "step", 1) == 1
    return Keeps(views=((0, 0),), contiguous=c.contiguous[0] and leading)


@rule(*_rank_names("Cropping", suffix="D"))
def _crop(c: Call) -> Keeps:
    return Keeps(views=((0, 0),), contiguous=False)


@rule(
    "Upsample",
    *_rank_names("UpSampling", suffix="D"),
    *_rank_names("ZeroPad"),
    *_rank_names("ConstantPad"),
    *_rank_names("ZeroPadding", suffix="D"),
)
def _resample(c: Call) -> Keeps:
    return NOTHING  # their backward needs only the sizes


@rule(*_rank_names("ReflectionPad"), *_rank_names("ReplicationPad"))
def _edge_pad(c: Call) -> Keeps:
    return Keeps((inp(),))


# -- merges ----------------------------------------------------------------------------


@rule("Add", "Subtract", "Average", "Concat")
def _sum_like(c: Call) -> Keeps:
    return NOTHING


def _distinct(c: Call) -> list[int]:
    return [i for i in range(len(c.ins)) if c.same[i] == i]


@rule("Multiply", "Maximum", "Minimum")
def _product_like(c: Call) -> Keeps:
    # a chain ((a*b)*c)…: each step keeps both operands
    chained = tuple(new(_n(c.outs[0]), "partial result") for _ in range(len(c.ins) - 2))
    return Keeps(tuple(inp(i) for i in _distinct(c)) + chained)


@rule("MatMul", autocast="half")
def _matmul(c: Call) -> Keeps:
    a, b = c.ins
    if (
        len(a) >= 3
        and len(b) >= 3
        and (len(a) != len(b) or any(equal(p, q) is not True for p, q in zip(a[:-2], b[:-2])))
    ):
        # batch axes that broadcast: both operands are expanded and copied
        batch = c.outs[0][:-2]
        return Keeps(
            (new(_n(batch) * a[-2] * a[-1], "expanded input"), new(_n(batch) * b[-2] * b[-1], "expanded input"))
        )
    return Keeps(tuple(inp(i) for i in _distinct(c)))


# -- recurrent -------------------------------------------------------------------------

STEP_STATES = {"RNN": 1, "GRU": 7, "LSTM": 7}
"""Tensors of (batch, hidden) an ATen cell keeps per step: RNN its new state; GRU its gates
(3), two copies the in-place updates need, the candidate and the previous state; LSTM its four
gates (one storage), the previous h and c and tanh(c)."""


def _sequence_axes(c: Call) -> tuple[Dim, Dim, Dim, bool]:
    """(steps, batch, features, batch-major) of a recurrent layer's input."""
    x = c.ins[0]
    if c.cfg.convention == "keras":
        return x[1], x[0], x[2], True
    if len(x) == 2:
        return x[0], 1, x[1], False
    if c.cfg.batch_first:
        return x[1], x[0], x[2], True
    return x[0], x[1], x[2], False


@rule("RNN", "LSTM", "GRU", autocast="half")
def _recurrent(c: Call) -> Keeps:
    cfg, kind = c.cfg, c.layer.type_name
    steps, batch, features, batch_major = _sequence_axes(c)
    directions = 2 if cfg.bidirectional else 1
    hidden, proj = cfg.hidden_size, getattr(cfg, "proj_size", 0) if cfg.convention != "keras" else 0
    width_out = directions * (proj or hidden)
    # the input; a batch-major input is copied to time-major by each direction's projection
    copies = [new(steps * batch * features, "input (time-major copy)") for _ in range(directions)]
    saved = copies if batch_major else [inp()]
    for layer in range(cfg.num_layers):
        if layer:
            below = steps * batch * width_out
            if cfg.dropout and c.training:
                saved += [new(below, "dropout mask between layers", MASK), new(below, "dropped layer output")]
            else:
                saved.append(new(below, "layer output"))
        per_step = STEP_STATES[kind] * hidden + proj
        states = directions * (steps * batch * per_step + (batch * hidden if kind == "RNN" else 0))
        saved.append(new(states, f"{kind} gates and states of every step"))
    return Keeps(tuple(saved), transient=_recurrent_transient(c, steps, batch, features, batch_major))


def _recurrent_transient(c: Call, steps: Dim, batch: Dim, features: Dim, batch_major: bool) -> Dim:
    """Inference: the most that ATen's recurrent layers (RNN.cpp on the CPU, as on CUDA without
    cuDNN) hold at once beyond the input, the output and the final states (whose size h0 and c0
    have from the start).

    A layer at a time and a direction at a time: the input projections of every step at once
    (`linear_ih` of the whole sequence: one buffer; a matmul and a bias sum, two, of a
    batch-major input with a batch > 1, which is not contiguous once made time-major), then the
    steps, whose outputs are kept until they are stacked while the projections are still held;
    a second direction projects again while the first one's steps and stacked output are held,
    and the two are concatenated while all of that is. The layer below's output is held
    throughout, and every finished layer's final states until h_n and c_n are stacked."""
    cfg, kind = c.cfg, c.layer.type_name
    directions = 2 if cfg.bidirectional else 1
    hidden = cfg.hidden_size
    width = getattr(cfg, "proj_size", 0) or hidden if cfg.convention != "keras" else hidden
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind] * hidden
    rows = steps * batch
    projected, outputs = rows * gates, rows * width
    strided = batch_major and not (isinstance(batch, int) and batch == 1)
    first = (projected + (projected if cfg.use_bias else rows * features)) if strided else projected
    finals = batch * (width + hidden if kind == "LSTM" else width)  # one layer and direction's final states
    peak: Dim = 0
    for layer in range(cfg.num_layers):
        below = rows * directions * width if layer else 0
        project = first if layer == 0 else projected
        done = layer * directions * finals
        if directions == 1:
            phases = [project, projected + 2 * outputs + finals]
        else:
            phases = [
                project,
                projected + 2 * outputs + finals,
                projected + 2 * outputs + finals + project,
                projected + 4 * outputs + 2 * finals + directions * outputs,
            ]
        for phase in phases:
            peak = dim_max(peak, below + done + phase)
    return dim_max(peak, cfg.num_layers * directions * finals + directions * outputs) - directions * outputs


# -- attention -------------------------------------------------------------------------


def _torch_attention(
    c: Call,
    key: int,
    value: int,
    weights_needed: bool,
    dropout: float,
    heads: int,
    what: str = "",
    packed: bool = True,
    extra: int = 0,
) -> tuple[list, Dim]:
    """What F.multi_head_attention_forward keeps for query input 0 and the given key and
    value inputs (which may be the same tensor as the query, or as each other).

    Returns (saved, transient elements). With the weights needed (or PyTorch's math
    attention: on the CPU, with dropout, while training) the weights are computed
    explicitly and kept; otherwise the fused kernel keeps q, k, v, its output and a
    log-sum-exp per row.
    """
    q_shape, k_shape = c.ins[0], c.ins[key]
    batch_first = getattr(c.cfg, "batch_first", False) and len(q_shape) == 3
    if len(q_shape) == 2:
        n, length, e, keys = 1, q_shape[0], q_shape[1], k_shape[0]
    elif batch_first:
        (n, length, e), keys = q_shape, k_shape[1]
    else:
        (length, n, e), keys = q_shape, k_shape[0]
    keys = keys + extra
    nle, nse, weights = n * length * e, n * keys * e, n * heads * length * keys
    # an unbatched query, key and value are each unsqueezed first: no longer one tensor, never packed
    batched = len(q_shape) == 3
    self_attention = packed and batched and c.same[key] == 0 and c.same[value] == 0
    key_is_value = packed and batched and c.same[value] == c.same[key]
    # the in-projections keep their inputs (a dense time-major copy of a batch-first input)
    saved: list = []
    for index in sorted({c.same[0], c.same[key], c.same[value]}):
        saved.append(
            new(_n(c.ins[index]), f"{what}input (time-major copy)") if batch_first else inp(index, f"{what}input")
        )
    # the projected queries, keys and values: one packed storage, or one each
    if extra:
        queries, key_values = (
            new(nle, f"{what}queries"),
            [new(nse, f"{what}keys (extended)"), new(nse, f"{what}values (extended)")],
        )
    elif self_attention:
        queries, key_values = None, [new(3 * nle, f"{what}q, k, v projections")]
    elif key_is_value:
        queries, key_values = new(nle, f"{what}queries"), [new(2 * nse, f"{what}k, v projections")]
    else:
        queries, key_values = new(nle, f"{what}queries"), [new(nse, f"{what}keys"), new(nse, f"{what}values")]
    dropping = bool(dropout) and c.training
    if weights_needed or (c.device == "cpu" and dropping):
        # softmax(q kᵀ) v written out: the scaled queries, the keys (scaled, in the math
        # kernel), the values, the weights, and with dropout its mask and the dropped weights
        saved.append(new(nle, f"{what}scaled queries"))
        saved += key_values if weights_needed else [new(nse, f"{what}scaled keys"), key_values[-1]]
        returned = weights_needed and len(c.outs) > 1 and not getattr(c.cfg, "average_attn_weights", True)
        if dropping:
            saved += [new(weights, f"{what}attention weights"), new(weights, f"{what}attention dropout mask", MASK)]
            saved.append(out(1, f"{what}dropped weights") if returned else new(weights, f"{what}dropped weights"))
        else:
            saved.append(out(1, f"{what}attention weights") if returned else new(weights, f"{what}attention weights"))
        transient = 2 * nle + 2 * nse + weights
    else:
        saved += ([queries] if queries is not None else []) + key_values
        saved += [new(nle, f"{what}attention output"), new(n * heads * length, f"{what}log-sum-exp", STAT)]
        transient = 3 * nle + 2 * nse
        if c.device == "cpu":
            # the CPU kernel writes its output time-major, as the queries are laid out: merging
            # the heads for the out-projection is a view of it (measured)
            return saved, transient
    saved.append(new(nle, f"{what}heads merged (out-projection input)"))
    return saved, transient


@rule("MultiheadAttention", autocast="half")
def _multihead_attention(c: Call) -> Keeps:
    cfg = c.cfg
    if cfg.convention == "keras":
        return _keras_attention(c)
    key = 1 if len(c.ins) > 1 else 0
    value = 2 if len(c.ins) > 2 else key
    e = c.ins[0][-1]
    packed = all(equal(d, e) is not False for d in (cfg.kdim or e, cfg.vdim or e))
    saved, transient = _torch_attention(
        c,
        key,
        value,
        weights_needed=1 in c.used,
        dropout=cfg.dropout,
        heads=cfg.num_heads,
        packed=packed,
        extra=int(cfg.add_bias_kv) + int(cfg.add_zero_attn),
    )
    return Keeps(tuple(saved), transient=transient)


def _keras_attention(c: Call) -> Keeps:
    # Keras' einsum attention: the inputs, the projected queries, keys and values, the weights
    # (and dropout's mask and dropped weights), and the heads before the output projection
    cfg = c.cfg
    query, value = c.ins[0], c.ins[1] if len(c.ins) > 1 else c.ins[0]
    n, t, s, heads = query[0], query[1], value[1], cfg.num_heads
    kd = cfg.key_dim
    vd = cfg.value_dim or kd
    weights = n * heads * t * s
    saved = [inp(i) for i in _distinct(c)]
    saved += [new(n * t * heads * kd, "scaled queries"), new(n * s * heads * kd, "keys")]
    saved += [new(n * s * heads * vd, "values"), new(weights, "attention weights")]
    if cfg.dropout and c.training:
        saved += [new(weights, "attention dropout mask", MASK), new(weights, "dropped weights")]
    saved.append(new(n * t * heads * vd, "heads (out-projection input)"))
    return Keeps(tuple(saved), transient=weights + n * (t + 2 * s) * heads * kd)


def _feed_forward(c: Call, rows: Dim, e: Dim, what_input: str) -> list:
    """linear1 → activation → dropout → linear2 → dropout of a transformer layer: what it keeps."""
    cfg = c.cfg
    f = cfg.dim_feedforward
    hidden = rows * f
    saved = [new(rows * e, what_input)]
    relu = cfg.activation == "relu"
    saved.append(new(hidden, "feed-forward activation output" if relu else "feed-forward pre-activation"))
    dropout = cfg.dropout and c.training
    if dropout:
        saved += [new(hidden, "feed-forward dropout mask", MASK), new(hidden, "dropped feed-forward")]
    elif not relu:
        saved.append(new(hidden, "feed-forward activation output"))
    if dropout:
        saved.append(new(rows * e, "dropout mask", MASK))
    return saved


def _residual_norm(c: Call, rows: Dim, e: Dim, what: str) -> list:
    """A dropout, a residual sum and a LayerNorm: the mask, the sum the norm keeps, its statistics."""
    saved = [new(rows * e, f"{what} dropout mask", MASK)] if c.cfg.dropout and c.training else []
    return saved + [new(rows * e, f"{what} residual sum (norm input)", WIDE), *_statistics(rows, f"{what} norm")]


def _transformer_sizes(c: Call) -> tuple[Dim, Dim, Dim]:
    """(rows, sequence length, width) of a transformer layer's first input."""
    x = c.ins[0]
    if len(x) == 2:
        return x[0], x[0], x[1]
    length = x[1] if c.cfg.batch_first else x[0]
    return x[0] * x[1], length, x[2]


@rule("TransformerEncoderLayer", autocast="half")
def _encoder_layer(c: Call) -> Keeps:
    rows, _, e = _transformer_sizes(c)
    saved = tuple(_transformer_blocks(c, rows, e, cross=False))
    return Keeps(saved, transient=_transformer_transient(c, rows, e), output=WIDE)


@rule("TransformerDecoderLayer", autocast="half")
def _decoder_layer(c: Call) -> Keeps:
    rows, _, e = _transformer_sizes(c)
    saved = tuple(_transformer_blocks(c, rows, e, cross=True))
    return Keeps(saved, transient=_transformer_transient(c, rows, e), output=WIDE)


WEIGHT_ALWAYS_KEPT = {
    *_rank_names("Conv"),
    *_rank_names("ConvTranspose"),
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "PReLU",
}
"""Layers whose backward keeps the weight even when the input needs no gradient (one derivative
formula for input and weight: convolution_backward, prelu's); a matrix product keeps the weight
only for the input's gradient."""


def casts_parameter(type_name: str, local: str, kept: bool = False) -> bool:
    """Whether autocast makes a half-precision copy of this parameter: every parameter of a
    layer it runs in half precision, except the LayerNorms inside a transformer layer.
    `kept`: whether backward keeps that copy — weights yes, biases no (their gradient is a sum)."""
    if AUTOCAST.get(type_name) != "half":
        return False
    if type_name.startswith("Transformer") and local.startswith("norm"):
        return False
    return not (kept and "bias" in local.rsplit(".", 1)[-1])


def _transformer_blocks(c: Call, rows: Dim, e: Dim, cross: bool) -> list:
    """Self-attention (and cross-attention to memory), then the feed-forward block, each with
    dropout, a residual sum and a LayerNorm; norm_first normalizes before each block instead."""
    cfg = c.cfg
    saved: list = []
    self_call = c._replace(same=(0,), ins=[c.ins[0]], outs=[c.outs[0]])
    attention, _ = _torch_attention(self_call, 0, 0, False, cfg.dropout, cfg.nhead, "self-attention ")
    if cfg.norm_first:
        saved += [inp(0, "input (norm input)", cast=False), *_statistics(rows, "first norm")]
        attention[0] = new(rows * e, "self-attention input (normalized)")
    saved += attention + _residual_norm(c, rows, e, "self-attention")
    if cross:
        crossed, _ = _torch_attention(c._replace(same=(0, 1)), 1, 1, False, cfg.dropout, cfg.nhead, "cross-attention ")
        crossed[0] = new(rows * e, "cross-attention query (normalized)")
        saved += crossed + _residual_norm(c, rows, e, "cross-attention")
    saved += _feed_forward(c, rows, e, "feed-forward input (normalized)")
    if cfg.norm_first:
        return saved  # the output is the last residual sum: nothing more is kept
    return saved + [new(rows * e, "feed-forward residual sum (norm input)", WIDE), *_statistics(rows, "last norm")]


def _transformer_transient(c: Call, rows: Dim, e: Dim) -> Dim:
    """Inference (PyTorch's composite path; attention without weights runs a fused kernel that
    makes no weights): beyond the inputs and the output, the larger of what the attention
    block holds — its packed projections and their contiguous copy, 6 rows of width e, less
    the output's — and what the feed-forward block holds: the hidden rows before and after
    the activation. With norm_first the normalized input of the block is held as well."""
    first = 1 if c.cfg.norm_first else 0
    return rows * dim_max((5 + first) * e, 2 * c.cfg.dim_feedforward + first * e)


# -- Keras' preprocessing layers, wrappers, Dot, attention without projections, EinsumDense ---------
# Measured (tools/measure_memory.py's extra cases) on the PyTorch code of the torch backend table, or
# on Keras' formula written in PyTorch ops where the table has none.


@rule("Rescaling", "Resizing", "RepeatVector")
def _constant_or_resampled(c: Call) -> Keeps:
    return NOTHING  # x * scale + offset; interpolation and repeat need only the sizes


@rule("Normalization")
def _normalization(c: Call) -> Keeps:
    # (x - mean) / max(√variance, ε): the division keeps its divisor, one per kept position
    x = c.ins[0]
    kept = {a % len(x) for a in c.cfg.axis}
    return Keeps((new(product(x[a] for a in sorted(kept)), "standard deviation", PARAM),))


@rule("CenterCrop")
def _center_crop(c: Call) -> Keeps:
    # a crop is a view; a smaller image is resized (which keeps nothing)
    x, y = c.ins[0], c.outs[0]
    smaller = any(isinstance(d, int) and isinstance(t, int) and d < t for d, t in zip(x, y))
    return NOTHING if smaller else Keeps(views=((0, 0),), contiguous=False)


@rule("Masking")
def _masking(c: Call) -> Keeps:
    # x * any(x != mask_value, -1): the product keeps the float mask, one value per step
    return Keeps((new(_n(c.ins[0][:-1]), "mask"),))


@rule("Dot", autocast="half")
def _dot(c: Call) -> Keeps:
    # the batched product keeps both operands: as they are when the contracted axis is last (first)
    # or the operand has one other axis, else a copy with the axes reordered
    a, b = c.ins
    i, j = (axis % len(x) if axis < 0 else axis for axis, x in zip(c.cfg.axes, (a, b)))
    saved = []
    for index, (x, axis, natural) in enumerate(((a, i, len(a) - 1), (b, j, 1))):
        if c.cfg.normalize:  # x * min(rsqrt(sum(x²)), 1/ε): x, the rsqrt and the clip's outputs
            rows = product(d for k, d in enumerate(x) if k != axis)  # no division: the axis may be 0 or symbolic
            saved += [inp(index), new(rows, "inverse norm"), new(rows, "clipped inverse norm")]
            saved.append(new(_n(x), "normalized input"))
        elif axis == natural or len(x) <= 3:
            saved.append(inp(index))
        else:
            saved.append(new(_n(x), "input (axes reordered)"))
    return Keeps(tuple(saved))


@rule("Attention", "AdditiveAttention", autocast="half")
def _plain_attention(c: Call) -> Keeps:
    cfg = c.cfg
    query, value = c.ins[0], c.ins[1]
    key = c.ins[2] if len(c.ins) > 2 else value
    scores = _n(c.outs[0][:-1]) * key[-2]
    width = dim_max(query[-1], key[-1])
    saved = []
    if c.layer.type_name == "Attention" and cfg.score_mode == "dot":
        saved += [inp(0, "query"), inp(len(c.ins) - 1, "key")]  # q @ kᵀ
        if cfg.use_scale:
            saved.append(new(scores, "unscaled scores"))
    else:  # sum(tanh(q + k)): tanh keeps its output; concat's weight (and a scale) keep more
        saved.append(new(scores * width, "tanh of query + key"))
        if c.layer.type_name == "Attention":
            saved.append(new(scores, "summed scores"))
            if cfg.use_scale:
                saved.append(new(scores * width, "query + key"))
    if cfg.use_causal_mask:
        saved.append(new(c.outs[0][-2] * key[-2], "causal mask", BOOL))  # (1, Tq, Tv)
    weights = out(1, "attention weights") if cfg.return_attention_scores else new(scores, "attention weights")
    return Keeps((*saved, weights, inp(1, "value")))


@rule("EinsumDense", autocast="half")
def _einsum_dense(c: Call) -> Keeps:
    # torch.einsum keeps the input as is when its summed letters come last, else a reordered copy
    letters_in, letters_kernel, letters_out, ellipsis = c.cfg.equation.parts
    summed = [x for x in letters_in if x in letters_kernel and x not in letters_out]
    shared = [x for x in letters_in if x in letters_kernel and x in letters_out]
    as_is = ellipsis != "right" and not shared and letters_in.endswith("".join(summed))
    kept = inp() if as_is else new(_n(c.ins[0]), "input (axes reordered)")
    return Keeps((kept, *_after_layer(c.cfg.activation, c)), transient=_pre_activation(c))


@rule("TimeDistributed")
def _time_distributed(c: Call) -> Keeps:
    # the layer on the N·T steps at once: (N, T, *rest) viewed as (N·T, *rest)
    spec = c.cfg.layer
    x, y = c.ins[0], c.outs[0]
    folded = c._replace(
        layer=spec.cls, cfg=spec.config(c.cfg.convention), ins=[(x[0] * x[1], *x[2:])], outs=[(y[0] * y[1], *y[2:])]
    )
    return RULES[spec.cls.type_name](folded)


@rule("Bidirectional", autocast="half")
def _bidirectional(c: Call) -> Keeps:
    # the layer twice (forward, and backward on the reversed steps), then the merge
    spec, merge = c.cfg.layer, c.cfg.merge_mode
    inner = spec.config(c.cfg.convention)
    output = c.outs[0] if merge != "concat" else (*c.outs[0][:-1], c.outs[0][-1] // 2)
    states = c.outs[1 if merge is not None else 2 :]
    outs = [output, *states[: len(states) // 2]]
    one = RULES[spec.cls.type_name](c._replace(layer=spec.cls, cfg=inner, outs=outs))
    saved = list(one.saved) * 2
    if c.cfg.merge_mode == "mul":
        saved += [new(_n(c.outs[0]), "forward output"), new(_n(c.outs[0]), "backward output")]
    return Keeps(tuple(saved), transient=2 * one.transient)


@rule("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", autocast="half")
def _conv_lstm(c: Call) -> Keeps:
    # Not measured: PyTorch has no ConvLSTM. As an LSTM cell's: the input, and per step the four
    # gates, the previous c, tanh(c) and h (each of the state's size) that the step's backward needs
    x = c.ins[0]
    state = (
        c.outs[1] if len(c.outs) > 1 else (c.outs[0] if not c.cfg.return_sequences else c.outs[0][:1] + c.outs[0][2:])
    )
    states = x[1] * STEP_STATES["LSTM"] * _n(state)
    return Keeps((inp(), new(states, "gates and states of every step")), transient=4 * _n(state))


# -- PyTorch's later types: pixel shuffles, cells, bags, stacks, unpooling, distances ---------------
# Measured on PyTorch 2.13's modules (tools/measure_memory.py, the reference grid's cases).


@rule(
    "PixelShuffle",
    "PixelUnshuffle",
    "Fold",
    "Unfold",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    *_rank_names("CircularPad"),
)
def _rearranged(c: Call) -> Keeps:
    return NOTHING  # a permutation, col2im/im2col, a fixed interpolation, a circular pad: sizes only


@rule("Softmax2d", autocast="fp32")
def _softmax2d(c: Call) -> Keeps:
    return Keeps((out(),))  # softmax over the channels keeps its output


@rule("RReLU")
def _rrelu(c: Call) -> Keeps:
    # training: x * noise with a random slope per negative element; inference: leaky_relu
    if not c.training:
        return Keeps((inp(),))
    return Keeps((inp(), new(_n(c.ins[0]), "random slopes")))


@rule("StochasticDepth")
def _stochastic_depth(c: Call) -> Keeps:
    # torchvision: input * noise, noise (N, 1, …) for mode row, one value for mode batch
    if c.cfg.p == 0 or not c.training:
        return VIEW  # the input itself
    return Keeps((new(c.ins[0][0] if c.cfg.mode == "row" else 1, "noise"),))


@rule(*_rank_names("MaxUnpool"))
def _max_unpool(c: Call) -> Keeps:
    return Keeps((inp(1, "indices"),))  # backward gathers the gradient at the indices


@rule(*_rank_names("LPPool"))
def _lp_pool(c: Call) -> Keeps:
    # (sign(a) * relu(|a|) * kernel_size) ** (1/p), a = avg_pool(x ** p): x, x ** p, a, sign(a),
    # relu's output and the product
    n, m = _n(c.ins[0]), _n(c.outs[0])
    pooled = (new(m, "pooled powers"), new(m, "sign"), new(m, "relu output"), new(m, "scaled"))
    return Keeps((inp(), new(n, "input ** p"), *pooled), transient=n)


@rule("SyncBatchNorm")
def _sync_batch_norm(c: Call) -> Keeps:
    return _batch_norm(c)  # one process (the CPU): batch_norm


rule(*_rank_names("LazyInstanceNorm"))(_instance_norm)


def _broadcast_elements(c: Call) -> Dim:
    """Elements of the two inputs broadcast together."""
    from ..shape_math import broadcast

    return product(broadcast([c.ins[0], c.ins[1]]))


@rule("CosineSimilarity")
def _cosine_similarity(c: Call) -> Keeps:
    # (x1 / max(‖x1‖, ε)) · (x2 / max(‖x2‖, ε)) summed: both inputs, each norm and its clamped copy,
    # both quotients
    rows, full = _n(c.outs[0]), _broadcast_elements(c)
    norms = (new(rows, "norm of x1"), new(rows, "clamped norm of x1"))
    norms += (new(rows, "norm of x2"), new(rows, "clamped norm of x2"))
    return Keeps((inp(0), inp(1), *norms, new(full, "x1 / norm"), new(full, "x2 / norm")), transient=2 * full)


@rule("PairwiseDistance")
def _pairwise_distance(c: Call) -> Keeps:
    # ‖x1 - x2 + ε‖: the norm keeps its input (the difference) and its result
    full = _broadcast_elements(c)
    return Keeps((new(full, "difference"), out()), transient=full)


@rule("EmbeddingBag", autocast="param")
def _embedding_bag(c: Call) -> Keeps:
    # ATen's _embedding_bag keeps the indices, the offsets, offset2bag (one more than the indices;
    # empty on the fast path: mode sum without padding_idx), the bag sizes (the offsets' size) and
    # max_indices (one per bag, per bag and column for mode max); and per_sample_weights
    cfg, x = c.cfg, c.ins[0]
    indices = _n(x)
    two_d = len(x) == 2
    offsets = x[0] if two_d else c.ins[1][0]
    bags = c.outs[0][0]
    saved = [inp(0, "indices"), new(offsets, "offsets", INDEX) if two_d else inp(1, "offsets")]
    if cfg.mode != "sum" or cfg.padding_idx is not None:
        saved.append(new(indices + 1, "offset2bag", INDEX))
    saved.append(new(offsets, "bag sizes", INDEX))
    saved.append(new(bags * cfg.embedding_dim if cfg.mode == "max" else bags, "max indices", INDEX))
    weights = 1 if two_d else 2
    if len(c.ins) > weights:
        saved.append(inp(weights, "per_sample_weights"))
    return Keeps(tuple(saved))


def _cell_sizes(c: Call) -> tuple[Dim, Dim]:
    """(batch, hidden) of a recurrent cell (an unbatched input is a batch of one)."""
    x = c.ins[0]
    return (x[0] if len(x) == 2 else 1), c.cfg.hidden_size


@rule("RNNCell", autocast="half")
def _rnn_cell(c: Call) -> Keeps:
    # tanh(x Wᵢᵀ + h Wₕᵀ): x, h (zeros when not given) and the activation's output
    batch, hidden = _cell_sizes(c)
    state = inp(1, "state") if len(c.ins) > 1 else new(batch * hidden, "zero state")
    return Keeps((inp(), state, out()), transient=2 * batch * hidden)


@rule("LSTMCell", autocast="half")
def _lstm_cell(c: Call) -> Keeps:
    # x, h and c (one zero tensor for both when not given), the four gates (one storage) and tanh(c')
    batch, hidden = _cell_sizes(c)
    states = (inp(1, "h"), inp(2, "c")) if len(c.ins) > 2 else (new(batch * hidden, "zero state"),)
    saved = (inp(), *states, new(4 * batch * hidden, "gates"), new(batch * hidden, "tanh of the new c"))
    return Keeps(saved, transient=8 * batch * hidden)


@rule("GRUCell", autocast="half")
def _gru_cell(c: Call) -> Keeps:
    # x, h (zeros when not given), the three gates (one storage) and three (batch, hidden) tensors
    # of the fused cell's workspace
    batch, hidden = _cell_sizes(c)
    state = inp(1, "state") if len(c.ins) > 1 else new(batch * hidden, "zero state")
    saved = (inp(), state, new(3 * batch * hidden, "gates"))
    saved += tuple(new(batch * hidden, what) for what in ("reset gate", "update gate", "candidate"))
    return Keeps(saved, transient=6 * batch * hidden)


def _stacked(c: Call, layer_rule, layers: int, first: dict, later_input: Saved | None = None) -> tuple[list, Dim]:
    """The layers of a transformer stack, each its layer rule's keeps: the first layer's inputs
    mapped by `first` (layer input index → what stands for it, None: dropped), the later layers' input 0
    the previous layer's output (a new tensor), the others as for the first layer after their first use."""
    saved: list = []
    transient: Dim = 0
    rows, _, e = _transformer_sizes(c)
    for layer in range(layers):
        keeps = layer_rule(c)
        mapping = dict(first)
        if layer:
            mapping[0] = new(rows * e, f"layer {layer} input", WIDE)
        for index, stands in list(mapping.items()):
            if index and layer and stands is not None and stands.source == "new":
                mapping[index] = None  # a shared new tensor counted at its first use
        used: set = set()
        for item in keeps.saved:
            if item.source == "in" and item.index in mapping:
                if item.index in used or mapping[item.index] is None:
                    continue
                used.add(item.index)
                item = mapping[item.index]
            saved.append(item)
        transient = dim_max(transient, keeps.transient)
    return saved, transient


def _final_norm(c: Call, what: str) -> list:
    """A LayerNorm on a stack's output: its input (the last layer's output) and its statistics."""
    rows, _, e = _transformer_sizes(c)
    return [new(rows * e, f"{what} norm input", WIDE), *_statistics(rows, f"{what} norm")]


@rule("TransformerEncoder", autocast="half")
def _encoder_stack(c: Call) -> Keeps:
    saved, transient = _stacked(c, _encoder_layer, c.cfg.num_layers, {0: inp(0)})
    saved += _final_norm(c, "final") if c.cfg.norm else []
    return Keeps(tuple(saved), transient=transient, output=WIDE)


@rule("TransformerDecoder", autocast="half")
def _decoder_stack(c: Call) -> Keeps:
    saved, transient = _stacked(c, _decoder_layer, c.cfg.num_layers, {0: inp(0), 1: inp(1)})
    saved += _final_norm(c, "final") if c.cfg.norm else []
    return Keeps(tuple(saved), transient=transient, output=WIDE)


@rule("Transformer", autocast="half")
def _transformer(c: Call) -> Keeps:
    # the encoder stack and its norm on src; the decoder stack and its norm on (tgt, memory), memory
    # (the encoder norm's output) one tensor every decoder layer's cross-attention shares
    src, tgt = c.ins
    encoder = c._replace(ins=[src], outs=[src], same=(0,))
    saved, transient = _stacked(encoder, _encoder_layer, c.cfg.num_encoder_layers, {0: inp(0)})
    saved += _final_norm(encoder, "encoder")
    rows, _, e = _transformer_sizes(encoder)
    memory = new(rows * e, "memory (encoder output)", WIDE)
    decoder = c._replace(ins=[tgt, src], same=(0, 1))
    kept, more = _stacked(decoder, _decoder_layer, c.cfg.num_decoder_layers, {0: inp(1), 1: memory})
    return Keeps(tuple(saved + kept + _final_norm(decoder, "decoder")), transient=dim_max(transient, more), output=WIDE)


UNMEASURED = {
    "ConvLSTM1D": "PyTorch has no convolutional LSTM to measure; the rule is an LSTM cell's, with convolutions",
    "ConvLSTM2D": "PyTorch has no convolutional LSTM to measure; the rule is an LSTM cell's, with convolutions",
    "ConvLSTM3D": "PyTorch has no convolutional LSTM to measure; the rule is an LSTM cell's, with convolutions",
}
"""Layer types whose rule no measurement checks, and why."""


# -- standalone tensors and shape-adapting layers ----------------------------------------


@rule("Parameter", "Buffer")
def _standalone(c: Call) -> Keeps:
    return Keeps(owned=(0,))  # the tensor itself: parameter memory, no activation


@rule("LayerScale")
def _layer_scale(c: Call) -> Keeps:
    return Keeps((inp(),))  # x * gamma: gamma's gradient needs x (gamma itself is a parameter)


@rule("PadToMultiple", "Roll", "ChannelShuffle", "Stack", "Tile", "Repeat")
def _rearranged(c: Call) -> Keeps:
    return NOTHING  # constant padding, a cyclic shift, a permutation, a concatenation, repeats: sizes only


@rule("Pad")
def _pad(c: Call) -> Keeps:
    return Keeps((inp(),)) if c.cfg.mode in ("reflect", "replicate") else NOTHING


def _leading_only(c: Call, axes) -> bool:
    """Whether a view that narrows `axes` of input 0 is still dense (only the first axis narrowed)."""
    rank = len(c.ins[0])
    return c.contiguous[0] and all(normalize_axis(a, rank) == 0 for a in axes)


@rule("Crop", "CropTo")
def _crop_view(c: Call) -> Keeps:
    return Keeps(views=((0, 0),), contiguous=_leading_only(c, c.cfg.axes))


@rule("Split", "Chunk")
def _pieces(c: Call) -> Keeps:
    views = tuple((i, 0) for i in range(len(c.outs)))
    return Keeps(views=views, contiguous=_leading_only(c, (c.cfg.dim,)))


@rule("Expand")
def _expand(c: Call) -> Keeps:
    return Keeps(views=((0, 0),), contiguous=all(equal(a, b) is True for a, b in zip(c.ins[0], c.outs[0])))


@rule("IndexSelect")
def _index_select(c: Call) -> Keeps:
    return Keeps((inp(1, "indices"),))


@rule("Reduce")
def _reduce(c: Call) -> Keeps:
    if c.cfg.op in ("mean", "sum"):
        return NOTHING
    return Keeps((inp(), out()))  # amax/amin keep their input and result


@rule("Einsum", autocast="half")
def _einsum(c: Call) -> Keeps:
    # each pairwise product of the left-to-right contraction keeps both operands: an input, an
    # input summed over an axis the running result lacks, or the running (partial) result
    from ..layers.einsum import align, contraction_operands, parse_equation

    distinct = set(_distinct(c))
    saved, kept = [], set()
    for pair in contraction_operands(align(parse_equation(c.cfg.equation), list(c.ins))):
        for operand in pair:
            if operand.source is None:
                saved.append(new(operand.elements, "partial result or summed input"))
            elif operand.source in distinct and operand.source not in kept:
                kept.add(operand.source)
                saved.append(inp(operand.source))
    return Keeps(tuple(saved))
