"""Attention: MultiheadAttention (PyTorch and Keras layouts), TransformerEncoderLayer,
TransformerDecoderLayer (PyTorch layout), Keras' Attention and AdditiveAttention.

MACs count the projections and both attention matmuls (scores QKᵀ and the
weighted sum of values), which is where most of a transformer's compute is.
"""

from __future__ import annotations

from ..args import Bool, Choice, Float, Int
from ..dims import equal, format_dim, format_shape, product
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, Param, PerConvention, register, with_sizes
from ..shape_math import broadcast, require_declared, require_divisible, require_rank, require_size, same_dim

_BATCH_FIRST = Arg(Bool(), PerConvention(torch=False, keras=True), doc="inputs (N, L, E) instead of (L, N, E)")


def _sequence(x, batch_first: bool):
    """(batch or None, length, features) of a rank-2 (unbatched) or rank-3 input."""
    require_rank(x, 2, 3)
    if len(x) == 2:
        return None, x[0], x[1]
    return (x[0], x[1], x[2]) if batch_first else (x[1], x[0], x[2])


def _check_heads(width, heads: int) -> None:
    require_divisible(width, heads, f"has {heads} heads, which must divide the embedding size {format_dim(width)}")


def _torch_attention_params(prefix: str, e, kdim, vdim, bias: bool, bias_kv: bool = False) -> list[Param]:
    """nn.MultiheadAttention's parameters, in PyTorch's order.

    PyTorch packs the three input projections when kdim and vdim equal embed_dim; a
    declared kdim or vdim that is not certainly equal to the width (unknown before
    inference) gives the separate projections.
    """
    packed = all(d is e or equal(d, e) is True for d in (kdim, vdim))
    if packed:
        params = [Param(f"{prefix}in_proj_weight", (3 * e, e))]
    else:
        params = [
            Param(f"{prefix}q_proj_weight", (e, e)),
            Param(f"{prefix}k_proj_weight", (e, kdim)),
            Param(f"{prefix}v_proj_weight", (e, vdim)),
        ]
    if bias:
        params.append(Param(f"{prefix}in_proj_bias", (3 * e,)))
    if bias_kv:
        params += [Param(f"{prefix}bias_k", (1, 1, e)), Param(f"{prefix}bias_v", (1, 1, e))]
    params.append(Param(f"{prefix}out_proj.weight", (e, e)))
    if bias:
        params.append(Param(f"{prefix}out_proj.bias", (e,)))
    return params


def _attention_macs(queries, keys, e, kdim, vdim, extra: int = 0):
    # L*E*E (q) + S*kdim*E (k) + S*vdim*E (v) + 2*L*(S+extra)*E (scores, sum) + L*E*E (out)
    return queries * e * e + keys * (kdim + vdim) * e + 2 * queries * (keys + extra) * e + queries * e * e


_DECLARED = {
    role: f"declares {{name}}={{declared}} but receives the {role} {{shape}} with {{actual}} features"
    for role in ("query", "key", "value")
}
"""MultiheadAttention's messages for a size its arguments declare, per input."""
_UNSET = {
    "key": "declares embed_dim={declared} and no kdim but receives the key {shape} with {actual} features",
    "value": "declares embed_dim={declared} and no vdim but receives the value {shape} with {actual} features",
}
"""… for a key or value without kdim or vdim: it must have embed_dim features."""
_LIKE_QUERY = {
    "key": "needs the key {shape} to have the query's {declared} features (no kdim is set), receives {actual}",
    "value": "needs the value {shape} to have the query's {declared} features (no vdim is set), receives {actual}",
}
"""… without embed_dim either: it must have the query's size."""
_SET = {"key": "set kdim: {actual}", "value": "set vdim: {actual}"}


@register("MultiheadAttention", prefix="attention")
class MultiheadAttention(Layer):
    """Multi-head attention over query, key and value inputs.

    PyTorch (torch, mxnet conventions): inputs [query] (self-attention),
    [query, key] (value = key) or [query, key, value], time-major unless
    batch_first; outputs `output` and the head-averaged `weights`.
    Keras (keras convention): inputs [query, value] or [query, value, key],
    batch-major; weights query/key/value/attention_output with a per-head axis;
    output `output` (and `scores` with return_attention_scores).
    """

    min_inputs, max_inputs = 1, 3
    args = {
        "num_heads": Arg(Int(1), aliases=("nhead", "heads"), doc="number of heads"),
        "embed_dim": Arg(Int(1), None, doc="PyTorch: declared query size"),
        "kdim": Arg(Int(1), None, doc="PyTorch: key size (default embed_dim)"),
        "vdim": Arg(Int(1), None, doc="PyTorch: value size (default embed_dim)"),
        "key_dim": Arg(Int(1), None, doc="Keras: size of each head for query and key"),
        "value_dim": Arg(Int(1), None, doc="Keras: size of each head for value (default key_dim)"),
        "output_shape": Arg(Int(1), None, doc="Keras: output size (default: the query's)"),
        "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add biases to the projections"),
        "add_bias_kv": Arg(Bool(), False, doc="PyTorch: learned bias appended to key and value"),
        "add_zero_attn": Arg(Bool(), False, doc="PyTorch: a zero key/value step appended"),
        "batch_first": _BATCH_FIRST,
        "average_attn_weights": Arg(Bool(), True, doc="PyTorch: average the weights over heads"),
        "return_attention_scores": Arg(Bool(), False, doc="Keras: also output the scores"),
        "dropout": Arg(Float(0, 1), 0.0, doc="dropout on the weights (no shape effect)"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.convention == "keras":
            if cfg.key_dim is None:
                raise SpecError("Keras MultiHeadAttention needs key_dim")
        elif cfg.embed_dim is not None and cfg.embed_dim % cfg.num_heads:
            raise SpecError(f"embed_dim ({cfg.embed_dim}) must be divisible by num_heads ({cfg.num_heads})")

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        if cfg.convention == "keras":
            return ("output", "scores") if cfg.return_attention_scores else ("output",)
        return ("output", "weights")

    @staticmethod
    def output_shape(cfg, ins):
        # query (L, N, E), key (S, N, kdim), value (S, N, vdim) -> (L, N, E), weights (N, L, S)
        if cfg.convention == "keras":
            return _keras_attention_shape(cfg, ins)
        query = ins[0]
        key_at = 1 if len(ins) > 1 else 0
        value_at = 2 if len(ins) > 2 else key_at
        key, value = ins[key_at], ins[value_at]
        n, length, e = _sequence(query, cfg.batch_first)
        if len(key) != len(query) or len(value) != len(query):
            raise ShapeError(
                f"needs query, key and value of one rank, receives {', '.join(map(format_shape, (query, key, value)))}"
            )
        nk, keys, _ = _sequence(key, cfg.batch_first)
        nv, values, _ = _sequence(value, cfg.batch_first)
        require_declared(query, -1, cfg, "embed_dim", message=_DECLARED["query"])
        for role, name, at in (("key", "kdim", key_at), ("value", "vdim", value_at)):
            if getattr(cfg, name) is not None:
                require_declared(ins[at], -1, cfg, name, input=at, message=_DECLARED[role])
            elif cfg.embed_dim is not None:
                require_declared(ins[at], -1, cfg, "embed_dim", input=at, message=_UNSET[role], hint=_SET[role])
            else:
                require_size(ins[at], -1, e, (0, len(query) - 1), _LIKE_QUERY[role], _SET[role], input=at)
        _check_heads(e, cfg.num_heads)
        if same_dim(keys, values) is None or (n is not None and (same_dim(n, nk) is None or same_dim(n, nv) is None)):
            raise ShapeError(
                "needs key and value of the same length and batch, "
                f"receives {format_shape(key)} and {format_shape(value)}"
            )
        extra = int(cfg.add_bias_kv) + int(cfg.add_zero_attn)
        weights = (length, keys + extra)
        if not cfg.average_attn_weights:
            weights = (cfg.num_heads, *weights)
        return [query, weights if n is None else (n, *weights)]

    @staticmethod
    def build(cfg, ins):
        # PyTorch's embed_dim: declared, else the query's last axis
        return cfg if cfg.convention == "keras" else with_sizes(cfg, embed_dim=ins[0][-1])

    @staticmethod
    def params(cfg, ins):
        if cfg.convention == "keras":
            return _keras_attention_params(cfg, ins)
        e = cfg.embed_dim
        return _torch_attention_params("", e, _kdim(cfg, e), _vdim(cfg, e), cfg.use_bias, cfg.add_bias_kv)

    @staticmethod
    def macs(cfg, ins, outs):
        query = ins[0]
        key = ins[1] if len(ins) > 1 else query
        value = ins[2] if len(ins) > 2 else key
        if cfg.convention == "keras":
            query, value, key = _keras_inputs(ins)
            heads, kd = cfg.num_heads, cfg.key_dim
            vd = cfg.value_dim or kd
            width = cfg.output_shape or query[-1]
            b, t, s = query[0], product(query[1:-1]), product(value[1:-1])
            # projections q, k, v, scores, weighted sum, output projection
            return b * (
                t * query[-1] * heads * kd
                + s * key[-1] * heads * kd
                + s * value[-1] * heads * vd
                + t * s * heads * kd
                + t * s * heads * vd
                + t * heads * vd * width
            )
        n, length, _ = _sequence(query, cfg.batch_first)
        _, keys, _ = _sequence(key, cfg.batch_first)
        e, extra = cfg.embed_dim, int(cfg.add_bias_kv) + int(cfg.add_zero_attn)
        return (1 if n is None else n) * _attention_macs(length, keys, e, _kdim(cfg, e), _vdim(cfg, e), extra)


def _kdim(cfg, e):
    return cfg.kdim if cfg.kdim is not None else e


def _vdim(cfg, e):
    return cfg.vdim if cfg.vdim is not None else e


def _keras_inputs(ins):
    query, value = ins[0], ins[1] if len(ins) > 1 else ins[0]
    key = ins[2] if len(ins) > 2 else value
    return query, value, key


def _keras_attention_shape(cfg, ins):
    # query (B, T, dq), value (B, S, dv), key (B, S, dk) -> (B, T, output_shape or dq)
    query, value, key = _keras_inputs(ins)
    for x in (query, value, key):
        require_rank(x, 3)
    if not len(query) == len(value) == len(key):
        raise ShapeError(
            "needs query, value and key of one rank, receives "
            f"{format_shape(query)}, {format_shape(value)} and {format_shape(key)}"
        )
    if same_dim(value[0], query[0]) is None or same_dim(key[0], query[0]) is None:
        raise ShapeError(
            "needs query, value and key of one batch size, receives "
            f"{format_shape(query)}, {format_shape(value)} and {format_shape(key)}"
        )
    if same_dim(value[-2], key[-2]) is None:
        raise ShapeError(
            f"needs value and key of the same length, receives {format_shape(value)} and {format_shape(key)}"
        )
    output = (*query[:-1], cfg.output_shape or query[-1])
    if cfg.return_attention_scores:  # attention over every axis between the batch and the features
        return [output, (query[0], cfg.num_heads, *query[1:-1], *value[1:-1])]
    return [output]


def _keras_attention_params(cfg, ins) -> list[Param]:
    query, value, key = _keras_inputs(ins)
    heads, kd = cfg.num_heads, cfg.key_dim
    vd = cfg.value_dim or kd
    width = cfg.output_shape or query[-1]
    params = []
    for name, size, head in (("query", query[-1], kd), ("key", key[-1], kd), ("value", value[-1], vd)):
        params.append(Param(f"{name}.kernel", (size, heads, head)))
        if cfg.use_bias:
            params.append(Param(f"{name}.bias", (heads, head)))
    params.append(Param("attention_output.kernel", (heads, vd, width)))
    if cfg.use_bias:
        params.append(Param("attention_output.bias", (width,)))
    return params


_TRANSFORMER_ARGS = {
    "d_model": Arg(Int(1), None, aliases=("embed_dim",), doc="declared model width"),
    "nhead": Arg(Int(1), aliases=("num_heads",), doc="number of heads"),
    "dim_feedforward": Arg(Int(1), 2048, doc="width of the feed-forward block"),
    "dropout": Arg(Float(0, 1), 0.1, doc="no shape effect"),
    "activation": Arg(Choice(("relu", "gelu")), "relu", doc="feed-forward activation (no shape effect)"),
    "layer_norm_eps": Arg(Float(0), 1e-5, doc="no shape effect"),
    "batch_first": Arg(Bool(), False, doc="inputs (N, S, E) instead of (S, N, E)"),
    "norm_first": Arg(Bool(), False, doc="normalize before attention (no shape effect)"),
    "bias": Arg(Bool(), True, doc="biases in the linear and norm layers"),
}


def _norm(name: str, e, bias: bool) -> list[Param]:
    return [Param(f"{name}.weight", (e,))] + ([Param(f"{name}.bias", (e,))] if bias else [])


def _linear(name: str, n_in, n_out, bias: bool) -> list[Param]:
    return [Param(f"{name}.weight", (n_out, n_in))] + ([Param(f"{name}.bias", (n_out,))] if bias else [])


def build_width(cfg, ins):
    """The build of the transformer layers: d_model, declared or the width of input 0."""
    return with_sizes(cfg, d_model=ins[0][-1])


def _check_width(cfg, x):
    """The model width of a transformer layer's input (src or tgt: input 0): the declared d_model, if any."""
    _, _, e = _sequence(x, cfg.batch_first)
    require_declared(x, -1, cfg, "d_model", hint="set d_model: {actual}")
    _check_heads(e, cfg.nhead)
    return e


@register("TransformerEncoderLayer", prefix="encoder_layer")
class TransformerEncoderLayer(Layer):
    """Self-attention and a feed-forward block with residuals and norms (PyTorch layout)."""

    args = _TRANSFORMER_ARGS

    @staticmethod
    def output_shape(cfg, ins):
        # (S, N, E) -> (S, N, E)
        _check_width(cfg, ins[0])
        return [ins[0]]

    @staticmethod
    def build(cfg, ins):
        # d_model: declared, else the width of input 0
        return build_width(cfg, ins)

    @staticmethod
    def params(cfg, ins):
        e, f = cfg.d_model, cfg.dim_feedforward
        return (
            _torch_attention_params("self_attn.", e, e, e, cfg.bias)
            + _linear("linear1", e, f, cfg.bias)
            + _linear("linear2", f, e, cfg.bias)
            + _norm("norm1", e, cfg.bias)
            + _norm("norm2", e, cfg.bias)
        )

    @staticmethod
    def macs(cfg, ins, outs):
        # self-attention + 2 * S*E*F per sample
        n, s, _ = _sequence(ins[0], cfg.batch_first)
        e = cfg.d_model
        return (1 if n is None else n) * (_attention_macs(s, s, e, e, e) + 2 * s * e * cfg.dim_feedforward)


@register("TransformerDecoderLayer", prefix="decoder_layer")
class TransformerDecoderLayer(Layer):
    """Self-attention, cross-attention to `memory`, a feed-forward block (PyTorch layout).

    Inputs: [tgt, memory].
    """

    min_inputs = max_inputs = 2
    args = _TRANSFORMER_ARGS

    @staticmethod
    def output_shape(cfg, ins):
        # tgt (T, N, E), memory (S, N, E) -> (T, N, E)
        tgt, memory = ins
        e = _check_width(cfg, tgt)
        nm, _, em = _sequence(memory, cfg.batch_first)
        nt, _, _ = _sequence(tgt, cfg.batch_first)
        if len(memory) != len(tgt) or same_dim(em, e) is None or (nt is not None and same_dim(nt, nm) is None):
            raise ShapeError(
                f"needs memory of the target's batch and width, receives {format_shape(tgt)} and {format_shape(memory)}"
            )
        return [tgt]

    @staticmethod
    def build(cfg, ins):
        # d_model: declared, else the width of input 0 (tgt)
        return build_width(cfg, ins)

    @staticmethod
    def params(cfg, ins):
        e, f = cfg.d_model, cfg.dim_feedforward
        return (
            _torch_attention_params("self_attn.", e, e, e, cfg.bias)
            + _torch_attention_params("multihead_attn.", e, e, e, cfg.bias)
            + _linear("linear1", e, f, cfg.bias)
            + _linear("linear2", f, e, cfg.bias)
            + _norm("norm1", e, cfg.bias)
            + _norm("norm2", e, cfg.bias)
            + _norm("norm3", e, cfg.bias)
        )

    @staticmethod
    def macs(cfg, ins, outs):
        # self-attention (T, T) + cross-attention (T, S) + 2 * T*E*F per sample
        n, t, _ = _sequence(ins[0], cfg.batch_first)
        _, s, _ = _sequence(ins[1], cfg.batch_first)
        e = cfg.d_model
        per_sample = _attention_macs(t, t, e, e, e) + _attention_macs(t, s, e, e, e) + 2 * t * e * cfg.dim_feedforward
        return (1 if n is None else n) * per_sample


class DotProductAttention(Layer):
    """Base of Keras' Attention and AdditiveAttention: inputs [query, value] or [query, value, key].

    scores = f(query, key) (…, Tq, Tv); weights = softmax(scores); output = weights @ value
    (…, Tq, dim_v). The products broadcast their leading axes as matmul does.
    """

    min_inputs, max_inputs = 2, 3
    additive = False

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        return ("output", "scores") if cfg.return_attention_scores else ("output",)

    @classmethod
    def output_shape(cls, cfg, ins):
        # dot: scores = query @ keyᵀ; concat/additive: sum(tanh(query[…, :, None, :] + key[…, None, :, :]), -1);
        # output = softmax(scores) @ value
        query, value = ins[0], ins[1]
        key = ins[2] if len(ins) > 2 else value
        scores = _scores(cls, cfg, query, key)
        output = _matmul(scores, value, "weights", "value")
        return [output, scores] if cfg.return_attention_scores else [output]

    @classmethod
    def params(cls, cfg, ins):
        if cls.additive:
            return [Param("scale", (ins[0][-1],))] if cfg.use_scale else []
        params = [Param("scale", ())] if cfg.use_scale else []
        return params + ([Param("concat_score_weight", ())] if cfg.score_mode == "concat" else [])

    @classmethod
    def macs(cls, cfg, ins, outs):
        # dot scores: |scores| * dim; the weighted sum: |output| * Tv
        query, value = ins[0], ins[1]
        key = ins[2] if len(ins) > 2 else value
        scores = _scores(cls, cfg, query, key)
        dot = 0 if cls.additive or cfg.score_mode == "concat" else product(scores) * query[-1]
        return dot + product(outs[0]) * scores[-1]


def _masked(cfg, scores):
    """The scores after the causal mask (1, Tq, Tv), which broadcasts them to rank 3 at least."""
    return broadcast([scores, (1, scores[-2], scores[-1])]) if cfg.use_causal_mask else scores


def _scores(cls, cfg, query, key):
    """The shape of the attention scores (…, Tq, Tv)."""
    if not cls.additive and cfg.score_mode == "dot":
        require_rank(key, 2)  # keyᵀ swaps its last two axes
        return _masked(cfg, _matmul(query, (*key[:-2], key[-1], key[-2]), "query", "keyᵀ"))
    require_rank(query, 1)
    require_rank(key, 2)
    # query (…, Tq, 1, d) + key (…, 1, Tv, d), summed over d
    try:
        total = broadcast([(*query[:-1], 1, query[-1]), (*key[:-2], 1, *key[-2:])])
    except ShapeError:
        raise ShapeError(
            f"adds query {format_shape(query)} to key {format_shape(key)} (as (…, Tq, 1, d) + (…, 1, Tv, d)), "
            "which do not broadcast"
        ) from None
    return _masked(cfg, total[:-1])


def _matmul(a, b, left: str, right: str):
    """a @ b with matmul's rules (a 1-D side loses its axis), naming the operands in errors."""
    if not a or not b:
        raise ShapeError(f"multiplies {left} {format_shape(a)} by {right} {format_shape(b)}: both need an axis")
    lhs = (1, *a) if len(a) == 1 else a
    rhs = (*b, 1) if len(b) == 1 else b
    if same_dim(lhs[-1], rhs[-2]) is None:
        raise ShapeError(
            f"multiplies {left} {format_shape(a)} by {right} {format_shape(b)}: "
            f"{format_dim(lhs[-1])} columns vs {format_dim(rhs[-2])} rows"
        )
    try:
        batch = broadcast([lhs[:-2], rhs[:-2]])
    except ShapeError:
        raise ShapeError(
            f"multiplies {left} {format_shape(a)} by {right} {format_shape(b)}, whose leading axes do not broadcast"
        ) from None
    out = (*batch, lhs[-2], rhs[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


_ATTENTION_CALL = {
    "dropout": Arg(Float(0, 1), 0.0, doc="dropout on the weights (no shape effect)"),
    "return_attention_scores": Arg(Bool(), False, doc="also output the weights (…, Tq, Tv)"),
    "use_causal_mask": Arg(Bool(), False, doc="position i attends to positions ≤ i only (no shape effect)"),
}


@register("Attention", prefix="attention")
class Attention(DotProductAttention):
    """Dot-product attention without projections (Keras Attention): softmax(query · keyᵀ) · value.

    `use_scale` learns a scalar `scale` for the scores; score_mode 'concat' scores
    sum(tanh(query + key)) times a learned scalar `concat_score_weight`.
    """

    args = {
        "use_scale": Arg(Bool(), False, doc="learn a scalar scale of the scores"),
        "score_mode": Arg(Choice(("dot", "concat")), "dot", doc="query · key, or sum(tanh(query + key))"),
        **_ATTENTION_CALL,
    }


@register("AdditiveAttention", prefix="additive_attention")
class AdditiveAttention(DotProductAttention):
    """Additive (Bahdanau) attention without projections (Keras AdditiveAttention):
    softmax(sum(scale * tanh(query + key))) · value; `scale` (dim,) is learned when use_scale."""

    additive = True
    args = {"use_scale": Arg(Bool(), True, doc="learn a scale per feature"), **_ATTENTION_CALL}
