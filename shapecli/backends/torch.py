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
    return ACTIVATIONS[word][1]


def _activation_layer(view: LayerView):
    word = view.cfg.activation
    if word == "threshold":
        raise Refusal("threshold needs its threshold and value; use a Threshold layer", "activation")
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
        num_embeddings=cfg.num_embeddings, embedding_dim=cfg.embedding_dim, padding_idx=Default(cfg.padding_idx, None)
    )
    return Construct("nn.Embedding", kwargs)


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
    return lambda view: Construct(f"nn.{cls}", dict(p=Default(view.cfg.rate, 0.5)))


def _alpha_dropout(view: LayerView):
    cls = "FeatureAlphaDropout" if view.label.lower() == "featurealphadropout" else "AlphaDropout"
    return Construct(f"nn.{cls}", dict(p=Default(view.cfg.rate, 0.5)))


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
            kwargs = dict(**common, dilation=Default(_size(cfg.dilation), 1), ceil_mode=Default(cfg.ceil_mode, False))
        else:
            kwargs = dict(
                **common,
                ceil_mode=Default(cfg.ceil_mode, False),
                count_include_pad=Default(cfg.count_include_pad, True),
            )
        return Construct(f"nn.{kind}Pool{rank}d", kwargs)

    return entry


def _adaptive_pool(rank: int, kind: str):
    def entry(view: LayerView):
        _channels_first(view.cfg, "poolings")
        size = view.cfg.output_size
        return Construct(f"nn.Adaptive{kind}Pool{rank}d", {"output_size": size[0] if len(set(size)) == 1 else size})

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
    )
    return Construct("nn.Upsample", kwargs)


def _softmax(cls: str):
    return lambda view: Construct(f"nn.{cls}", {"dim": view.cfg.axis})


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
    "LeakyReLU": lambda v: Construct("nn.LeakyReLU", dict(negative_slope=Default(v.cfg.negative_slope, 0.01))),
    "ELU": lambda v: Construct("nn.ELU", dict(alpha=Default(v.cfg.alpha, 1.0))),
    "CELU": lambda v: Construct("nn.CELU", dict(alpha=Default(v.cfg.alpha, 1.0))),
    "Softshrink": lambda v: Construct("nn.Softshrink", dict(lambd=Default(v.cfg.lambd, 0.5))),
    "Hardshrink": lambda v: Construct("nn.Hardshrink", dict(lambd=Default(v.cfg.lambd, 0.5))),
    "Hardtanh": lambda v: Construct(
        "nn.Hardtanh", dict(min_val=Default(v.cfg.min_val, -1.0), max_val=Default(v.cfg.max_val, 1.0))
    ),
    "Threshold": lambda v: Construct("nn.Threshold", {"threshold": v.cfg.threshold, "value": v.cfg.value}),
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
}
"""Layer type → entry (LayerView → Construct | Expression)."""

for _name in (
    "ReLU",
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
