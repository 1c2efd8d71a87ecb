"""The Keras bridge: Keras layer class (as saved in config.json) → shapecli layer type and arguments.

`LAYERS` maps a class name to a `LayerRule`: the layer type and a function
that reads the saved config into the arguments a keras-convention spec writes
(Keras' own names; values equal to the layer type's default left out). A
setting the type cannot express must have Keras' default, else the function
raises `Refused`. `REFUSED` lists the classes with no layer type, with the
reason. Nothing here imports Keras.
"""

from __future__ import annotations

from collections.abc import Callable

from ..records import NamedTuple
from ..registry import canonical_arg, lookup


class Refused(Exception):
    """The layer's configuration has no equivalent in the layer type; the message says what."""


class LayerRule(NamedTuple):
    """How a Keras layer class becomes a layer: the type, and its arguments from the saved config."""

    layer: str
    args: Callable[[dict], dict]


def _keep(layer: str, config: dict, *keys: str, rename: dict | None = None) -> dict:
    """The config's `keys` that differ from the layer type's default (keras convention)."""
    cls = lookup(layer)
    args = {}
    for key in keys:
        if key not in config:
            continue
        value = _plain(config[key])
        spec_key = (rename or {}).get(key, key)
        canonical = canonical_arg(cls, spec_key)
        if canonical is None:
            if value in (None, False, 0, 1):
                continue
            raise Refused(f"{key}={value!r} (the layer type has no {key})")
        default = cls.args[canonical].default
        if hasattr(default, "pick"):
            default = default.pick("keras")
        if isinstance(default, tuple):
            default = list(default)
        if value != default and not _same_ints(value, default):
            args[spec_key] = value
    return args


def _plain(value):
    """Keras' tuples-as-lists, with a list of equal ints written as one int."""
    if isinstance(value, (list, tuple)):
        values = [_plain(v) for v in value]
        if values and all(type(v) is int for v in values) and len(set(values)) == 1:
            return values[0]
        return values
    return value


def _same_ints(value, default) -> bool:
    return type(value) is int and isinstance(default, list) and set(default) == {value}


def _require(config: dict, key: str, default, why: str = "") -> None:
    value = config.get(key, default)
    if value != default and not (default is None and value in (None, False)):
        raise Refused(f"{key}={value!r} (only {default!r}{': ' + why if why else ''})")


def _activation(config: dict, key: str = "activation") -> str | None:
    value = config.get(key)
    if value is None or value == "linear":
        return None
    if not isinstance(value, str):
        raise Refused(f"{key} is a custom function ({_describe(value)}); the layer types take an activation's name")
    from ..layers.activation import ACTIVATION_NAMES

    if value not in ACTIVATION_NAMES:
        raise Refused(f"{key}='{value}' is not an activation the layer types know")
    return value


def _describe(value) -> str:
    if isinstance(value, dict):
        return str(value.get("class_name") or value.get("config", {}).get("name") or "a serialized object")
    return repr(value)


def _with_activation(args: dict, config: dict) -> dict:
    activation = _activation(config)
    if activation:
        args["activation"] = activation
    return args


def _dense(config: dict) -> dict:
    if config.get("lora_rank"):
        raise Refused(f"lora_rank={config['lora_rank']} (the layer type has no LoRA weights)")
    return _with_activation(_keep("Dense", config, "units", "use_bias"), config)


def _conv(layer: str) -> Callable[[dict], dict]:
    def args(config: dict) -> dict:
        if config.get("padding") == "causal":
            raise Refused("padding='causal' (the layer type pads 'valid' or 'same')")
        if config.get("lora_rank"):
            raise Refused(f"lora_rank={config['lora_rank']} (the layer type has no LoRA weights)")
        keys = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "use_bias")
        keys += ("output_padding", "depth_multiplier")
        return _with_activation(_keep(layer, config, *keys), config)

    return args


def _pool(layer: str) -> Callable[[dict], dict]:
    def args(config: dict) -> dict:
        result = {"pool_size": _plain(config.get("pool_size", 2))}
        strides = config.get("strides")
        if strides is not None and _plain(strides) != result["pool_size"]:
            result["strides"] = _plain(strides)
        return result | _keep(layer, config, "padding", "data_format")

    return args


def _global_pool(layer: str) -> Callable[[dict], dict]:
    return lambda config: _keep(layer, config, "data_format", "keepdims")


def _batch_norm(config: dict) -> dict:
    _require(config, "renorm", False, "no batch renormalization")
    _require(config, "synchronized", False)
    return _keep("BatchNormalization", config, "axis", "momentum", "epsilon", "center", "scale")


def _layer_norm(config: dict) -> dict:
    _require(config, "rms_scaling", False, "that is RMSNormalization")
    return _keep("LayerNormalization", config, "axis", "epsilon", "center", "scale")


def _group_norm(config: dict) -> dict:
    return {"groups": config["groups"]} | _keep("GroupNormalization", config, "axis", "epsilon", "center", "scale")


def _rms_norm(config: dict) -> dict:
    return _keep("RMSNormalization", config, "axis", "epsilon")


def _embedding(config: dict) -> dict:
    if config.get("lora_rank"):
        raise Refused(f"lora_rank={config['lora_rank']} (the layer type has no LoRA weights)")
    return {"input_dim": config["input_dim"], "output_dim": config["output_dim"]} | _keep(
        "Embedding", config, "mask_zero"
    )


def _recurrent(layer: str) -> Callable[[dict], dict]:
    def args(config: dict) -> dict:
        _require(config, "stateful", False, "a stateful layer keeps state between batches")
        _require(config, "recurrent_dropout", 0.0, "the layer type has no recurrent dropout")
        default_gate = "sigmoid" if layer != "SimpleRNN" else None
        if layer != "SimpleRNN":
            _require(config, "recurrent_activation", default_gate, "the layer type has no recurrent_activation")
        keys = ("units", "use_bias", "return_sequences", "return_state", "go_backwards", "dropout", "reset_after")
        result = {"units": config["units"]} | _keep(layer, config, *keys[1:])
        activation = config.get("activation", "tanh")
        if activation != "tanh":
            if activation not in ("relu", "sigmoid", "linear"):
                raise Refused(f"activation={activation!r} (the layer type takes tanh, relu, sigmoid or linear)")
            result["activation"] = activation
        return result

    return args


def _bidirectional(config: dict) -> dict:
    if config.get("merge_mode", "concat") != "concat":
        raise Refused(f"merge_mode={config.get('merge_mode')!r} (only 'concat')")
    inner = config.get("layer") or {}
    name = inner.get("class_name")
    if name not in ("LSTM", "GRU", "SimpleRNN"):
        raise Refused(f"wraps {name} (only LSTM, GRU and SimpleRNN)")
    forward = _recurrent(name)(inner.get("config") or {})
    backward = config.get("backward_layer")
    if backward is not None:
        mirrored = _recurrent(name)(backward.get("config") or {}) if backward.get("class_name") == name else None
        if mirrored is None or {**mirrored, "go_backwards": False} != {**forward, "go_backwards": False}:
            raise Refused(
                "has a backward_layer unlike its forward layer (the layer type runs the same layer backwards)"
            )
        forward.pop("go_backwards", None)
    return forward | {"bidirectional": True}


def bidirectional_type(config: dict) -> str:
    """The layer type of a Bidirectional wrapper: its inner layer's."""
    return (config.get("layer") or {}).get("class_name", "LSTM")


def _attention(config: dict) -> dict:
    if config.get("attention_axes") not in (None, [], [1], [-2]):
        raise Refused(f"attention_axes={config['attention_axes']} (the layer type attends over the sequence axis)")
    result = {"num_heads": config["num_heads"], "key_dim": config["key_dim"]}
    return result | _keep("MultiHeadAttention", config, "value_dim", "dropout", "use_bias", "output_shape")


def _rate(layer: str) -> Callable[[dict], dict]:
    return lambda config: _keep(layer, config, "rate")


def _noise(config: dict) -> dict:
    return _keep("GaussianNoise", config, "stddev")


def _flatten(config: dict) -> dict:
    if config.get("data_format") == "channels_first":
        raise Refused("data_format='channels_first' (it reorders the features before flattening; Flatten does not)")
    return {}


def _reshape(config: dict) -> dict:
    return {"target_shape": list(config["target_shape"])}


def _permute(config: dict) -> dict:
    return {"dims": list(config["dims"])}


def _activation_layer(config: dict) -> dict:
    name = _activation(config)
    return {"activation": name or "linear"}


def _relu(config: dict) -> dict:
    _require(config, "threshold", 0.0, "the layer type has no threshold")
    _require(config, "negative_slope", 0.0, "write LeakyReLU")
    if config.get("max_value") not in (None, 6, 6.0):
        raise Refused(f"max_value={config['max_value']} (only none, or 6 for ReLU6)")
    return {}


def relu_type(config: dict) -> str:
    """ReLU with max_value 6 is ReLU6."""
    return "ReLU6" if config.get("max_value") in (6, 6.0) else "ReLU"


def _leaky_relu(config: dict) -> dict:
    slope = config.get("negative_slope", config.get("alpha", 0.3))
    return {"negative_slope": slope}


def _elu(config: dict) -> dict:
    return _keep("ELU", config, "alpha")


def _prelu(config: dict) -> dict:
    return _keep("PReLU", config, "shared_axes")


def _softmax(config: dict) -> dict:
    return _keep("Softmax", config, "axis")


def _no_args(config: dict) -> dict:
    return {}


def _concatenate(config: dict) -> dict:
    return {"axis": config.get("axis", -1)}


def _padding(layer: str, key: str) -> Callable[[dict], dict]:
    return lambda config: {key: _plain(config[key])} | _keep(layer, config, "data_format")


def _upsampling(layer: str) -> Callable[[dict], dict]:
    def args(config: dict) -> dict:
        _require(config, "interpolation", "nearest", "the layer type repeats pixels")
        return _keep(layer, config, "size", "data_format")

    return args


LAYERS: dict[str, LayerRule] = {
    "Dense": LayerRule("Dense", _dense),
    "Conv1D": LayerRule("Conv1D", _conv("Conv1D")),
    "Conv2D": LayerRule("Conv2D", _conv("Conv2D")),
    "Conv3D": LayerRule("Conv3D", _conv("Conv3D")),
    "Conv1DTranspose": LayerRule("Conv1DTranspose", _conv("Conv1DTranspose")),
    "Conv2DTranspose": LayerRule("Conv2DTranspose", _conv("Conv2DTranspose")),
    "Conv3DTranspose": LayerRule("Conv3DTranspose", _conv("Conv3DTranspose")),
    "DepthwiseConv1D": LayerRule("DepthwiseConv1D", _conv("DepthwiseConv1D")),
    "DepthwiseConv2D": LayerRule("DepthwiseConv2D", _conv("DepthwiseConv2D")),
    "SeparableConv1D": LayerRule("SeparableConv1D", _conv("SeparableConv1D")),
    "SeparableConv2D": LayerRule("SeparableConv2D", _conv("SeparableConv2D")),
    "MaxPooling1D": LayerRule("MaxPooling1D", _pool("MaxPooling1D")),
    "MaxPooling2D": LayerRule("MaxPooling2D", _pool("MaxPooling2D")),
    "MaxPooling3D": LayerRule("MaxPooling3D", _pool("MaxPooling3D")),
    "AveragePooling1D": LayerRule("AveragePooling1D", _pool("AveragePooling1D")),
    "AveragePooling2D": LayerRule("AveragePooling2D", _pool("AveragePooling2D")),
    "AveragePooling3D": LayerRule("AveragePooling3D", _pool("AveragePooling3D")),
    "GlobalAveragePooling1D": LayerRule("GlobalAveragePooling1D", _global_pool("GlobalAveragePooling1D")),
    "GlobalAveragePooling2D": LayerRule("GlobalAveragePooling2D", _global_pool("GlobalAveragePooling2D")),
    "GlobalAveragePooling3D": LayerRule("GlobalAveragePooling3D", _global_pool("GlobalAveragePooling3D")),
    "GlobalMaxPooling1D": LayerRule("GlobalMaxPooling1D", _global_pool("GlobalMaxPooling1D")),
    "GlobalMaxPooling2D": LayerRule("GlobalMaxPooling2D", _global_pool("GlobalMaxPooling2D")),
    "GlobalMaxPooling3D": LayerRule("GlobalMaxPooling3D", _global_pool("GlobalMaxPooling3D")),
    "BatchNormalization": LayerRule("BatchNormalization", _batch_norm),
    "LayerNormalization": LayerRule("LayerNormalization", _layer_norm),
    "GroupNormalization": LayerRule("GroupNormalization", _group_norm),
    "RMSNormalization": LayerRule("RMSNormalization", _rms_norm),
    "Embedding": LayerRule("Embedding", _embedding),
    "LSTM": LayerRule("LSTM", _recurrent("LSTM")),
    "GRU": LayerRule("GRU", _recurrent("GRU")),
    "SimpleRNN": LayerRule("SimpleRNN", _recurrent("SimpleRNN")),
    "Bidirectional": LayerRule("LSTM", _bidirectional),
    "MultiHeadAttention": LayerRule("MultiHeadAttention", _attention),
    "Dropout": LayerRule("Dropout", _rate("Dropout")),
    "SpatialDropout1D": LayerRule("SpatialDropout1D", _rate("SpatialDropout1D")),
    "SpatialDropout2D": LayerRule("SpatialDropout2D", _rate("SpatialDropout2D")),
    "SpatialDropout3D": LayerRule("SpatialDropout3D", _rate("SpatialDropout3D")),
    "GaussianDropout": LayerRule("GaussianDropout", _rate("GaussianDropout")),
    "AlphaDropout": LayerRule("AlphaDropout", _rate("AlphaDropout")),
    "GaussianNoise": LayerRule("GaussianNoise", _noise),
    "Flatten": LayerRule("Flatten", _flatten),
    "Reshape": LayerRule("Reshape", _reshape),
    "Permute": LayerRule("Permute", _permute),
    "Activation": LayerRule("Activation", _activation_layer),
    "ReLU": LayerRule("ReLU", _relu),
    "LeakyReLU": LayerRule("LeakyReLU", _leaky_relu),
    "ELU": LayerRule("ELU", _elu),
    "PReLU": LayerRule("PReLU", _prelu),
    "Softmax": LayerRule("Softmax", _softmax),
    "Identity": LayerRule("Identity", _no_args),
    "Add": LayerRule("Add", _no_args),
    "Subtract": LayerRule("Subtract", _no_args),
    "Multiply": LayerRule("Multiply", _no_args),
    "Average": LayerRule("Average", _no_args),
    "Maximum": LayerRule("Maximum", _no_args),
    "Minimum": LayerRule("Minimum", _no_args),
    "Concatenate": LayerRule("Concatenate", _concatenate),
    "ZeroPadding1D": LayerRule("ZeroPadding1D", _padding("ZeroPadding1D", "padding")),
    "ZeroPadding2D": LayerRule("ZeroPadding2D", _padding("ZeroPadding2D", "padding")),
    "ZeroPadding3D": LayerRule("ZeroPadding3D", _padding("ZeroPadding3D", "padding")),
    "Cropping1D": LayerRule("Cropping1D", _padding("Cropping1D", "cropping")),
    "Cropping2D": LayerRule("Cropping2D", _padding("Cropping2D", "cropping")),
    "Cropping3D": LayerRule("Cropping3D", _padding("Cropping3D", "cropping")),
    "UpSampling1D": LayerRule("UpSampling1D", _upsampling("UpSampling1D")),
    "UpSampling2D": LayerRule("UpSampling2D", _upsampling("UpSampling2D")),
    "UpSampling3D": LayerRule("UpSampling3D", _upsampling("UpSampling3D")),
}
"""Keras class name → how it becomes a layer."""

TYPE_CHOICE: dict[str, Callable[[dict], str]] = {
    "Bidirectional": bidirectional_type,
    "ReLU": relu_type,
}
"""Classes whose layer type depends on the config (the rule's `layer` is then a default)."""

_NO_TYPE = "no shapecli layer type does this yet"
_CODE = "runs arbitrary Python code, which a saved config does not describe"
_PREPROCESSING = "a preprocessing layer; no shapecli layer type does this yet"

REFUSED: dict[str, str] = {
    "Lambda": _CODE,
    "TFOpLambda": _CODE,
    "SlicingOpLambda": _CODE,
    "TimeDistributed": _NO_TYPE + " (applies a layer to every time step)",
    "RepeatVector": _NO_TYPE,
    "Dot": _NO_TYPE + " (a batched dot product of two inputs)",
    "Attention": _NO_TYPE + " (dot-product attention without projections)",
    "AdditiveAttention": _NO_TYPE,
    "ConvLSTM1D": _NO_TYPE,
    "ConvLSTM2D": _NO_TYPE,
    "ConvLSTM3D": _NO_TYPE,
    "LocallyConnected1D": _NO_TYPE,
    "LocallyConnected2D": _NO_TYPE,
    "Masking": _NO_TYPE + " (masks time steps)",
    "ActivityRegularization": _NO_TYPE,
    "UnitNormalization": _NO_TYPE,
    "SpectralNormalization": _NO_TYPE,
    "EinsumDense": _NO_TYPE + " (a dense layer over an einsum equation)",
    "RNN": "a recurrent layer around a custom cell; import LSTM, GRU or SimpleRNN",
    "StackedRNNCells": "a recurrent layer around custom cells; import LSTM, GRU or SimpleRNN",
    "Rescaling": _PREPROCESSING,
    "Normalization": _PREPROCESSING,
    "Resizing": _PREPROCESSING,
    "CenterCrop": _PREPROCESSING,
    "RandomFlip": _PREPROCESSING,
    "RandomRotation": _PREPROCESSING,
    "RandomZoom": _PREPROCESSING,
    "RandomCrop": _PREPROCESSING,
    "RandomTranslation": _PREPROCESSING,
    "RandomContrast": _PREPROCESSING,
    "TextVectorization": _PREPROCESSING,
    "StringLookup": _PREPROCESSING,
    "IntegerLookup": _PREPROCESSING,
    "CategoryEncoding": _PREPROCESSING,
    "Hashing": _PREPROCESSING,
    "Discretization": _PREPROCESSING,
}
"""Keras class name → why it cannot be imported."""

MODELS = ("Functional", "Model", "Sequential")
"""Class names of saved models (a nested one is a layer of its parent)."""
