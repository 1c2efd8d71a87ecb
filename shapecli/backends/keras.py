"""Keras 3: every layer type's counterpart in keras.layers (or keras.ops), or why there is none.

`TABLE` maps a layer type to a function of a `LayerView` that returns a `Construct` (a
`layers` class and its keyword arguments; the builder adds `name=`) or an `Expression`
(`ops.matmul`, indexing, …). Keras layers infer their input sizes when they are first
called, so few entries need the inferred sizes. The templates use the names `keras`,
`layers` (keras.layers) and `ops` (keras.ops). Keyword arguments equal to the class's
default are marked `Default(value, default)`, which the exporter leaves out.

`REFUSED` lists the types Keras has no layer for; an entry refuses an argument it cannot
express (integer padding of a convolution, PyTorch-only options) with `Refusal`.
No keras import here: the exporter prints these tables without the framework.
"""

from __future__ import annotations

from types import SimpleNamespace

from ..plan import Construct, Default, Expression, LayerView, Refusal

REFUSED = {
    "PositionalEmbedding": "Keras has no position-embedding layer (keras_hub's PositionEmbedding is not part of Keras)",
    "ClassToken": "Keras has no class-token layer",
    "Bilinear": "Keras has no bilinear layer (PyTorch Bilinear)",
    "TransformerEncoderLayer": "Keras has no layer with PyTorch's TransformerEncoderLayer weights",
    "TransformerDecoderLayer": "Keras has no layer with PyTorch's TransformerDecoderLayer weights",
    "InstanceNorm1d": "Keras has no instance normalization with PyTorch's weight and bias",
    "InstanceNorm2d": "Keras has no instance normalization with PyTorch's weight and bias",
    "InstanceNorm3d": "Keras has no instance normalization with PyTorch's weight and bias",
    "LocalResponseNorm": "Keras has no local response normalization layer",
    "PixelShuffle": "Keras has no pixel-shuffle layer (TensorFlow's depth_to_space is channels-last, not Keras)",
    "PixelUnshuffle": "Keras has no pixel-unshuffle layer (TensorFlow's space_to_depth is not Keras)",
    "EmbeddingBag": "Keras has no embedding-bag layer",
    "RNNCell": "Keras' SimpleRNNCell takes its states as a list and returns (output, states); use SimpleRNN",
    "LSTMCell": "Keras' LSTMCell takes its states as a list and returns (output, [h, c]); use LSTM",
    "GRUCell": "Keras' GRUCell takes its states as a list and returns (output, states); use GRU",
    "TransformerEncoder": "Keras has no layer with PyTorch's TransformerEncoder weights",
    "TransformerDecoder": "Keras has no layer with PyTorch's TransformerDecoder weights",
    "Transformer": "Keras has no layer with PyTorch's Transformer weights",
    "MaxUnpool1d": "Keras has no max-unpooling layer (nor pooling indices)",
    "MaxUnpool2d": "Keras has no max-unpooling layer (nor pooling indices)",
    "MaxUnpool3d": "Keras has no max-unpooling layer (nor pooling indices)",
    "Fold": "Keras has no fold (col2im) layer",
    "Unfold": "Keras has no unfold (im2col) layer with PyTorch's (N, C·kh·kw, L) layout",
    "UpsamplingBilinear2d": "Keras' bilinear UpSampling2D has no align_corners=True",
    "CosineSimilarity": "Keras has no cosine-similarity layer (keras.losses.cosine_similarity is a loss)",
    "PairwiseDistance": "Keras has no pairwise-distance layer",
    "SyncBatchNorm": "Keras synchronizes BatchNormalization on the TensorFlow backend only (synchronized=True)",
    "LPPool1d": "Keras has no power-average pooling layer",
    "LPPool2d": "Keras has no power-average pooling layer",
    "LPPool3d": "Keras has no power-average pooling layer",
    "CircularPad1d": "Keras has no circular padding (ops.pad's 'wrap' is not on every backend)",
    "CircularPad2d": "Keras has no circular padding (ops.pad's 'wrap' is not on every backend)",
    "CircularPad3d": "Keras has no circular padding (ops.pad's 'wrap' is not on every backend)",
    "RReLU": "Keras has no randomized leaky ReLU",
    "StochasticDepth": "Keras has no stochastic-depth layer (torchvision.ops.StochasticDepth)",
    "LazyInstanceNorm1d": "Keras has no instance normalization with PyTorch's weight and bias",
    "LazyInstanceNorm2d": "Keras has no instance normalization with PyTorch's weight and bias",
    "LazyInstanceNorm3d": "Keras has no instance normalization with PyTorch's weight and bias",
    "Parameter": "Keras has no layer that is a weight by itself (a weight belongs to a layer's add_weight)",
    "Buffer": "Keras has no layer that is a weight by itself (a weight belongs to a layer's add_weight)",
    "LayerScale": "Keras has no LayerScale layer (keras.applications' ConvNeXt defines its own, not in keras.layers)",
}
"""Layer types without a Keras counterpart, and why."""

TIE = "Keras layers cannot hold another layer's variable; use share: to apply the same layer again"
"""Why `tie:` cannot be built in Keras."""

RESERVED = frozenset()
"""Names a layer cannot have in Keras: none (a layer's name is its `name=`, not an attribute)."""

_LAYER_ATTRIBUTE_WORDS = """
    T_destination _allow_non_tensor_positional_args _api_export_path _api_export_symbol_id _apply
    _assert_input_compatibility _auto_config _awq_call _backward_hooks _backward_pre_hooks _buffers _build_at_init
    _build_by_run_for_kwargs _build_by_run_for_single_pos_arg _build_shapes_dict _call_context_args
    _call_has_context_arg _call_has_mask_arg _call_has_training_arg _call_impl _call_signature _called
    _check_load_own_variables _check_quantize_args _check_super_called _clear_losses _compiled_call_impl
    _convert_input_args _dtype_policy _flatten_layers _float8_call _forward_hooks _forward_hooks_always_called
    _forward_hooks_with_kwargs _forward_pre_hooks _forward_pre_hooks_with_kwargs _get_backward_hooks
    _get_backward_pre_hooks _get_call_context _get_name _get_node_attribute_at_index _get_own_losses
    _get_regularization_losses _gptq_call _inbound_nodes _initialize_tracker _input_spec _int4_call _int8_call
    _is_full_backward_hook _layers _load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks
    _lock _lock_state _loss_ids _losses _losses_override _maybe_build _maybe_reset_call_context
    _maybe_warn_non_full_backward_hook _metrics _modules _named_members _non_persistent_buffers_set
    _non_trainable_variables _not_implemented_error _obj_type _open_name_scope _outbound_nodes _parameters
    _parent_path _path _post_build _post_track_variable _post_untrack_variable _quantization_mode_error
    _register_call_context_args _register_load_state_dict_pre_hook _register_state_dict_hook _remat_mode
    _replicate_for_data_parallel _resolve_and_populate_arg _save_to_state_dict _seed_generators _set_mask_metadata
    _setattr_hook _slow_forward _state_dict_hooks _state_dict_pre_hooks _supports_masking _track_variable
    _track_variables _tracker _trainable _trainable_variables _unpickle_model _untrack_variable _version
    _wrapped_call_impl activity_regularizer add_loss add_metric add_module add_variable add_weight apply autocast
    bfloat16 buffers build build_from_config built call call_signature_parameters call_super_init children compile
    compute_dtype compute_mask compute_output_shape compute_output_spec count_params cpu cuda double dtype
    dtype_policy dump_patches eval extra_repr float forward from_config get_buffer get_build_config get_config
    get_extra_state get_parameter get_submodule get_weights half input input_dtype input_spec ipu
    load_own_variables load_state_dict losses metrics metrics_variables modules mtia name named_buffers
    named_children named_modules named_parameters non_trainable_variables non_trainable_weights output parameters
    path quantization_mode quantize quantized_build quantized_call register_backward_hook register_buffer
    register_forward_hook register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module register_parameter
    register_state_dict_post_hook register_state_dict_pre_hook rematerialized_call requires_grad_
    save_own_variables set_extra_state set_submodule set_weights share_memory state_dict stateless_call
    supports_jit supports_masking symbolic_call to to_empty torch_params train trainable trainable_variables
    trainable_weights training type variable_dtype variables weights xpu zero_grad
"""
LAYER_ATTRIBUTES = frozenset(_LAYER_ATTRIBUTE_WORDS.split())
"""Attributes of a keras.layers.Layer (Keras 3.15, torch backend, which adds torch.nn.Module's):
the exported source gives a sublayer another attribute name when its own is one of these
(its Keras name, and so its weight paths, stay the same)."""

ACTIVATIONS = {
    "linear": "linear",
    "relu": "relu",
    "relu6": "relu6",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "silu": "silu",
    "swish": "swish",
    "mish": "mish",
    "sigmoid": "sigmoid",
    "hard_sigmoid": "hard_sigmoid",
    "hard_swish": "hard_swish",
    "tanh": "tanh",
    "softplus": "softplus",
    "softsign": "softsign",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "log_sigmoid": "log_sigmoid",
    "celu": "celu",
    "tanhshrink": "tanh_shrink",
    "softshrink": "soft_shrink",
    "hardshrink": "hard_shrink",
    "hard_tanh": "hard_tanh",
    "exponential": "exponential",
    "sparse_plus": "sparse_plus",
    "sparse_sigmoid": "sparse_sigmoid",
    "squareplus": "squareplus",
    "sparsemax": "sparsemax",
}
"""shapecli's activation word → Keras' (keras.activations), with Keras' defaults."""


def _activation(word: str | None, what: str = "activation") -> str | None:
    if word is None:
        return None
    if word not in ACTIVATIONS:
        raise Refusal(f"Keras has no {word} activation without arguments", what)
    return ACTIVATIONS[word]


def _only(cfg, **defaults) -> None:
    """Refuse PyTorch-only arguments set to something else than their default."""
    for name, default in defaults.items():
        if getattr(cfg, name) != default:
            raise Refusal(f"{name} is a PyTorch argument; Keras has no counterpart", name)


def _size(values):
    values = tuple(values)
    return values[0] if len(set(values)) == 1 else values


def _format(cfg):
    return Default(cfg.data_format, "channels_last")


def _padding(cfg, what: str) -> str:
    if isinstance(cfg.padding, str):
        return cfg.padding
    raise Refusal(f"Keras' {what} take padding 'valid' or 'same'; pad with a ZeroPadding layer first", "padding")


# -- core ---------------------------------------------------------------------------------


def _dense(view: LayerView):
    cfg = view.cfg
    kwargs = dict(
        units=cfg.units,
        activation=Default(_activation(cfg.activation), None),
        use_bias=Default(cfg.use_bias, True),
    )
    return Construct("layers.Dense", kwargs)


def _embedding(view: LayerView):
    cfg = view.cfg
    _only(cfg, padding_idx=None, max_norm=None, scale_grad_by_freq=False, sparse=False)
    kwargs = dict(input_dim=cfg.num_embeddings, output_dim=cfg.embedding_dim, mask_zero=Default(cfg.mask_zero, False))
    return Construct("layers.Embedding", kwargs)


def _flatten(view: LayerView):
    cfg = view.cfg
    if (cfg.start_dim, cfg.end_dim) != (1, -1):
        raise Refusal("Keras' Flatten keeps the batch axis and merges all others", "start_dim")
    return Construct("layers.Flatten", {})


def _dropout(cls: str):
    return lambda view: Construct(f"layers.{cls}", {"rate": view.cfg.rate})


def _alpha_dropout(view: LayerView):
    if view.label.lower() == "featurealphadropout":
        raise Refusal("Keras has no feature alpha dropout (PyTorch FeatureAlphaDropout)")
    return Construct("layers.AlphaDropout", {"rate": view.cfg.rate})


# -- activations --------------------------------------------------------------------------


def _activation_layer(word: str):
    return lambda view: Construct("layers.Activation", {"activation": ACTIVATIONS[word]})


def _named_activation(view: LayerView):
    word = view.cfg.activation
    if word == "threshold":
        raise Refusal("threshold needs its threshold and value; use a Threshold layer", "activation")
    return Construct("layers.Activation", {"activation": _activation(word)})


def _with_argument(word: str, function: str, arg: str, keras_arg: str, default: float):
    # an activation with one argument: Keras' Activation layer at the default, else the function
    def entry(view: LayerView):
        value = getattr(view.cfg, arg)
        if value == default:
            return Construct("layers.Activation", {"activation": word})
        return Expression(f"keras.activations.{function}({{0}}, {keras_arg}={value!r})")

    return entry


def _axis_activation(function: str):
    return lambda view: Expression(f"{function}({{0}}, axis={view.cfg.axis})")


def _hardtanh(view: LayerView):
    if (view.cfg.min_val, view.cfg.max_val) != (-1.0, 1.0):
        return Expression(f"ops.clip({{0}}, {view.cfg.min_val!r}, {view.cfg.max_val!r})")
    return Construct("layers.Activation", {"activation": "hard_tanh"})


# -- convolutions and pooling -------------------------------------------------------------


def _window(cfg, what: str) -> dict:
    if cfg.padding_mode != "zeros":
        raise Refusal(f"Keras' {what} pad with zeros only", "padding_mode")
    return dict(
        kernel_size=_size(cfg.kernel_size),
        strides=Default(_size(cfg.strides), 1),
        padding=Default(_padding(cfg, what), "valid"),
        data_format=_format(cfg),
        dilation_rate=Default(_size(cfg.dilation), 1),
    )


def _conv(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            filters=cfg.filters,
            **_window(cfg, "convolutions"),
            groups=Default(cfg.groups, 1),
            activation=Default(_activation(cfg.activation), None),
            use_bias=Default(cfg.use_bias, True),
        )
        return Construct(f"layers.Conv{rank}D", kwargs)

    return entry


def _conv_transpose(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        window = _window(cfg, "transposed convolutions")
        output_padding = None if cfg.output_padding is None else _size(cfg.output_padding)
        kwargs = dict(
            filters=cfg.filters,
            kernel_size=window.pop("kernel_size"),
            strides=window.pop("strides"),
            padding=window.pop("padding"),
            output_padding=Default(output_padding, None),
            **window,
            activation=Default(_activation(cfg.activation), None),
            use_bias=Default(cfg.use_bias, True),
        )
        return Construct(f"layers.Conv{rank}DTranspose", kwargs)

    return entry


def _depthwise(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        window = _window(cfg, "convolutions")
        kwargs = dict(
            kernel_size=window.pop("kernel_size"),
            strides=window.pop("strides"),
            padding=window.pop("padding"),
            depth_multiplier=Default(cfg.depth_multiplier, 1),
            **window,
            activation=Default(_activation(cfg.activation), None),
            use_bias=Default(cfg.use_bias, True),
        )
        return Construct(f"layers.DepthwiseConv{rank}D", kwargs)

    return entry


def _separable(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            filters=cfg.filters,
            **_window(cfg, "convolutions"),
            depth_multiplier=Default(cfg.depth_multiplier, 1),
            activation=Default(_activation(cfg.activation), None),
            use_bias=Default(cfg.use_bias, True),
        )
        return Construct(f"layers.SeparableConv{rank}D", kwargs)

    return entry


def _pool(rank: int, kind: str):
    def entry(view: LayerView):
        cfg = view.cfg
        _only(cfg, **({"return_indices": False} if kind == "Max" else {"divisor_override": None} if rank > 1 else {}))
        kwargs = dict(
            pool_size=_size(cfg.pool_size),
            strides=Default(None if cfg.strides is None else _size(cfg.strides), None),
            padding=Default(_padding(cfg, "poolings"), "valid"),
            data_format=_format(cfg),
        )
        return Construct(f"layers.{kind}Pooling{rank}D", kwargs)

    return entry


def _adaptive_pool(rank: int, kind: str):
    def entry(view: LayerView):
        if kind == "Max":
            _only(view.cfg, return_indices=False)
        size = view.cfg.output_size
        if None in size:
            raise Refusal("Keras' adaptive poolings need a size for every axis", "output_size")
        return Construct(
            f"layers.Adaptive{kind}Pooling{rank}D", {"output_size": _size(size), "data_format": _format(view.cfg)}
        )

    return entry


def _global_pool(rank: int, kind: str):
    def entry(view: LayerView):
        kwargs = dict(data_format=_format(view.cfg), keepdims=Default(view.cfg.keepdims, False))
        return Construct(f"layers.Global{kind}Pooling{rank}D", kwargs)

    return entry


# -- normalization ------------------------------------------------------------------------


def _batch_norm(view: LayerView):
    cfg = view.cfg
    _only(cfg, track_running_stats=True)
    kwargs = dict(
        axis=Default(cfg.axis, -1),
        momentum=Default(cfg.momentum, 0.99),  # the keras convention's: it weighs the old statistics
        epsilon=Default(cfg.eps, 1e-3),
        center=Default(cfg.affine and cfg.center, True),
        scale=Default(cfg.affine and cfg.scale, True),
    )
    return Construct("layers.BatchNormalization", kwargs)


def _axes(view: LayerView, shape) -> list[int]:
    """The trailing axes a normalized_shape covers."""
    rank = len(view.ins[0])
    return list(range(rank - len(shape), rank))


def _layer_norm(view: LayerView):
    cfg = view.cfg
    axis = _axes(view, cfg.normalized_shape) if cfg.normalized_shape is not None else list(cfg.axis)
    kwargs = dict(
        axis=Default(axis[0] if len(axis) == 1 else axis, -1),
        epsilon=Default(cfg.eps, 1e-3),
        center=Default(cfg.affine and cfg.center and cfg.bias, True),
        scale=Default(cfg.affine and cfg.scale, True),
        rms_scaling=Default(cfg.rms_scaling, False),
    )
    return Construct("layers.LayerNormalization", kwargs)


def _rms_norm(view: LayerView):
    cfg = view.cfg
    if not cfg.affine:
        raise Refusal("Keras' RMSNormalization always learns a scale", "affine")
    if cfg.normalized_shape is not None and len(cfg.normalized_shape) != 1:
        raise Refusal("Keras' RMSNormalization normalizes one axis", "normalized_shape")
    axis = -1 if cfg.normalized_shape is not None else cfg.axis
    return Construct("layers.RMSNormalization", dict(axis=Default(axis, -1), epsilon=Default(cfg.eps, 1e-6)))


def _group_norm(view: LayerView):
    cfg = view.cfg
    kwargs = dict(
        groups=Default(cfg.num_groups, 32),
        axis=Default(cfg.axis, -1),
        epsilon=Default(cfg.eps, 1e-3),
        center=Default(cfg.affine and cfg.center, True),
        scale=Default(cfg.affine and cfg.scale, True),
    )
    return Construct("layers.GroupNormalization", kwargs)


# -- recurrent and attention --------------------------------------------------------------

_WORDS = {"RNN": ("SimpleRNN", "simple_rnn"), "LSTM": ("LSTM", "lstm"), "GRU": ("GRU", "gru")}


def _recurrent(kind: str):
    def entry(view: LayerView):
        cfg = view.cfg
        if cfg.dropout:
            raise Refusal("PyTorch's dropout between stacked layers has no Keras counterpart", "dropout")
        cls, word = _WORDS[kind]
        kwargs = dict(
            units=cfg.hidden_size,
            activation=Default(cfg.activation or "tanh", "tanh"),
            use_bias=Default(cfg.use_bias, True),
            return_sequences=Default(cfg.return_sequences, False),
            return_state=Default(cfg.return_state, False),
            go_backwards=Default(cfg.go_backwards, False),
        )
        if kind == "GRU":
            kwargs["reset_after"] = Default(cfg.reset_after, True)
        outputs = len(view.outs)
        unpack = ", ".join(f"{{{i}}}" for i in range(outputs)) if outputs > 1 else None
        if cfg.bidirectional:
            # Keras names the wrapped layers forward_<name> and backward_<name>
            inner = Construct(f"layers.{cls}", {**kwargs, "name": word})
            return Construct("layers.Bidirectional", {"layer": inner}, unpack=unpack)
        return Construct(f"layers.{cls}", kwargs, unpack=unpack)

    return entry


def _attention(view: LayerView):
    cfg = view.cfg
    _only(cfg, embed_dim=None, kdim=None, vdim=None, add_bias_kv=False, add_zero_attn=False, average_attn_weights=True)
    kwargs = dict(
        num_heads=cfg.num_heads,
        key_dim=cfg.key_dim,
        value_dim=Default(cfg.value_dim, None),
        dropout=Default(cfg.dropout, 0.0),
        use_bias=Default(cfg.use_bias, True),
        output_shape=Default(cfg.output_shape, None),
    )
    # inputs [query], [query, value] or [query, value, key]
    args = {1: "{0}, {0}", 2: "{0}, {1}", 3: "{0}, {1}, key={2}"}[len(view.ins)]
    scores = ", return_attention_scores=True" if cfg.return_attention_scores else ""
    unpack = "{0}, {1}" if cfg.return_attention_scores else None
    return Construct("layers.MultiHeadAttention", kwargs, call=f"{{m}}({args}{scores})", unpack=unpack)


# -- merges and reshaping -----------------------------------------------------------------


def _merge(cls: str):
    return lambda view: Construct(f"layers.{cls}", {}, call="{m}([{args}])")


def _concat(view: LayerView):
    axis = -1 if view.cfg.axis is None else view.cfg.axis
    return Construct("layers.Concatenate", {"axis": Default(axis, -1)}, call="{m}([{args}])")


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


def _squeeze(view: LayerView):
    if view.cfg.axis is not None:
        return Expression(f"ops.squeeze({{0}}, axis={view.cfg.axis})")
    axes = tuple(i for i, d in enumerate(view.ins[0]) if d == 1)
    return Expression(f"ops.squeeze({{0}}, axis={axes})" if axes else "{0}")


def _unflatten(view: LayerView):
    shape = view.outs[0]
    unknown = [i for i, d in enumerate(shape) if not isinstance(d, int)]
    if len(unknown) > 1:
        raise Refusal("Keras reshapes to a shape with at most one size not known when the model is built", "dim")
    target = tuple(-1 if i in unknown else d for i, d in enumerate(shape))
    return Expression(f"ops.reshape({{0}}, {target})")


def _upsample(view: LayerView):
    cfg = view.cfg
    rank = len(view.ins[0]) - 2
    factors = cfg.scale_factor if isinstance(cfg.scale_factor, tuple) else (cfg.scale_factor,) * rank
    if cfg.size is not None or any(float(f) != int(f) for f in factors) or cfg.mode not in ("nearest", "bilinear"):
        raise Refusal("Keras upsamples by integer factors (nearest or bilinear) only; use UpSampling2D", "scale_factor")
    if rank != 2 and cfg.mode != "nearest":
        raise Refusal("Keras interpolates bilinearly in 2-D only", "mode")
    size = _size(int(f) for f in factors)
    if rank == 1:
        return Construct("layers.UpSampling1D", {"size": size, **_channels_last_1d(cfg, "UpSampling1D")})
    kwargs = dict(size=size, data_format=_format(cfg))
    if rank == 2:
        kwargs["interpolation"] = Default(cfg.mode, "nearest")
    return Construct(f"layers.UpSampling{rank}D", kwargs)


def _torch_pad(rank: int, mode: str):
    # PyTorch's (left, right, top, bottom, …) from the last axis: ops.pad's widths per axis
    def entry(view: LayerView):
        n = len(view.ins[0])
        padding = view.cfg.padding if len(view.cfg.padding) > 1 else view.cfg.padding * (2 * rank)
        widths = [(0, 0)] * n
        for i in range(rank):
            widths[n - 1 - i] = (padding[2 * i], padding[2 * i + 1])
        extra = f", constant_values={view.cfg.value!r}" if mode == "constant" and view.cfg.value else ""
        keyword = "" if mode == "constant" else f', mode="{mode}"'
        return Expression(f"ops.pad({{0}}, {tuple(widths)}{keyword}{extra})")

    return entry


def _channels_last_1d(cfg, cls: str) -> dict:
    """Keras' Cropping1D and UpSampling1D take channels-last data only (no data_format)."""
    if cfg.data_format != "channels_last":
        raise Refusal(f"Keras' {cls} takes channels-last data only", "data_format")
    return {}


def _cropping(rank: int, name: str):
    def entry(view: LayerView):
        pairs = view.cfg.cropping if name == "cropping" else view.cfg.padding
        value = pairs[0] if rank == 1 else tuple(pairs)
        cls = f"{'Cropping' if name == 'cropping' else 'ZeroPadding'}{rank}D"
        if cls == "Cropping1D":
            return Construct(f"layers.{cls}", {name: value, **_channels_last_1d(view.cfg, cls)})
        return Construct(f"layers.{cls}", {name: value, "data_format": _format(view.cfg)})

    return entry


def _upsampling(rank: int):
    def entry(view: LayerView):
        size = _size(view.cfg.size)
        if rank == 1:
            return Construct("layers.UpSampling1D", {"size": size, **_channels_last_1d(view.cfg, "UpSampling1D")})
        return Construct(f"layers.UpSampling{rank}D", {"size": size, "data_format": _format(view.cfg)})

    return entry


# -- Keras' preprocessing layers, wrappers, Dot, attention, EinsumDense, ConvLSTM -------------


def _normalization(view: LayerView):
    cfg = view.cfg
    axis = cfg.axis[0] if len(cfg.axis) == 1 else (list(cfg.axis) or None)
    kwargs = dict(axis=Default(axis, -1), invert=Default(cfg.invert, False))
    if cfg.mean is not None:
        kwargs.update(mean=cfg.mean.tolist(), variance=cfg.variance.tolist())
    return Construct("layers.Normalization", kwargs)


def _resizing(view: LayerView):
    cfg = view.cfg
    kwargs = dict(
        height=cfg.height,
        width=cfg.width,
        interpolation=Default(cfg.interpolation, "bilinear"),
        crop_to_aspect_ratio=Default(cfg.crop_to_aspect_ratio, False),
        pad_to_aspect_ratio=Default(cfg.pad_to_aspect_ratio, False),
        fill_value=Default(cfg.fill_value, 0.0),
        antialias=Default(cfg.antialias, False),
        data_format=_format(cfg),
    )
    return Construct("layers.Resizing", kwargs)


def _dot(view: LayerView):
    axes = view.cfg.axes[0] if view.cfg.axes[0] == view.cfg.axes[1] else list(view.cfg.axes)
    kwargs = dict(axes=axes, normalize=Default(view.cfg.normalize, False))
    return Construct("layers.Dot", kwargs, call="{m}([{args}])")


def _plain_attention(cls: str):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = {"use_scale": Default(cfg.use_scale, cls == "AdditiveAttention")}
        if cls == "Attention":
            kwargs["score_mode"] = Default(cfg.score_mode, "dot")
        kwargs["dropout"] = Default(cfg.dropout, 0.0)
        options = "".join(
            f", {flag}=True" for flag in ("return_attention_scores", "use_causal_mask") if getattr(cfg, flag)
        )
        unpack = "{0}, {1}" if cfg.return_attention_scores else None
        return Construct(f"layers.{cls}", kwargs, call=f"{{m}}([{{args}}]{options})", unpack=unpack)

    return entry


def _einsum_dense(view: LayerView):
    cfg = view.cfg
    kwargs = dict(
        equation=str(cfg.equation),
        output_shape=list(cfg.output_shape),
        activation=Default(_activation(cfg.activation), None),
        bias_axes=Default(cfg.bias_axes, None),
    )
    return Construct("layers.EinsumDense", kwargs)


def _conv_lstm(rank: int):
    def entry(view: LayerView):
        cfg = view.cfg
        kwargs = dict(
            filters=cfg.filters,
            kernel_size=_size(cfg.kernel_size),
            strides=Default(_size(cfg.strides), 1),
            padding=Default(cfg.padding, "valid"),
            data_format=_format(cfg),
            dilation_rate=Default(_size(cfg.dilation), 1),
            activation=Default(_activation(cfg.activation), "tanh"),
            recurrent_activation=Default(_activation(cfg.recurrent_activation, "recurrent_activation"), "sigmoid"),
            use_bias=Default(cfg.use_bias, True),
            dropout=Default(cfg.dropout, 0.0),
            recurrent_dropout=Default(cfg.recurrent_dropout, 0.0),
            return_sequences=Default(cfg.return_sequences, False),
            return_state=Default(cfg.return_state, False),
            go_backwards=Default(cfg.go_backwards, False),
        )
        unpack = "{0}, {1}, {2}" if cfg.return_state else None
        return Construct(f"layers.ConvLSTM{rank}D", kwargs, unpack=unpack)

    return entry


def _wrapped(view: LayerView, ins: list, outs: list, prefix: str):
    """The Keras layer a wrapper's `layer:` describes, named as the wrapper's weights say."""
    spec = view.cfg.layer
    start = prefix + "."
    params = {k.removeprefix(start): v for k, v in view.params.items() if k.startswith(start)}
    inner = LayerView(spec.config(view.cfg.convention), spec.label, ins, outs, params)
    if spec.cls.type_name in REFUSED:
        raise Refusal(f"it wraps {spec.label}: {REFUSED[spec.cls.type_name]}", "layer")
    try:
        make = TABLE[spec.cls.type_name](inner)
    except Refusal as e:
        raise Refusal(f"its {spec.label}: {e.reason}", "layer") from None
    if not isinstance(make, Construct) or not make.cls.startswith("layers.") or make.post:
        raise Refusal(f"Keras wraps layers; {spec.label} is an operation there", "layer")
    return Construct(make.cls, {**make.kwargs, "name": spec.name})


def _time_distributed(view: LayerView):
    x, y = view.ins[0], view.outs[0]
    inner = _wrapped(view, [(x[0], *x[2:])], [(y[0], *y[2:])], view.cfg.layer.name)
    return Construct("layers.TimeDistributed", {"layer": inner})


def _bidirectional(view: LayerView):
    cfg = view.cfg
    output = view.outs[0]
    if cfg.merge_mode == "concat":
        output = (*output[:-1], output[-1] // 2)
    states = view.outs[1 if cfg.merge_mode is not None else 2 :]
    inner = _wrapped(view, view.ins, [output, *states[: len(states) // 2]], f"forward_{cfg.layer.name}")
    outputs = len(view.outs)
    unpack = ", ".join(f"{{{i}}}" for i in range(outputs)) if outputs > 1 else None
    kwargs = {"layer": inner, "merge_mode": Default(cfg.merge_mode, "concat")}
    return Construct("layers.Bidirectional", kwargs, unpack=unpack)


TABLE = {
    "Dense": _dense,
    "Embedding": _embedding,
    "Identity": lambda v: Construct("layers.Identity", {}),
    "Flatten": _flatten,
    "Dropout": _dropout("Dropout"),
    "Dropout1d": _dropout("SpatialDropout1D"),
    "Dropout2d": _dropout("SpatialDropout2D"),
    "Dropout3d": _dropout("SpatialDropout3D"),
    "AlphaDropout": _alpha_dropout,
    "GaussianDropout": _dropout("GaussianDropout"),
    "GaussianNoise": lambda v: Construct("layers.GaussianNoise", {"stddev": v.cfg.stddev}),
    "Activation": _named_activation,
    "ReLU": lambda v: Construct(
        "layers.ReLU",
        {
            "max_value": Default(v.cfg.max_value, None),
            "negative_slope": Default(v.cfg.negative_slope, 0.0),
            "threshold": Default(v.cfg.threshold, 0.0),
        },
    ),
    "LeakyReLU": lambda v: Construct("layers.LeakyReLU", {"negative_slope": v.cfg.negative_slope}),
    "ELU": lambda v: Construct("layers.ELU", {"alpha": Default(v.cfg.alpha, 1.0)}),
    "Softmax": lambda v: Construct("layers.Softmax", {"axis": Default(v.cfg.axis, -1)}),
    "LogSoftmax": _axis_activation("keras.activations.log_softmax"),
    "Softmin": lambda v: Expression(f"ops.softmax(-{{0}}, axis={v.cfg.axis})"),
    "GLU": _axis_activation("keras.activations.glu"),
    "PReLU": lambda v: Construct("layers.PReLU", {"shared_axes": Default(v.cfg.shared_axes, None)}),
    "CELU": _with_argument("celu", "celu", "alpha", "alpha", 1.0),
    "Softshrink": _with_argument("soft_shrink", "soft_shrink", "lambd", "threshold", 0.5),
    "Hardshrink": _with_argument("hard_shrink", "hard_shrink", "lambd", "threshold", 0.5),
    "Hardtanh": _hardtanh,
    "Threshold": lambda v: Expression(
        f"keras.activations.threshold({{0}}, threshold={v.cfg.threshold!r}, default_value={v.cfg.value!r})"
    ),
    "MultiheadAttention": _attention,
    "Add": _merge("Add"),
    "Subtract": _merge("Subtract"),
    "Multiply": _merge("Multiply"),
    "Average": _merge("Average"),
    "Maximum": _merge("Maximum"),
    "Minimum": _merge("Minimum"),
    "Concat": _concat,
    "MatMul": lambda v: Expression("ops.matmul({0}, {1})"),
    "BatchNorm1d": _batch_norm,
    "BatchNorm2d": _batch_norm,
    "BatchNorm3d": _batch_norm,
    "BatchNormalization": _batch_norm,
    "LayerNorm": _layer_norm,
    "RMSNorm": _rms_norm,
    "GroupNorm": _group_norm,
    "RNN": _recurrent("RNN"),
    "LSTM": _recurrent("LSTM"),
    "GRU": _recurrent("GRU"),
    "Reshape": lambda v: Construct("layers.Reshape", {"target_shape": v.cfg.shape}),
    "Permute": lambda v: Construct("layers.Permute", {"dims": v.cfg.dims}),
    "Transpose": lambda v: Expression(f"ops.swapaxes({{0}}, {v.cfg.dim0}, {v.cfg.dim1})"),
    "Squeeze": _squeeze,
    "Unsqueeze": lambda v: Expression(f"ops.expand_dims({{0}}, {v.cfg.axis})"),
    "Unflatten": _unflatten,
    "Upsample": _upsample,
    "Slice": _slice,
    "Select": lambda v: Expression(_index(v, v.cfg.axis, str(v.cfg.index))),
    "Rescaling": lambda v: Construct("layers.Rescaling", {"scale": v.cfg.scale, "offset": Default(v.cfg.offset, 0.0)}),
    "Normalization": _normalization,
    "Resizing": _resizing,
    "CenterCrop": lambda v: Construct(
        "layers.CenterCrop", {"height": v.cfg.height, "width": v.cfg.width, "data_format": _format(v.cfg)}
    ),
    "RepeatVector": lambda v: Construct("layers.RepeatVector", {"n": v.cfg.n}),
    "Masking": lambda v: Construct("layers.Masking", {"mask_value": Default(v.cfg.mask_value, 0.0)}),
    "Dot": _dot,
    "Attention": _plain_attention("Attention"),
    "AdditiveAttention": _plain_attention("AdditiveAttention"),
    "EinsumDense": _einsum_dense,
    "TimeDistributed": _time_distributed,
    "Bidirectional": _bidirectional,
}
"""Layer type → entry (LayerView → Construct | Expression)."""

for _name, _word in (
    ("ReLU6", "relu6"),
    ("SELU", "selu"),
    ("GELU", "gelu"),
    ("SiLU", "silu"),
    ("Mish", "mish"),
    ("Sigmoid", "sigmoid"),
    ("Hardsigmoid", "hard_sigmoid"),
    ("Hardswish", "hard_swish"),
    ("Tanh", "tanh"),
    ("Softplus", "softplus"),
    ("Softsign", "softsign"),
    ("LogSigmoid", "log_sigmoid"),
    ("Tanhshrink", "tanhshrink"),
):
    TABLE[_name] = _activation_layer(_word)
for _rank in (1, 2, 3):
    TABLE[f"Conv{_rank}d"] = _conv(_rank)
    TABLE[f"ConvTranspose{_rank}d"] = _conv_transpose(_rank)
    TABLE[f"UpSampling{_rank}D"] = _upsampling(_rank)
    TABLE[f"ZeroPadding{_rank}D"] = _cropping(_rank, "padding")
    TABLE[f"Cropping{_rank}D"] = _cropping(_rank, "cropping")
    for _torch, _keras in (("Max", "Max"), ("Avg", "Average")):
        TABLE[f"{_torch}Pool{_rank}d"] = _pool(_rank, _keras)
        TABLE[f"Adaptive{_torch}Pool{_rank}d"] = _adaptive_pool(_rank, _keras)
    TABLE[f"GlobalAveragePooling{_rank}D"] = _global_pool(_rank, "Average")
    TABLE[f"GlobalMaxPooling{_rank}D"] = _global_pool(_rank, "Max")
    for _pad, _mode in (("ZeroPad", "constant"), ("ConstantPad", "constant"), ("ReflectionPad", "reflect")):
        TABLE[f"{_pad}{_rank}d"] = _torch_pad(_rank, _mode)
    TABLE[f"ReplicationPad{_rank}d"] = _torch_pad(_rank, "edge")
for _rank in (1, 2):
    TABLE[f"DepthwiseConv{_rank}D"] = _depthwise(_rank)
    TABLE[f"SeparableConv{_rank}D"] = _separable(_rank)
for _rank in (1, 2, 3):
    TABLE[f"ConvLSTM{_rank}D"] = _conv_lstm(_rank)


# -- the types and arguments of issue 12 --------------------------------------------------------


def _gelu(view: LayerView):
    if view.cfg.approximate == "tanh":  # the same tanh approximation as PyTorch's
        return Expression("keras.activations.gelu({0}, approximate=True)")
    return Construct("layers.Activation", {"activation": "gelu"})


def _softplus(view: LayerView):
    _only(view.cfg, beta=1.0, threshold=20.0)
    return Construct("layers.Activation", {"activation": "softplus"})


def _upsampling_nearest(view: LayerView):
    # PyTorch's UpsamplingNearest2d: Upsample with mode 'nearest' on channels-first data
    cfg = SimpleNamespace(**vars(view.cfg), mode="nearest", data_format="channels_first", align_corners=None)
    return _upsample(LayerView(cfg, view.label, view.ins, view.outs, view.params))


# -- shape-adapting layers (keras.ops; sizes taken from the inference) --------------------


def _axis_of(view: LayerView, axis: int, index: int = 0) -> int:
    rank = len(view.ins[index])
    return axis + rank if axis < 0 else axis


def _pad_width(view: LayerView, amounts: dict) -> str:
    """ops.pad's [[before, after], …] for every axis, from {axis: (before, after)}."""
    rank = len(view.ins[0])
    return "[" + ", ".join(f"[{amounts.get(a, (0, 0))[0]}, {amounts.get(a, (0, 0))[1]}]" for a in range(rank)) + "]"


def _pad_to_multiple(view: LayerView):
    from ..layers.adapt import pad_amounts

    x = tuple(view.int(d, "padded size") for d in view.ins[0])
    amounts = {axis: (before, after) for axis, before, after in pad_amounts(view.cfg, x)}
    value = f", constant_values={view.cfg.value!r}" if view.cfg.value else ""
    return Expression(f"ops.pad({{0}}, {_pad_width(view, amounts)}{value})")


def _pad(view: LayerView):
    cfg = view.cfg
    if cfg.mode not in ("constant", "reflect"):
        raise Refusal(f"keras.ops.pad's {cfg.mode} padding differs between Keras' backends", "mode")
    if any(amount < 0 for amount in cfg.padding):
        raise Refusal("keras.ops.pad cannot crop (a negative amount); use Cropping or Crop", "padding")
    rank = len(view.ins[0])
    amounts = {rank - 1 - i: (cfg.padding[2 * i], cfg.padding[2 * i + 1]) for i in range(len(cfg.padding) // 2)}
    mode = "" if cfg.mode == "constant" else ", mode='reflect'"
    value = f", constant_values={cfg.value!r}" if cfg.value and cfg.mode == "constant" else ""
    return Expression(f"ops.pad({{0}}, {_pad_width(view, amounts)}{mode}{value})")


def _cropped(view: LayerView, axes, sizes, align: str) -> Expression:
    items = [":"] * len(view.ins[0])
    for axis, size in zip(axes, sizes):
        a = _axis_of(view, axis)
        n = view.int(view.ins[0][a], "cropped size")
        start = {"start": 0, "center": (n - size) // 2, "end": n - size}[align]
        items[a] = f"{start}:{start + size}"
    return Expression("{0}[" + ", ".join(items) + "]")


def _crop_layer(view: LayerView):
    cfg = view.cfg
    sizes = cfg.size if len(cfg.size) > 1 else cfg.size * len(cfg.axes)
    return _cropped(view, cfg.axes, sizes, cfg.align)


def _crop_to(view: LayerView):
    cfg = view.cfg
    sizes = [view.int(view.ins[1][_axis_of(view, a, 1)], "reference size") for a in cfg.axes]
    return _cropped(view, cfg.axes, sizes, cfg.align)


def _roll(view: LayerView):
    cfg = view.cfg
    if cfg.dims is None:
        return Expression(f"ops.roll({{0}}, {cfg.shifts[0]})")
    return Expression(f"ops.roll({{0}}, {tuple(cfg.shifts)}, axis={tuple(cfg.dims)})")


def _channel_shuffle(view: LayerView):
    # (N, C, *S) → (N, g, C/g, *S) → swap the group axes → (N, C, *S)
    x = view.ins[0]
    groups = view.cfg.groups
    channels = view.int(x[1], "channels")
    spatial = tuple(view.int(d, "spatial size") for d in x[2:])
    grouped = (-1, groups, channels // groups, *spatial)
    return Expression(f"ops.reshape(ops.swapaxes(ops.reshape({{0}}, {grouped}), 1, 2), {(-1, channels, *spatial)})")


def _cut_points(sizes) -> list[int]:
    points, total = [], 0
    for size in sizes[:-1]:
        total += size
        points.append(total)
    return points


def _pieces(view: LayerView):
    cfg = view.cfg
    axis = _axis_of(view, cfg.dim)
    sizes = [view.int(shape[axis], "piece size") for shape in view.outs]
    unpack = ", ".join(f"{{{i}}}" for i in range(len(sizes))) + ("," if len(sizes) == 1 else "")
    return Expression(f"ops.split({{0}}, {_cut_points(sizes)}, axis={cfg.dim})", unpack=unpack)


def _reduce(view: LayerView):
    cfg = view.cfg
    rank = len(view.ins[0])
    if rank == 0:
        return Expression("{0}")
    axes = tuple(_axis_of(view, a) for a in cfg.axes) if cfg.axes else tuple(range(rank))
    keep = ", keepdims=True" if cfg.keepdims else ""
    return Expression(f"ops.{cfg.op}({{0}}, axis={axes}{keep})")


def _expand(view: LayerView):
    shape = tuple(view.int(d, "expanded size") for d in view.outs[0])
    return Expression(f"ops.broadcast_to({{0}}, {shape})")


def _tile(view: LayerView):
    return Expression(f"ops.tile({{0}}, {list(view.cfg.repeats)})")


TABLE.update(
    {
        "GELU": _gelu,
        "Softplus": _softplus,
        "Softmax2d": lambda v: Construct("layers.Softmax", {"axis": -3}),
        "UpsamplingNearest2d": _upsampling_nearest,
        "PadToMultiple": _pad_to_multiple,
        "Pad": _pad,
        "Crop": _crop_layer,
        "CropTo": _crop_to,
        "Roll": _roll,
        "ChannelShuffle": _channel_shuffle,
        "IndexSelect": lambda v: Expression(f"ops.take({{0}}, ops.cast({{1}}, 'int32'), axis={v.cfg.dim})"),
        "Split": _pieces,
        "Chunk": _pieces,
        "Stack": lambda v: Expression(f"ops.stack([{{args}}], axis={v.cfg.axis})"),
        "Reduce": _reduce,
        "Einsum": lambda v: Expression(f"ops.einsum({v.cfg.equation!r}, {{args}})"),
        "Expand": _expand,
        "Tile": _tile,
        "Repeat": _tile,
    }
)
