"""PyTorch: every layer type's counterpart in torch.nn, or why there is none.

`TABLE` maps a layer type (its registered name) to a function of a `LayerView` that
returns a `Construct` (an `nn` class and its keyword arguments, sizes taken from the
inference) or an `Expression` (a functional layer: `torch.cat`, `x.reshape`, …). The
templates are written in the names the builder and the exported source both provide:
`torch`, `nn` (torch.nn) and `F` (torch.nn.functional). Keyword arguments equal to the
class's default are marked `Default(value, default)`: the exporter leaves them out, so the
exported source reads like hand-written code.

`REFUSED` lists the types PyTorch has no layer for. An entry refuses an argument it
cannot express (channels-last data, causal or one-sided padding, Keras-only options)
by raising `Refusal`, which the builder reports at the layer's line.

No torch import here: the exporter prints these tables without the framework.
"""

from __future__ import annotations

from ..plan import Construct, Default, Expression, LayerView, Refusal

REFUSED = {
    "GaussianNoise": "PyTorch has no Gaussian noise layer (Keras GaussianNoise)",
    "GaussianDropout": "PyTorch has no Gaussian dropout layer (Keras GaussianDropout)",
    "Normalization": "PyTorch has no layer of adapted statistics (Keras Normalization)",
    "AdditiveAttention": "PyTorch has no additive attention without projections (Keras AdditiveAttention)",
    "ConvLSTM1D": "PyTorch has no convolutional LSTM (Keras ConvLSTM1D)",
    "ConvLSTM2D": "PyTorch has no convolutional LSTM (Keras ConvLSTM2D)",
    "ConvLSTM3D": "PyTorch has no convolutional LSTM (Keras ConvLSTM3D)",
    "Bidirectional": "Keras' wrapper; PyTorch's recurrent layers take bidirectional: true",
}
"""Layer types without a PyTorch counterpart, and why."""

_RESERVED_WORDS = """
    T_destination _apply _backward_hooks _backward_pre_hooks _buffers _call_impl _compiled_call_impl
    _forward_hooks _forward_hooks_always_called _forward_hooks_with_kwargs _forward_pre_hooks
    _forward_pre_hooks_with_kwargs _get_backward_hooks _get_backward_pre_hooks _get_name _is_full_backward_hook
    _load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook
    _modules _named_members _non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook
    _register_state_dict_hook _replicate_for_data_parallel _save_to_state_dict _slow_forward _state_dict_hooks
    _state_dict_pre_hooks _version _wrapped_call_impl add_module apply bfloat16 buffers call_super_init children
    compile cpu cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
    get_submodule half ipu load_state_dict modules mtia named_buffers named_children named_modules
    named_parameters parameters register_backward_hook register_buffer register_forward_hook
    register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module register_parameter
    register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule
    share_memory state_dict to to_empty train training type xpu zero_grad
    forward_all _bind _shapecli_inputs _shapecli_units _shapecli_outputs
"""
TIE = None
"""Why `tie:` cannot be built (None: it can, as the same Parameter or its transpose)."""

RESERVED = frozenset(_RESERVED_WORDS.split())
"""Names a layer cannot have: attributes of torch.nn.Module (PyTorch 2.13) and of the built
model's modules. A submodule is an attribute, and its name is the state_dict key's."""


TIE_TRANSPOSED = '''
def tie_transposed(module, name, source, source_name):
    """Make module.<name> the transpose of source.<source_name>, recomputed before
    each call; listed in state_dict, skipped when one is loaded (it follows)."""
    del module._parameters[name]

    def transposed():
        value = getattr(source, source_name)
        return value.permute(*reversed(range(value.dim())))

    def listed(m, state, prefix, meta):
        state[prefix + name] = transposed().detach()

    def skipped(m, state, prefix, *rest):
        state.pop(prefix + name, None)

    module.register_forward_pre_hook(lambda m, args: setattr(m, name, transposed()))
    module.register_state_dict_post_hook(listed)
    module.register_load_state_dict_pre_hook(skipped)
    setattr(module, name, transposed())
'''
"""A parameter tied to the transpose of another's (`tie:` with reversed shapes): the source
of the function the builder runs and the exported file contains."""


def _size(values: tuple):
    """A per-axis tuple as PyTorch takes it: one int when all are equal."""
    values = tuple(values)
    return values[0] if len(set(values)) == 1 else values


def _inputs(count: int, separator: str = ", ") -> str:
    return separator.join(f"{{{i}}}" for i in range(count))


# -- activations ------------------------------------------------------------------------

ACTIVATIONS = {
    "relu": ("ReLU", "F.relu({0})"),
    "relu6": ("ReLU6", "F.relu6({0})"),
    "leaky_relu": ("LeakyReLU", "F.leaky_relu({0})"),
    "elu": ("ELU", "F.elu({0})"),
    "selu": ("SELU", "F.selu({0})"),
    "gelu": ("GELU", "F.gelu({0})"),
    "silu": ("SiLU", "F.silu({0})"),
    "swish": ("SiLU", "F.silu({0})"),
    "mish": ("Mish", "F.mish({0})"),
    "sigmoid": ("Sigmoid", "torch.sigmoid({0})"),
    "hard_sigmoid": ("Hardsigmoid", "F.hardsigmoid({0})"),
    "hard_swish": ("Hardswish", "F.hardswish({0})"),
    "tanh": ("Tanh", "torch.tanh({0})"),
    "softplus": ("Softplus", "F.softplus({0})"),
    "softsign": ("Softsign", "F.softsign({0})"),
    "softmax": ("Softmax", "F.softmax({0}, dim=-1)"),
    "log_softmax": ("LogSoftmax", "F.log_softmax({0}, dim=-1)"),
    "softmin": ("Softmin", "F.softmin({0}, dim=-1)"),
    "log_sigmoid": ("LogSigmoid", "F.logsigmoid({0})"),
    "celu": ("CELU", "F.celu({0})"),
    "tanhshrink": ("Tanhshrink", "F.tanhshrink({0})"),
    "softshrink": ("Softshrink", "F.softshrink({0})"),
    "hardshrink": ("Hardshrink", "F.hardshrink({0})"),
    "hard_tanh": ("Hardtanh", "F.hardtanh({0})"),
    "exponential": (None, "torch.exp({0})"),
    "linear": ("Identity", None),
    # Keras' activations without a PyTorch module, written as keras/src/backend/torch/nn.py computes them
    "sparse_plus": (
        None,
        "torch.where({0} <= -1, torch.zeros_like({0}), torch.where({0} < 1, 0.25 * ({0} + 1) ** 2, {0}))",
    ),
    "sparse_sigmoid": (
        None,
        "torch.where({0} <= -1, torch.zeros_like({0}), torch.where({0} >= 1, torch.ones_like({0}), 0.5 * ({0} + 1)))",
    ),
    "squareplus": (None, "({0} + torch.sqrt({0} ** 2 + 4)) / 2"),
    "sparsemax": (None, None),
}
"""Activation word → (nn class, functional form) with PyTorch's defaults; the functional
form is what a fused `activation:` (Dense, convolutions) applies."""

_AXIS_ACTIVATIONS = {"softmax", "log_softmax", "softmin"}


def _fused(cfg) -> str | None:
    """The functional form of a layer's fused `activation:`, or None."""
    word = getattr(cfg, "activation", None)
    if word is None:
        return None
    if word == "threshold":
        raise Refusal("a fused threshold has no threshold and value; use a Threshold layer", "activation")
    _no_sparsemax(word)
    return ACTIVATIONS[word][1]


def _no_sparsemax(word: str) -> None:
    if word == "sparsemax":
        raise Refusal("PyTorch has no sparsemax (Keras' sparsemax activation)", "activation")


def _activation_layer(view: LayerView):
    word = view.cfg.activation
    if word == "threshold":
        raise Refusal("threshold needs its threshold and value; use a Threshold layer", "activation")
    _no_sparsemax(word)
    cls, functional = ACTIVATIONS[word]
    if cls is None:
        return Expression(functional)
    return Construct(f"nn.{cls}", {"dim": -1} if word in _AXIS_ACTIVATIONS else {})


def _plain(cls: str):
    return lambda view: Construct(f"nn.{cls}", {})


# -- dense, embedding, dropout ----------------------------------------------------------


def _dense(view: LayerView):
    cfg = view.cfg
    n_out, n_in = view.params["weight"]
    return Construct(
        "nn.Linear", dict(in_features=n_in, out_features=n_out, bias=Default(cfg.use_bias, True)), post=_fused(cfg)
    )


def _bilinear(view: LayerView):
    n_out, in1, in2 = view.params["weight"]
    kwargs = dict(in1_features=in1, in2_features=in2, out_features=n_out, bias=Default(view.cfg.use_bias, True))
    return Construct("nn.Bilinear", kwargs)


def _embedding(view: LayerView):
    cfg = view.cfg
    if cfg.mask_zero:
        raise Refusal("mask_zero is Keras masking; PyTorch's Embedding has none", "mask_zero")
    kwargs = dict(
        num_embeddings=cfg.num_embeddings,
        embedding_dim=cfg.embedding_dim,
        padding_idx=Default(cfg.padding_idx, None),
        **_embedding_options(cfg),
    )
    return Construct("nn.Embedding", kwargs)


def _embedding_options(cfg) -> dict:
    return dict(
        max_norm=Default(cfg.max_norm, None),
        norm_type=Default(cfg.norm_type, 2.0),
        scale_grad_by_freq=Default(cfg.scale_grad_by_freq, False),
        sparse=Default(cfg.sparse, False),
    )


def _positional_embedding(view: LayerView):
    # positions 0..T-1 looked up in a (sequence_length, D) table and added (GPT-2's wpe, BERT's position_embeddings)
    length, width = view.params["weight"]
    return Construct(
        "nn.Embedding",
        {"num_embeddings": length, "embedding_dim": width},
        call="{0} + {m}(torch.arange({0}.shape[-2], device={0}.device))",
    )


def _class_token(view: LayerView):
    # torchvision's ViT: a (1, 1, D) parameter, expanded over the batch and put first
    return Construct(
        "nn.Module",
        {},
        call="torch.cat([{m}.class_token.expand({0}.shape[0], -1, -1), {0}], dim=1)",
        params={"class_token": view.params["class_token"]},
    )


def _dropout(cls: str):
    return lambda view: Construct(f"nn.{cls}", dict(p=Default(view.cfg.rate, 0.5), **_inplace(view.cfg)))


def _alpha_dropout(view: LayerView):
    cls = "FeatureAlphaDropout" if view.label.lower() == "featurealphadropout" else "AlphaDropout"
    return Construct(f"nn.{cls}", dict(p=Default(view.cfg.rate, 0.5), **_inplace(view.cfg)))


def _inplace(cfg) -> dict:
    """The `inplace` keyword of the PyTorch modules that take it."""
    return {"inplace": Default(cfg.inplace, False)}


# -- convolutions and pooling -----------------------------------------------------------


def _channels_first(cfg, what: str) -> None:
    if getattr(cfg, "data_format", "channels_first") == "channels_last":
        raise Refusal(f"PyTorch's {what} take channels first", "data_format")


def _symmetric(padding, what: str):
    """PyTorch padding from shapecli's: 'valid' → 0, (lo, hi) pairs → per-axis ints (lo == hi)."""
    if padding == "valid":
        return 0
    if padding == "same":
        return "same"
    if padding == "causal":
        raise Refusal(f"PyTorch's {what} have no causal padding; pad with ConstantPad1d first", "padding")
    if any(lo != hi for lo, hi in padding):
        raise Refusal(f"PyTorch's {what} pad both sides equally; pad with ZeroPad first", "padding")
    return _size(lo for lo, _ in padding)


def _conv(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        _channels_first(cfg, "convolutions")
        out, per_group = view.params["weight"][:2]
        kwargs = dict(
            in_channels=per_group * cfg.groups,
            out_channels=out,
            kernel_size=_size(cfg.kernel_size),
            stride=Default(_size(cfg.strides), 1),
            padding=Default(_symmetric(cfg.padding, "convolutions"), 0),
            dilation=Default(_size(cfg.dilation), 1),
            groups=Default(cfg.groups, 1),
            bias=Default(cfg.use_bias, True),
            padding_mode=Default(cfg.padding_mode, "zeros"),
        )
        return Construct(f"nn.Conv{rank}d", kwargs, post=_fused(cfg))

    return entry


def _conv_transpose(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        _channels_first(cfg, "convolutions")
        c_in, per_group = view.params["weight"][:2]
        kwargs = dict(
            in_channels=c_in,
            out_channels=per_group * cfg.groups,
            kernel_size=_size(cfg.kernel_size),
            stride=Default(_size(cfg.strides), 1),
            padding=Default(_symmetric(cfg.padding, "transposed convolutions"), 0),
            output_padding=Default(_size(cfg.output_padding), 0),
            groups=Default(cfg.groups, 1),
            bias=Default(cfg.use_bias, True),
            dilation=Default(_size(cfg.dilation), 1),
        )
        return Construct(f"nn.ConvTranspose{rank}d", kwargs, post=_fused(cfg))

    return entry


def _depthwise(rank: int):
    # Keras DepthwiseConv: PyTorch's ConvNd with groups = in_channels
    def entry(view: LayerView):
        cfg = view.cfg
        _channels_first(cfg, "convolutions")
        out = view.params["weight"][0]
        c_in = out // cfg.depth_multiplier
        kwargs = dict(
            in_channels=c_in,
            out_channels=out,
            kernel_size=_size(cfg.kernel_size),
            stride=Default(_size(cfg.strides), 1),
            padding=Default(_symmetric(cfg.padding, "convolutions"), 0),
            dilation=Default(_size(cfg.dilation), 1),
            groups=c_in,
            bias=Default(cfg.use_bias, True),
            padding_mode=Default(cfg.padding_mode, "zeros"),
        )
        return Construct(f"nn.Conv{rank}d", kwargs, post=_fused(cfg))

    return entry


def _separable(rank: int):
    # Keras SeparableConv: a depthwise ConvNd, then a 1x1 ConvNd, under `depthwise` and `pointwise`
    def entry(view: LayerView):
        cfg = view.cfg
        _channels_first(cfg, "convolutions")
        middle = view.params["depthwise.weight"][0]
        out = view.params["pointwise.weight"][0]
        c_in = middle // cfg.depth_multiplier
        depthwise = Construct(
            f"nn.Conv{rank}d",
            dict(
                in_channels=c_in,
                out_channels=middle,
                kernel_size=_size(cfg.kernel_size),
                stride=Default(_size(cfg.strides), 1),
                padding=Default(_symmetric(cfg.padding, "convolutions"), 0),
                dilation=Default(_size(cfg.dilation), 1),
                groups=c_in,
                bias=False,
                padding_mode=Default(cfg.padding_mode, "zeros"),
            ),
        )
        pointwise = Construct(
            f"nn.Conv{rank}d",
            dict(in_channels=middle, out_channels=out, kernel_size=1, bias=Default(cfg.use_bias, True)),
        )
        return Construct(
            "nn.ModuleDict",
            {"modules": {"depthwise": depthwise, "pointwise": pointwise}},
            call="{m}.pointwise({m}.depthwise({0}))",
            post=_fused(cfg),
        )

    return entry


def _pool(rank: int, kind: str):
    def entry(view: LayerView):
        cfg = view.cfg
        _channels_first(cfg, "poolings")
        common = dict(
            kernel_size=_size(cfg.pool_size),
            stride=Default(None if cfg.strides is None else _size(cfg.strides), None),
            padding=Default(_symmetric(cfg.padding, "poolings"), 0),
        )
        if kind == "Max":
            kwargs = dict(
                **common,
                dilation=Default(_size(cfg.dilation), 1),
                return_indices=Default(cfg.return_indices, False),
                ceil_mode=Default(cfg.ceil_mode, False),
            )
            return Construct(f"nn.{kind}Pool{rank}d", kwargs, unpack="{0}, {1}" if cfg.return_indices else None)
        kwargs = dict(
            **common,
            ceil_mode=Default(cfg.ceil_mode, False),
            count_include_pad=Default(cfg.count_include_pad, True),
        )
        if rank > 1:
            kwargs["divisor_override"] = Default(cfg.divisor_override, None)
        return Construct(f"nn.{kind}Pool{rank}d", kwargs)

    return entry


def _adaptive_pool(rank: int, kind: str):
    def entry(view: LayerView):
        _channels_first(view.cfg, "poolings")
        size = view.cfg.output_size
        kwargs = {"output_size": size[0] if len(set(size)) == 1 else size}
        if kind == "Max" and view.cfg.return_indices:
            return Construct(f"nn.AdaptiveMaxPool{rank}d", {**kwargs, "return_indices": True}, unpack="{0}, {1}")
        return Construct(f"nn.Adaptive{kind}Pool{rank}d", kwargs)

    return entry


def _global_pool(rank: int, kind: str):
    # Keras GlobalAveragePooling / GlobalMaxPooling: a mean or max over the spatial axes
    def entry(view: LayerView):
        cfg = view.cfg
        n = len(view.ins[0])
        axes = tuple(range(n - rank - 1, n - 1)) if cfg.data_format == "channels_last" else tuple(range(n - rank, n))
        keep = ", keepdim=True" if cfg.keepdims else ""
        if kind == "average":
            return Expression(f"{{0}}.mean(dim={axes}{keep})")
        return Expression(f"torch.amax({{0}}, dim={axes}{keep})")

    return entry


# -- normalization ----------------------------------------------------------------------


def _affine_flags(cfg) -> tuple[bool, bool]:
    """(affine, bias) for PyTorch from shapecli's affine, scale and center."""
    if not cfg.affine:
        return False, True
    if not cfg.scale:
        raise Refusal("PyTorch's normalizations learn a shift only together with a scale", "scale")
    return True, cfg.center


def _channel_axis(view: LayerView) -> None:
    axis = view.cfg.axis
    rank = len(view.ins[0])
    if (axis if axis >= 0 else axis + rank) != 1:
        raise Refusal("PyTorch normalizes the channel axis 1", "axis")


def _batch_norm(view: LayerView):
    cfg = view.cfg
    _channel_axis(view)
    rank = len(view.ins[0])
    kind = {2: 1, 3: 1, 4: 2, 5: 3}.get(rank)
    if kind is None:
        raise Refusal(f"PyTorch's batch normalizations take rank 2 to 5, not {rank}")
    affine, bias = _affine_flags(cfg)
    kwargs = dict(
        num_features=view.int(view.ins[0][1], "channels"),
        eps=Default(cfg.eps, 1e-5),
        momentum=Default(cfg.momentum, 0.1),
        affine=Default(affine, True),
        track_running_stats=Default(cfg.track_running_stats, True),
        bias=Default(bias, True),
    )
    return Construct(f"nn.BatchNorm{kind}d", kwargs)


def _trailing(view: LayerView, axes) -> tuple:
    """The normalized trailing shape of LayerNorm/RMSNorm given by axes (they must be the last ones)."""
    x = view.ins[0]
    n = len(x)
    normalized = sorted(a + n if a < 0 else a for a in axes)
    if normalized != list(range(n - len(normalized), n)):
        raise Refusal("PyTorch normalizes trailing axes only", "axis")
    return tuple(view.int(x[a], "normalized size") for a in normalized)


def _layer_norm(view: LayerView):
    cfg = view.cfg
    shape = cfg.normalized_shape if cfg.normalized_shape is not None else _trailing(view, cfg.axis)
    affine, bias = _affine_flags(cfg)
    kwargs = dict(
        normalized_shape=list(shape),
        eps=Default(cfg.eps, 1e-5),
        elementwise_affine=Default(affine, True),
        bias=Default(bias and cfg.bias, True),
    )
    return Construct("nn.LayerNorm", kwargs)


def _rms_norm(view: LayerView):
    cfg = view.cfg
    shape = cfg.normalized_shape if cfg.normalized_shape is not None else _trailing(view, (cfg.axis,))
    kwargs = dict(
        normalized_shape=list(shape), eps=Default(cfg.eps, None), elementwise_affine=Default(cfg.affine, True)
    )
    return Construct("nn.RMSNorm", kwargs)


def _group_norm(view: LayerView):
    cfg = view.cfg
    _channel_axis(view)
    affine, bias = _affine_flags(cfg)
    kwargs = dict(
        num_groups=cfg.num_groups,
        num_channels=view.int(view.ins[0][1], "channels"),
        eps=Default(cfg.eps, 1e-5),
        affine=Default(affine, True),
        bias=Default(bias, True),
    )
    return Construct("nn.GroupNorm", kwargs)


def _instance_norm(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            num_features=view.int(view.ins[0][-(rank + 1)], "channels"),
            eps=Default(cfg.eps, 1e-5),
            affine=Default(cfg.affine, False),
            track_running_stats=Default(cfg.track_running_stats, False),
        )
        return Construct(f"nn.InstanceNorm{rank}d", kwargs)

    return entry


# -- recurrent and attention -------------------------------------------------------------

_KERAS_RECURRENT = {"return_sequences": False, "return_state": False, "go_backwards": False}


def _recurrent(kind: str):
    def entry(view: LayerView):
        cfg = view.cfg
        for arg, default in _KERAS_RECURRENT.items():
            if getattr(cfg, arg) != default:
                raise Refusal(f"{arg} is a Keras option; PyTorch's {kind} returns its output and final states", arg)
        if kind == "GRU" and not cfg.reset_after:
            raise Refusal(
                "PyTorch's GRU applies the reset gate after the matrix product (reset_after: true)", "reset_after"
            )
        activation = cfg.activation
        if kind != "RNN" and activation not in (None, "tanh"):
            raise Refusal(f"PyTorch's {kind} uses tanh", "activation")
        if kind == "RNN" and activation not in (None, "tanh", "relu"):
            raise Refusal("PyTorch's RNN takes nonlinearity tanh or relu", "activation")
        features = view.params["weight_ih_l0"][1]
        kwargs = dict(input_size=features, hidden_size=cfg.hidden_size, num_layers=Default(cfg.num_layers, 1))
        if kind == "RNN":
            kwargs["nonlinearity"] = Default(activation or "tanh", "tanh")
        kwargs.update(
            bias=Default(cfg.use_bias, True),
            batch_first=Default(cfg.batch_first, False),
            dropout=Default(cfg.dropout, 0.0),
            bidirectional=Default(cfg.bidirectional, False),
        )
        if kind == "LSTM":
            kwargs["proj_size"] = Default(cfg.proj_size, 0)
        unpack = "{0}, ({1}, {2})" if kind == "LSTM" else "{0}, {1}"
        return Construct(f"nn.{kind}", kwargs, unpack=unpack)

    return entry


def _attention(view: LayerView):
    cfg = view.cfg
    for arg in ("key_dim", "value_dim", "output_shape"):
        if getattr(cfg, arg) is not None:
            raise Refusal(f"{arg} is a Keras argument; PyTorch's MultiheadAttention has none", arg)
    query, key = view.ins[0], view.ins[1] if len(view.ins) > 1 else view.ins[0]
    value = view.ins[2] if len(view.ins) > 2 else key
    e = view.int(query[-1], "embedding size")
    kdim, vdim = view.int(key[-1], "key size"), view.int(value[-1], "value size")
    kwargs = dict(
        embed_dim=e,
        num_heads=cfg.num_heads,
        dropout=Default(cfg.dropout, 0.0),
        bias=Default(cfg.use_bias, True),
        add_bias_kv=Default(cfg.add_bias_kv, False),
        add_zero_attn=Default(cfg.add_zero_attn, False),
        kdim=Default(kdim, e),
        vdim=Default(vdim, e),
        batch_first=Default(cfg.batch_first, False),
    )
    # [query] attends to itself; [query, key] uses the key as the value
    query_key_value = (
        ("{0}", "{0}", "{0}") if len(view.ins) == 1 else ("{0}", "{1}", "{1}" if len(view.ins) == 2 else "{2}")
    )
    # weights no layer takes are not computed: PyTorch then runs its fused attention kernel
    if 1 in view.used:
        options = "" if cfg.average_attn_weights else ", average_attn_weights=False"
    else:
        options = ", need_weights=False"
    call = "{m}(" + ", ".join(query_key_value) + options + ")"
    return Construct("nn.MultiheadAttention", kwargs, call=call, unpack="{0}, {1}")


def _transformer(kind: str):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            d_model=view.int(view.ins[0][-1], "model width"),
            nhead=cfg.nhead,
            dim_feedforward=Default(cfg.dim_feedforward, 2048),
            dropout=Default(cfg.dropout, 0.1),
            activation=Default(cfg.activation, "relu"),
            layer_norm_eps=Default(cfg.layer_norm_eps, 1e-5),
            batch_first=Default(cfg.batch_first, False),
            norm_first=Default(cfg.norm_first, False),
            bias=Default(cfg.bias, True),
        )
        return Construct(f"nn.Transformer{kind}Layer", kwargs)

    return entry


# -- merges and reshaping ---------------------------------------------------------------


def _merge(operator: str):
    return lambda view: Expression(_inputs(len(view.ins), f" {operator} "))


def _average(view: LayerView):
    return Expression(f"({_inputs(len(view.ins), ' + ')}) / {len(view.ins)}")


def _fold(function: str):
    # torch.maximum takes two tensors: fold over the inputs
    def entry(view: LayerView):
        text = "{0}"
        for i in range(1, len(view.ins)):
            text = f"{function}({text}, {{{i}}})"
        return Expression(text)

    return entry


def _concat(view: LayerView):
    axis = 1 if view.cfg.axis is None else view.cfg.axis
    return Expression(f"torch.cat([{{args}}], dim={axis})")


def _reshape(view: LayerView):
    return Expression("{0}.reshape({0}.shape[0], " + ", ".join(map(str, view.cfg.shape)) + ")")


def _permute(view: LayerView):
    return Expression("{0}.permute(" + ", ".join(map(str, view.cfg.dims)) + ")")


def _squeeze(view: LayerView):
    if view.cfg.axis is not None:
        return Expression(f"{{0}}.squeeze({view.cfg.axis})")
    # the axes inference found to be 1 (a symbolic axis is taken to be other than 1)
    axes = tuple(i for i, d in enumerate(view.ins[0]) if d == 1)
    return Expression(f"{{0}}.squeeze({axes})" if axes else "{0}")


def _index(view: LayerView, axis: int, item: str) -> str:
    rank = len(view.ins[0])
    axis = axis + rank if axis < 0 else axis
    return "{0}[" + ", ".join([":"] * axis + [item]) + "]"


def _slice(view: LayerView):
    cfg = view.cfg
    start = "" if cfg.start == 0 else str(cfg.start)
    stop = "" if cfg.stop is None else str(cfg.stop)
    step = "" if cfg.step == 1 else f":{cfg.step}"
    return Expression(_index(view, cfg.axis, f"{start}:{stop}{step}"))


def _crop(rank: int):
    # Keras Cropping: drop (before, after) elements of each spatial axis
    def entry(view: LayerView):
        cfg = view.cfg
        n = len(view.ins[0])
        first = n - rank - 1 if cfg.data_format == "channels_last" else n - rank
        items = [":"] * n
        for i, (lo, hi) in enumerate(cfg.cropping):
            items[first + i] = f"{lo or ''}:{-hi if hi else ''}"
        while items and items[-1] == ":":
            items.pop()
        return Expression("{0}[" + ", ".join(items) + "]")

    return entry


def _keras_pad(rank: int):
    # Keras ZeroPadding on channels-first data: PyTorch's ZeroPadNd, last axis first
    def entry(view: LayerView):
        _channels_first(view.cfg, "paddings")
        amounts = tuple(v for lo, hi in reversed(view.cfg.padding) for v in (lo, hi))
        return Construct(f"nn.ZeroPad{rank}d", {"padding": _size(amounts)})

    return entry


def _torch_pad(name: str):
    def entry(view: LayerView):
        padding = view.cfg.padding
        kwargs = {"padding": padding[0] if len(padding) == 1 else padding}
        if name.startswith("ConstantPad"):
            kwargs["value"] = view.cfg.value
        return Construct(f"nn.{name}", kwargs)

    return entry


def _upsampling(rank: int):
    # Keras UpSampling: each spatial axis repeated `size` times, PyTorch's nearest Upsample
    def entry(view: LayerView):
        _channels_first(view.cfg, "upsamplings")
        return Construct("nn.Upsample", {"scale_factor": _size(float(s) for s in view.cfg.size)})

    return entry


def _upsample(view: LayerView):
    cfg = view.cfg
    _channels_first(cfg, "upsamplings")
    size = None if cfg.size is None else _size(cfg.size)
    factor = cfg.scale_factor
    kwargs = dict(
        size=Default(size, None),
        scale_factor=Default(factor, None),
        mode=Default(cfg.mode, "nearest"),
        align_corners=Default(None if cfg.align_corners is None else cfg.align_corners == "true", None),
        recompute_scale_factor=Default(cfg.recompute_scale_factor, None),
    )
    return Construct("nn.Upsample", kwargs)


def _softmax(cls: str):
    return lambda view: Construct(f"nn.{cls}", {"dim": view.cfg.axis})


# -- Keras' types with a PyTorch counterpart ----------------------------------------------


def _relu(view: LayerView):
    # Keras' relu(x, negative_slope, max_value, threshold) (keras/src/activations/activations.py)
    cfg = view.cfg
    if (cfg.max_value, cfg.negative_slope, cfg.threshold) == (None, 0.0, 0.0):
        return Construct("nn.ReLU", {})
    if (cfg.max_value, cfg.threshold) == (6.0, 0.0) and not cfg.negative_slope:
        return Construct("nn.ReLU6", {})
    if cfg.threshold:
        y = f"torch.where({{0}} > {cfg.threshold!r}, {{0}}, 0.0)"
    else:
        y = "F.relu6({0})" if cfg.max_value == 6.0 else "F.relu({0})"
    if cfg.max_value is not None and cfg.max_value != 6.0 or (cfg.max_value == 6.0 and cfg.threshold):
        y = f"torch.clamp({y}, 0.0, {cfg.max_value!r})"
    if cfg.negative_slope:
        below = f"F.relu({cfg.threshold!r} - {{0}})" if cfg.threshold else "F.relu(-{0})"
        if cfg.max_value is None and not cfg.threshold:
            return Construct("nn.LeakyReLU", {"negative_slope": cfg.negative_slope})
        y = f"{y} - {cfg.negative_slope!r} * {below}"
    return Expression(y)


_RESIZE_MODES = {"bilinear": "bilinear", "bicubic": "bicubic", "nearest": "nearest-exact"}
"""Keras' interpolations on its torch backend → F.interpolate's modes (keras/src/backend/torch/image.py)."""


def _resizing(view: LayerView):
    cfg = view.cfg
    _channels_first(cfg, "resizings")
    if cfg.interpolation not in _RESIZE_MODES:
        raise Refusal(f"PyTorch's interpolate has no {cfg.interpolation} mode", "interpolation")
    if cfg.crop_to_aspect_ratio or cfg.pad_to_aspect_ratio:
        raise Refusal("PyTorch's interpolate does not crop or pad to an aspect ratio", "crop_to_aspect_ratio")
    mode = _RESIZE_MODES[cfg.interpolation]
    align = ", align_corners=False" if mode != "nearest-exact" else ""
    antialias = ", antialias=True" if cfg.antialias and mode != "nearest-exact" else ""
    resize = f'F.interpolate({{x}}, size=({cfg.height}, {cfg.width}), mode="{mode}"{align}{antialias})'
    if len(view.ins[0]) == 3:  # one image: interpolate takes a batch
        return Expression(resize.format(x="{0}.unsqueeze(0)") + "[0]")
    return Expression(resize.format(x="{0}"))


def _center_crop(view: LayerView):
    cfg = view.cfg
    _channels_first(cfg, "crops")
    x = view.ins[0]
    height, width = view.int(x[-2], "height"), view.int(x[-1], "width")
    if height < cfg.height or width < cfg.width:
        raise Refusal("a smaller image is resized by Keras' smart_resize, which PyTorch does not have", "height")
    top, left = (height - cfg.height) // 2, (width - cfg.width) // 2
    return Expression(f"{{0}}[..., {top}:{top + cfg.height}, {left}:{left + cfg.width}]")


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _l2_normalized(x: str, axis: int) -> str:
    # Keras' normalize (order 2): x * min(rsqrt(sum(x²)), 1/epsilon)
    return f"({x} * torch.clamp(torch.rsqrt(({x} ** 2).sum({axis}, keepdim=True)), max=1.0 / 1e-7))"


def _dot(view: LayerView):
    # Keras' batch_dot as an einsum: batch, a's axes but i, b's axes but 0 and j
    a, b = (len(x) for x in view.ins)
    i, j = (axis % rank if axis < 0 else axis for axis, rank in zip(view.cfg.axes, (a, b)))
    left = "z" + _LETTERS[: a - 1]
    right = "z" + _LETTERS[a - 1 : a + b - 2]
    right = right[:j] + left[i] + right[j + 1 :]
    out = left[:i] + left[i + 1 :] + right[1:j] + right[j + 1 :]
    xs = ("{0}", "{1}")
    if view.cfg.normalize:
        xs = (_l2_normalized("{0}", i), _l2_normalized("{1}", j))
    text = f'torch.einsum("{left},{right}->{out}", {xs[0]}, {xs[1]})'
    return Expression(text + (".unsqueeze(-1)" if len(out) == 1 else ""))


def _plain_attention(view: LayerView):
    # Keras' Attention in its plain form: softmax(q kᵀ) v
    cfg = view.cfg
    for flag, why in (
        ("use_scale", "a learned scale"),
        ("return_attention_scores", "the weights as an output"),
    ):
        if getattr(cfg, flag):
            raise Refusal(f"F.scaled_dot_product_attention has no {why}", flag)
    if cfg.score_mode != "dot":
        raise Refusal("F.scaled_dot_product_attention scores by dot products", "score_mode")
    if any(len(x) < 3 for x in view.ins) or len({len(x) for x in view.ins}) > 1:
        raise Refusal("F.scaled_dot_product_attention takes query, key and value of one rank ≥ 3", "layer")
    key = "{2}" if len(view.ins) > 2 else "{1}"
    causal = ", is_causal=True" if cfg.use_causal_mask else ""
    return Expression(f"F.scaled_dot_product_attention({{0}}, {key}, {{1}}, scale=1.0{causal})")


def _einsum_dense(view: LayerView):
    cfg = view.cfg
    params = {name: view.params[name] for name in ("kernel", "bias") if name in view.params}
    bias = " + {m}.bias" if "bias" in params else ""
    call = f"torch.einsum({str(cfg.equation)!r}, {{0}}, {{m}}.kernel){bias}"
    return Construct("nn.Module", {}, call=call, post=_fused(cfg), params=params)


_BATCH_STATISTICS = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "BatchNormalization")


def _time_distributed(view: LayerView):
    # the layer applied to the N·T steps at once: (N, T, *rest) folded to (N·T, *rest) and back
    spec = view.cfg.layer
    name = spec.cls.type_name
    if name in REFUSED:
        raise Refusal(f"it wraps {spec.label}: {REFUSED[name]}", "layer")
    if name in _BATCH_STATISTICS:
        raise Refusal(f"{spec.label} would take its training statistics over all steps at once", "layer")
    x, y = view.ins[0], view.outs[0]
    inner = LayerView(
        spec.config(view.cfg.convention),
        spec.label,
        [(x[0] * x[1], *x[2:])],
        [(y[0] * y[1], *y[2:])],
        dict(view.params),
    )
    try:
        make = TABLE[name](inner)
    except Refusal as e:
        raise Refusal(f"its {spec.label}: {e.reason}", "layer") from None
    folded = "{0}.flatten(0, 1)"
    template = make.call if isinstance(make, Construct) else make.template
    template = template.replace("{args}", folded).replace("{0}", folded)
    if getattr(make, "post", None):
        template = make.post.replace("{0}", template)
    call = f"({template}).unflatten(0, ({{0}}.shape[0], {{0}}.shape[1]))"
    if isinstance(make, Construct):
        return make._replace(call=call, post=None)
    return Expression(call)


TABLE = {
    "Dense": _dense,
    "Bilinear": _bilinear,
    "Embedding": _embedding,
    "PositionalEmbedding": _positional_embedding,
    "ClassToken": _class_token,
    "Identity": _plain("Identity"),
    "Flatten": lambda v: Construct(
        "nn.Flatten", dict(start_dim=Default(v.cfg.start_dim, 1), end_dim=Default(v.cfg.end_dim, -1))
    ),
    "Unflatten": lambda v: Construct("nn.Unflatten", {"dim": v.cfg.dim, "unflattened_size": v.cfg.unflattened_size}),
    "Dropout": _dropout("Dropout"),
    "Dropout1d": _dropout("Dropout1d"),
    "Dropout2d": _dropout("Dropout2d"),
    "Dropout3d": _dropout("Dropout3d"),
    "AlphaDropout": _alpha_dropout,
    "Activation": _activation_layer,
    "LeakyReLU": lambda v: Construct(
        "nn.LeakyReLU", dict(negative_slope=Default(v.cfg.negative_slope, 0.01), **_inplace(v.cfg))
    ),
    "ELU": lambda v: Construct("nn.ELU", dict(alpha=Default(v.cfg.alpha, 1.0), **_inplace(v.cfg))),
    "CELU": lambda v: Construct("nn.CELU", dict(alpha=Default(v.cfg.alpha, 1.0), **_inplace(v.cfg))),
    "Softshrink": lambda v: Construct("nn.Softshrink", dict(lambd=Default(v.cfg.lambd, 0.5))),
    "Hardshrink": lambda v: Construct("nn.Hardshrink", dict(lambd=Default(v.cfg.lambd, 0.5))),
    "Hardtanh": lambda v: Construct(
        "nn.Hardtanh",
        dict(min_val=Default(v.cfg.min_val, -1.0), max_val=Default(v.cfg.max_val, 1.0), **_inplace(v.cfg)),
    ),
    "Threshold": lambda v: Construct(
        "nn.Threshold", {"threshold": v.cfg.threshold, "value": v.cfg.value, **_inplace(v.cfg)}
    ),
    "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"),
    "Softmin": _softmax("Softmin"),
    "PReLU": lambda v: Construct("nn.PReLU", dict(num_parameters=Default(v.params["weight"][0], 1))),
    "GLU": lambda v: Construct("nn.GLU", dict(dim=Default(v.cfg.axis, -1))),
    "MultiheadAttention": _attention,
    "TransformerEncoderLayer": _transformer("Encoder"),
    "TransformerDecoderLayer": _transformer("Decoder"),
    "Add": _merge("+"),
    "Subtract": _merge("-"),
    "Multiply": _merge("*"),
    "Average": _average,
    "Maximum": _fold("torch.maximum"),
    "Minimum": _fold("torch.minimum"),
    "Concat": _concat,
    "MatMul": lambda v: Expression("torch.matmul({0}, {1})"),
    "BatchNorm1d": _batch_norm,
    "BatchNorm2d": _batch_norm,
    "BatchNorm3d": _batch_norm,
    "BatchNormalization": _batch_norm,
    "LayerNorm": _layer_norm,
    "RMSNorm": _rms_norm,
    "GroupNorm": _group_norm,
    "LocalResponseNorm": lambda v: Construct("nn.LocalResponseNorm", {"size": v.cfg.size}),
    "RNN": _recurrent("RNN"),
    "LSTM": _recurrent("LSTM"),
    "GRU": _recurrent("GRU"),
    "Reshape": _reshape,
    "Permute": _permute,
    "Transpose": lambda v: Expression(f"{{0}}.transpose({v.cfg.dim0}, {v.cfg.dim1})"),
    "Squeeze": _squeeze,
    "Unsqueeze": lambda v: Expression(f"{{0}}.unsqueeze({v.cfg.axis})"),
    "Upsample": _upsample,
    "Slice": _slice,
    "Select": lambda v: Expression(f"{{0}}.select({v.cfg.axis}, {v.cfg.index})"),
    "Rescaling": lambda v: Expression(f"{{0}} * {v.cfg.scale!r} + {v.cfg.offset!r}"),
    "Resizing": _resizing,
    "CenterCrop": _center_crop,
    "RepeatVector": lambda v: Expression(f"{{0}}.unsqueeze(1).repeat(1, {v.cfg.n}, 1)"),
    "Masking": lambda v: Expression(f"{{0}} * ({{0}} != {v.cfg.mask_value!r}).any(-1, keepdim=True).to({{0}}.dtype)"),
    "Dot": _dot,
    "Attention": _plain_attention,
    "EinsumDense": _einsum_dense,
    "TimeDistributed": _time_distributed,
}
"""Layer type → entry (LayerView → Construct | Expression)."""

TABLE["ReLU"] = _relu
for _name in (
    "ReLU6",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Hardsigmoid",
    "Hardswish",
    "Tanh",
    "Softplus",
    "Softsign",
    "LogSigmoid",
    "Tanhshrink",
):
    TABLE[_name] = _plain(_name)
for _rank in (1, 2, 3):
    TABLE[f"Conv{_rank}d"] = _conv(_rank)
    TABLE[f"ConvTranspose{_rank}d"] = _conv_transpose(_rank)
    TABLE[f"InstanceNorm{_rank}d"] = _instance_norm(_rank)
    TABLE[f"UpSampling{_rank}D"] = _upsampling(_rank)
    TABLE[f"ZeroPadding{_rank}D"] = _keras_pad(_rank)
    TABLE[f"Cropping{_rank}D"] = _crop(_rank)
    for _kind in ("Max", "Avg"):
        TABLE[f"{_kind}Pool{_rank}d"] = _pool(_rank, _kind)
        TABLE[f"Adaptive{_kind}Pool{_rank}d"] = _adaptive_pool(_rank, _kind)
    TABLE[f"GlobalAveragePooling{_rank}D"] = _global_pool(_rank, "average")
    TABLE[f"GlobalMaxPooling{_rank}D"] = _global_pool(_rank, "max")
    for _pad in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad"):
        TABLE[f"{_pad}{_rank}d"] = _torch_pad(f"{_pad}{_rank}d")
for _rank in (1, 2):
    TABLE[f"DepthwiseConv{_rank}D"] = _depthwise(_rank)
    TABLE[f"SeparableConv{_rank}D"] = _separable(_rank)


# -- the types and arguments of issue 12 --------------------------------------------------------


def _plain_inplace(cls: str):
    return lambda view: Construct(f"nn.{cls}", _inplace(view.cfg))


def _embedding_bag(view: LayerView):
    cfg = view.cfg
    kwargs = dict(
        num_embeddings=cfg.num_embeddings,
        embedding_dim=cfg.embedding_dim,
        max_norm=Default(cfg.max_norm, None),
        norm_type=Default(cfg.norm_type, 2.0),
        scale_grad_by_freq=Default(cfg.scale_grad_by_freq, False),
        mode=Default(cfg.mode, "mean"),
        sparse=Default(cfg.sparse, False),
        include_last_offset=Default(cfg.include_last_offset, False),
        padding_idx=Default(cfg.padding_idx, None),
    )
    # a 2-D input takes no offsets: its second input is per_sample_weights
    call = "{m}({0}, per_sample_weights={1})" if len(view.ins) == 2 and len(view.ins[0]) == 2 else "{m}({args})"
    return Construct("nn.EmbeddingBag", kwargs, call=call)


def _cell(kind: str):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(input_size=view.params["weight_ih"][1], hidden_size=cfg.hidden_size, bias=Default(cfg.bias, True))
        if kind == "RNNCell":
            kwargs["nonlinearity"] = Default(cfg.nonlinearity, "tanh")
        if kind != "LSTMCell":
            return Construct(f"nn.{kind}", kwargs)
        call = "{m}({0}, ({1}, {2}))" if len(view.ins) == 3 else "{m}({0})"
        return Construct("nn.LSTMCell", kwargs, call=call, unpack="{0}, {1}")

    return entry


def _transformer_kwargs(view: LayerView) -> dict:
    cfg = view.cfg
    return dict(
        d_model=view.int(view.ins[0][-1], "model width"),
        nhead=cfg.nhead,
        dim_feedforward=Default(cfg.dim_feedforward, 2048),
        dropout=Default(cfg.dropout, 0.1),
        activation=Default(cfg.activation, "relu"),
        layer_norm_eps=Default(cfg.layer_norm_eps, 1e-5),
        batch_first=Default(cfg.batch_first, False),
        norm_first=Default(cfg.norm_first, False),
        bias=Default(cfg.bias, True),
    )


def _transformer_stack(kind: str):
    # num_layers copies of the layer (PyTorch deep-copies the one it is given) and the optional final norm
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = _transformer_kwargs(view)
        norm = None
        if cfg.norm:
            width = {"normalized_shape": kwargs["d_model"], "eps": kwargs["layer_norm_eps"], "bias": kwargs["bias"]}
            norm = Construct("nn.LayerNorm", width)
        stack = {
            f"{kind.lower()}_layer": Construct(f"nn.Transformer{kind}Layer", kwargs),
            "num_layers": cfg.num_layers,
            "norm": Default(norm, None),
        }
        return Construct(f"nn.Transformer{kind}", stack)

    return entry


def _transformer_whole(view: LayerView):
    cfg = view.cfg
    kwargs = _transformer_kwargs(view)
    kwargs["nhead"] = Default(cfg.nhead, 8)
    kwargs["num_encoder_layers"] = Default(cfg.num_encoder_layers, 6)
    kwargs["num_decoder_layers"] = Default(cfg.num_decoder_layers, 6)
    return Construct("nn.Transformer", kwargs)


def _max_unpool(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            kernel_size=_size(cfg.pool_size),
            stride=Default(None if cfg.strides is None else _size(cfg.strides), None),
            padding=Default(_size(cfg.padding), 0),
        )
        size = "" if cfg.output_size is None else f", output_size={list(cfg.output_size)}"
        return Construct(f"nn.MaxUnpool{rank}d", kwargs, call="{m}({0}, {1}" + size + ")")

    return entry


def _fold_window(cfg) -> dict:
    return dict(
        kernel_size=_size(cfg.kernel_size),
        dilation=Default(_size(cfg.dilation), 1),
        padding=Default(_size(cfg.padding), 0),
        stride=Default(_size(cfg.stride), 1),
    )


def _fixed_upsample(cls: str):
    def entry(view: LayerView):
        cfg = view.cfg
        size = None if cfg.size is None else (cfg.size if isinstance(cfg.size, int) else _size(cfg.size))
        return Construct(f"nn.{cls}", dict(size=Default(size, None), scale_factor=Default(cfg.scale_factor, None)))

    return entry


def _sync_batch_norm(view: LayerView):
    cfg = view.cfg
    _channel_axis(view)
    affine, bias = _affine_flags(cfg)
    kwargs = dict(
        num_features=view.int(view.ins[0][1], "channels"),
        eps=Default(cfg.eps, 1e-5),
        momentum=Default(cfg.momentum, 0.1),
        affine=Default(affine, True),
        track_running_stats=Default(cfg.track_running_stats, True),
        bias=Default(bias, True),
    )
    return Construct("nn.SyncBatchNorm", kwargs)


def _lp_pool(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            norm_type=cfg.norm_type,
            kernel_size=_size(cfg.pool_size),
            stride=Default(None if cfg.strides is None else _size(cfg.strides), None),
            ceil_mode=Default(cfg.ceil_mode, False),
        )
        return Construct(f"nn.LPPool{rank}d", kwargs)

    return entry


def _stochastic_depth(view: LayerView):
    # torchvision.ops.stochastic_depth, written out (torchvision is not a dependency): while training,
    # the input times Bernoulli(1 - p) noise of shape (N, 1, …) ('row') or (1, …) ('batch'), / (1 - p)
    cfg = view.cfg
    if cfg.p == 0:
        return Expression("{0}")
    survival = 1.0 - cfg.p
    size = "[{0}.shape[0]] + [1] * ({0}.ndim - 1)" if cfg.mode == "row" else "[1] * {0}.ndim"
    noise = f"torch.empty({size}, dtype={{0}}.dtype, device={{0}}.device).bernoulli_({survival!r})"
    if survival > 0:
        noise += f".div_({survival!r})"
    return Construct("nn.Module", {}, call=f"({{0}} * {noise} if {{m}}.training else {{0}})")


# -- standalone tensors and shape-adapting layers ----------------------------------------


def _zeros(shape) -> Construct:
    return Construct("torch.zeros", {"size": tuple(shape)})


def _parameter(view: LayerView):
    # an nn.Parameter registered under the layer's own name: state_dict names it by its path
    return Construct(
        "nn.Parameter",
        {"data": _zeros(view.params[""]), "requires_grad": Default(view.cfg.trainable, True)},
        call="{m}",
    )


def _buffer(view: LayerView):
    # a tensor the builder registers as a buffer: zeros, int64 for an integer buffer (torch.full infers
    # int64 from an int fill value), so that an index buffer is used as it is, not cast at each call
    size = tuple(view.params[""])
    if view.cfg.dtype == "int64":
        return Construct("torch.full", {"size": size, "fill_value": 0}, call="{m}")
    return Construct("torch.zeros", {"size": size}, call="{m}")


def _layer_scale(view: LayerView):
    name = view.cfg.param_name
    if not name:  # torchvision's ConvNeXt: self.layer_scale = nn.Parameter(…), result = layer_scale * x
        return Construct("nn.Parameter", {"data": _zeros(view.params[""])}, call="{m} * {0}")
    return Construct("nn.Module", {}, call=f"{{0}} * {{m}}.{name}", params={name: view.params[name]})


def _axis(view: LayerView, axis: int, index: int = 0) -> int:
    rank = len(view.ins[index])
    return axis + rank if axis < 0 else axis


def _f_pad(amounts: dict, rank: int) -> str:
    """F.pad's amounts, last axis first, from {axis: (before, after)} (texts)."""
    last = min(amounts)
    pairs = [amounts.get(axis, ("0", "0")) for axis in range(rank - 1, last - 1, -1)]
    return "(" + ", ".join(part for pair in pairs for part in pair) + ")"


def _pad_to_multiple(view: LayerView):
    cfg = view.cfg
    multiples = cfg.multiple if len(cfg.multiple) > 1 else cfg.multiple * len(cfg.axes)
    amounts = {}
    for axis, k in zip(cfg.axes, multiples):
        a = _axis(view, axis)
        extra = f"-{{0}}.shape[{a}] % {k}"
        amounts[a] = {
            "end": ("0", extra),
            "start": (extra, "0"),
            "both": (f"{extra} // 2", f"({extra} + 1) // 2"),
        }[cfg.side]
    value = f", value={cfg.value!r}" if cfg.value else ""
    return Expression(f"F.pad({{0}}, {_f_pad(amounts, len(view.ins[0]))}{value})")


def _pad(view: LayerView):
    cfg = view.cfg
    mode = "" if cfg.mode == "constant" else f", mode={cfg.mode!r}"
    value = f", value={cfg.value!r}" if cfg.value and cfg.mode == "constant" else ""
    return Expression(f"F.pad({{0}}, {tuple(cfg.padding)}{mode}{value})")


def _narrowed(view: LayerView, axes, sizes, align: str) -> Expression:
    """{0} narrowed on each axis to a size (a text), keeping its start, center or end."""
    text = "{0}"
    for axis, size in zip(axes, sizes):
        a = _axis(view, axis)
        start = {"start": "0", "center": f"({{0}}.shape[{a}] - {size}) // 2", "end": f"{{0}}.shape[{a}] - {size}"}
        text = f"{text}.narrow({a}, {start[align]}, {size})"
    return Expression(text)


def _crop(view: LayerView):
    cfg = view.cfg
    sizes = cfg.size if len(cfg.size) > 1 else cfg.size * len(cfg.axes)
    return _narrowed(view, cfg.axes, sizes, cfg.align)


def _crop_to(view: LayerView):
    cfg = view.cfg
    return _narrowed(view, cfg.axes, [f"{{1}}.shape[{_axis(view, a, 1)}]" for a in cfg.axes], cfg.align)


def _roll(view: LayerView):
    cfg = view.cfg
    dims = "" if cfg.dims is None else f", dims={tuple(cfg.dims)}"
    return Expression(f"torch.roll({{0}}, shifts={tuple(cfg.shifts)}{dims})")


def _outputs(count: int) -> str:
    """The unpacking of `count` outputs: '{0}, {1}' (a one-tuple: '{0},')."""
    return ", ".join(f"{{{i}}}" for i in range(count)) + ("," if count == 1 else "")


def _split(view: LayerView):
    cfg = view.cfg
    sizes = list(cfg.sizes) if len(cfg.sizes) > 1 else cfg.sizes[0]
    return Expression(f"torch.split({{0}}, {sizes}, dim={cfg.dim})", unpack=_outputs(len(view.outs)))


def _chunk(view: LayerView):
    cfg = view.cfg
    return Expression(f"torch.chunk({{0}}, {cfg.chunks}, dim={cfg.dim})", unpack=_outputs(len(view.outs)))


_REDUCE = {"mean": "torch.mean", "sum": "torch.sum", "max": "torch.amax", "min": "torch.amin"}


def _reduce(view: LayerView):
    cfg = view.cfg
    rank = len(view.ins[0])
    if rank == 0:
        return Expression("{0}")
    axes = tuple(_axis(view, a) for a in cfg.axes) if cfg.axes else tuple(range(rank))
    keep = ", keepdim=True" if cfg.keepdims else ""
    return Expression(f"{_REDUCE[cfg.op]}({{0}}, dim={axes}{keep})")


def _einsum(view: LayerView):
    # the equation holds letters, '.', ',', ' ', '-' and '>' only (einsum.parse_equation): a safe literal
    return Expression(f"torch.einsum({view.cfg.equation!r}, {{args}})")


TABLE.update(
    {
        "GELU": lambda v: Construct("nn.GELU", dict(approximate=Default(v.cfg.approximate, "none"))),
        "Softplus": lambda v: Construct(
            "nn.Softplus", dict(beta=Default(v.cfg.beta, 1.0), threshold=Default(v.cfg.threshold, 20.0))
        ),
        "PixelShuffle": lambda v: Construct("nn.PixelShuffle", {"upscale_factor": v.cfg.upscale_factor}),
        "PixelUnshuffle": lambda v: Construct("nn.PixelUnshuffle", {"downscale_factor": v.cfg.downscale_factor}),
        "EmbeddingBag": _embedding_bag,
        "RNNCell": _cell("RNNCell"),
        "LSTMCell": _cell("LSTMCell"),
        "GRUCell": _cell("GRUCell"),
        "TransformerEncoder": _transformer_stack("Encoder"),
        "TransformerDecoder": _transformer_stack("Decoder"),
        "Transformer": _transformer_whole,
        "Fold": lambda v: Construct("nn.Fold", dict(output_size=_size(v.cfg.output_size), **_fold_window(v.cfg))),
        "Unfold": lambda v: Construct("nn.Unfold", _fold_window(v.cfg)),
        "UpsamplingNearest2d": _fixed_upsample("UpsamplingNearest2d"),
        "UpsamplingBilinear2d": _fixed_upsample("UpsamplingBilinear2d"),
        "CosineSimilarity": lambda v: Construct(
            "nn.CosineSimilarity", dict(dim=Default(v.cfg.dim, 1), eps=Default(v.cfg.eps, 1e-8))
        ),
        "PairwiseDistance": lambda v: Construct(
            "nn.PairwiseDistance",
            dict(p=Default(v.cfg.p, 2.0), eps=Default(v.cfg.eps, 1e-6), keepdim=Default(v.cfg.keepdim, False)),
        ),
        "SyncBatchNorm": _sync_batch_norm,
        "RReLU": lambda v: Construct(
            "nn.RReLU",
            dict(lower=Default(v.cfg.lower, 1 / 8), upper=Default(v.cfg.upper, 1 / 3), **_inplace(v.cfg)),
        ),
        "Softmax2d": _plain("Softmax2d"),
        "StochasticDepth": _stochastic_depth,
    }
)
for _name in ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish"):
    TABLE[_name] = _plain_inplace(_name)
for _rank in (1, 2, 3):
    TABLE[f"MaxUnpool{_rank}d"] = _max_unpool(_rank)
    TABLE[f"LPPool{_rank}d"] = _lp_pool(_rank)
    TABLE[f"CircularPad{_rank}d"] = _torch_pad(f"CircularPad{_rank}d")
    TABLE[f"LazyInstanceNorm{_rank}d"] = _instance_norm(_rank)


TABLE.update(
    {
        "Parameter": _parameter,
        "Buffer": _buffer,
        "LayerScale": _layer_scale,
        "PadToMultiple": _pad_to_multiple,
        "Pad": _pad,
        "Crop": _crop,
        "CropTo": _crop_to,
        "Roll": _roll,
        "ChannelShuffle": lambda v: Construct("nn.ChannelShuffle", {"groups": v.cfg.groups}),
        "IndexSelect": lambda v: Expression(f"torch.index_select({{0}}, {v.cfg.dim}, {{1}}.long())"),
        "Split": _split,
        "Chunk": _chunk,
        "Stack": lambda v: Expression(f"torch.stack([{{args}}], dim={v.cfg.axis})"),
        "Reduce": _reduce,
        "Einsum": _einsum,
        "Expand": lambda v: Expression("{0}.expand(" + ", ".join(map(str, v.cfg.sizes)) + ")"),
        "Tile": lambda v: Expression(f"{{0}}.tile({tuple(v.cfg.repeats)})"),
        "Repeat": lambda v: Expression("{0}.repeat(" + ", ".join(map(str, v.cfg.repeats)) + ")"),
    }
)
