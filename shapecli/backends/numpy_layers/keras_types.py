"""Keras' preprocessing layers, wrappers, Dot, attention without projections, EinsumDense and
ConvLSTM, computed as Keras 3.15 does on its torch backend (inference mode)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...shape_math import window_padding
from .activation import ACTIVATION_WORDS, activate, softmax
from .common import F32, Refusal, add_bias, channels_first, pad_axes, spatial_axes
from .conv import _keras_to_torch_kernel, convolve
from .resample import _resize_axis

EPSILON = 1e-7
"""keras.backend.epsilon()."""


def rescaling(cfg, xs, p):
    return xs[0] * F32(cfg.scale) + F32(cfg.offset)


def normalization(cfg, xs, p):
    (x,) = xs
    kept = sorted(a % x.ndim for a in cfg.axis)
    broadcast = [x.shape[a] if a in kept else 1 for a in range(x.ndim)]
    if cfg.mean is None:
        mean, variance = p["mean"].reshape(broadcast), p["variance"].reshape(broadcast)
    else:
        expanded = [1] * x.ndim
        for i, size in enumerate(reversed(cfg.mean.shape)):  # right-aligned onto the kept axes
            expanded[kept[-1 - i]] = size
        mean, variance = (
            np.broadcast_to(np.array(a.values, F32).reshape(expanded), broadcast) for a in (cfg.mean, cfg.variance)
        )
    deviation = np.maximum(np.sqrt(variance), F32(EPSILON))
    return (mean + x * deviation) if cfg.invert else (x - mean) / deviation


def _aspect_crop(height, width, target_height, target_width):
    """(top, left, height, width) of Keras' crop to the target's aspect ratio (smart_resize)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width


_MODES = {"bilinear": "bilinear", "bicubic": "bicubic", "nearest": "nearest-exact"}
"""Keras' interpolations on its torch backend → PyTorch's interpolate modes."""


def _resize_images(x, cfg, height, width, interpolation, crop=False, pad=False, fill=0.0, antialias=False):
    """Keras' image.resize on the torch backend: rank 3 or 4, in cfg.data_format."""
    if interpolation not in _MODES:
        raise Refusal(f"Keras' torch backend has no {interpolation} interpolation")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    last = cfg.data_format == "channels_last"
    if last:
        x = np.moveaxis(x, -1, 1)
    h, w = x.shape[2:]
    if crop:
        top, left, ch, cw = _aspect_crop(h, w, height, width)
        x = x[:, :, top : top + ch, left : left + cw]
    elif pad:
        ph = max(h, int(float(w * height) / width))
        pw = max(w, int(float(h * width) / height))
        top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
        x = pad_axes(x, [(top, top), (left, left)], (2, 3), "constant", fill)
    mode = _MODES[interpolation]
    if antialias and mode != "nearest-exact" and (height < x.shape[2] or width < x.shape[3]):
        raise Refusal("antialiased downscaling is not implemented here")
    for axis, out in ((2, height), (3, width)):
        x = _resize_axis(x, axis, out, mode, False, None)
    if last:
        x = np.moveaxis(x, 1, -1)
    return (x[0] if unbatched else x).astype(F32)


def resizing(cfg, xs, p):
    return _resize_images(
        xs[0],
        cfg,
        cfg.height,
        cfg.width,
        cfg.interpolation,
        cfg.crop_to_aspect_ratio,
        cfg.pad_to_aspect_ratio,
        cfg.fill_value,
        cfg.antialias,
    )


def center_crop(cfg, xs, p):
    (x,) = xs
    first = x.ndim - 3 if cfg.data_format == "channels_last" else x.ndim - 2
    h, w = x.shape[first], x.shape[first + 1]
    if h >= cfg.height and w >= cfg.width:
        top, left = (h - cfg.height) // 2, (w - cfg.width) // 2
        index = [slice(None)] * x.ndim
        index[first], index[first + 1] = slice(top, top + cfg.height), slice(left, left + cfg.width)
        return x[tuple(index)]
    return _resize_images(x, cfg, cfg.height, cfg.width, "bilinear", crop=True)  # Keras' smart_resize


def repeat_vector(cfg, xs, p):
    return np.repeat(xs[0][:, None, :], cfg.n, axis=1)


def masking(cfg, xs, p):
    (x,) = xs
    return x * np.any(x != F32(cfg.mask_value), axis=-1, keepdims=True).astype(F32)


def _l2_normalize(x, axis):
    # Keras' normalize (order 2): x * min(rsqrt(sum(x²)), 1/epsilon)
    square_sum = np.sum(x * x, axis=axis, keepdims=True, dtype=F32)
    with np.errstate(divide="ignore"):
        inverse = np.minimum(F32(1) / np.sqrt(square_sum), F32(1.0 / EPSILON))
    return x * inverse


def dot(cfg, xs, p):
    a, b = xs
    i, j = (axis % x.ndim if axis < 0 else axis for axis, x in zip(cfg.axes, (a, b)))
    if cfg.normalize:
        a, b = _l2_normalize(a, i), _l2_normalize(b, j)
    # batch_dot: a's axis i against b's axis j, sample by sample
    left = np.moveaxis(a, i, -1).reshape(a.shape[0], -1, a.shape[i])
    right = np.moveaxis(b, j, 1).reshape(b.shape[0], b.shape[j], -1)
    out = np.matmul(left, right)
    shape = (*a.shape[:i], *a.shape[i + 1 :], *b.shape[1:j], *b.shape[j + 1 :])
    return out.reshape(shape if len(shape) > 1 else (*shape, 1))


def plain_attention(additive: bool):
    def attention(cfg, xs, p):
        query, value = xs[0], xs[1]
        key = xs[2] if len(xs) > 2 else value
        if not additive and cfg.score_mode == "dot":
            scores = np.matmul(query, np.swapaxes(key, -2, -1))
            if cfg.use_scale:
                scores = scores * p["scale"]
        else:
            total = np.expand_dims(query, -2) + np.expand_dims(key, -3)
            if additive:
                scale = p["scale"] if cfg.use_scale else F32(1)
                scores = np.sum(scale * np.tanh(total), axis=-1, dtype=F32)
            else:
                inner = p["scale"] * total if cfg.use_scale else total
                scores = p["concat_score_weight"] * np.sum(np.tanh(inner), axis=-1, dtype=F32)
        if cfg.use_causal_mask:
            tq, tv = scores.shape[-2:]
            causal = np.arange(tq)[:, None] >= np.arange(tv)[None, :]
            scores = np.where(causal[None], scores, scores - F32(1e9))
        weights = softmax(scores.astype(F32), -1)
        output = np.matmul(weights, value)
        return [output, weights] if cfg.return_attention_scores else output

    return attention


def einsum_dense(cfg, xs, p):
    y = np.einsum(str(cfg.equation).replace(" ", ""), xs[0], p["kernel"], dtype=F32)
    if "bias" in p:
        y = y + p["bias"]
    return activate(y, cfg.activation, cfg.convention)


def conv_lstm(rank: int):
    def run(cfg, xs, p):
        (x,) = xs
        if cfg.go_backwards:
            x = x[:, ::-1]
        cell = "conv_lstm_cell."
        kernel = _keras_to_torch_kernel(p[cell + "kernel"], rank)
        recurrent = _keras_to_torch_kernel(p[cell + "recurrent_kernel"], rank)
        bias = p.get(cell + "bias")
        act, gate = ACTIVATION_WORDS[cfg.activation], ACTIVATION_WORDS[cfg.recurrent_activation]
        step_cfg = SimpleNamespace(data_format=cfg.data_format)
        outputs, h, c = [], None, None
        for t in range(x.shape[1]):
            step, restore = channels_first(step_cfg, x[:, t], rank)
            pads = window_padding(cfg.padding, list(step.shape[2:]), cfg.kernel_size, cfg.strides, cfg.dilation)
            gates_x = add_bias(
                convolve(pad_axes(step, pads, spatial_axes(step, rank)), kernel, cfg.strides, cfg.dilation, 1), bias
            )
            if h is None:
                h = np.zeros((x.shape[0], cfg.filters, *gates_x.shape[2:]), F32)
                c = np.zeros_like(h)
            same = window_padding("same", list(h.shape[2:]), cfg.kernel_size, (1,) * rank, (1,) * rank)
            gates = gates_x + convolve(pad_axes(h, same, spatial_axes(h, rank)), recurrent, (1,) * rank, (1,) * rank, 1)
            i, f, g, o = np.split(gates, 4, axis=1)
            c = gate(f, "keras") * c + gate(i, "keras") * act(g, "keras")
            h = gate(o, "keras") * act(c, "keras")
            outputs.append(restore(h))
        state_h, state_c = restore(h), restore(c)
        output = np.stack(outputs, axis=1) if cfg.return_sequences else state_h
        return [output, state_h, state_c] if cfg.return_state else output

    return run


def _inner_params(p: dict, prefix: str) -> dict:
    start = prefix + "."
    return {k.removeprefix(start): v for k, v in p.items() if k.startswith(start)}


def time_distributed(layers: dict):
    def run(cfg, xs, p):
        (x,) = xs
        spec = cfg.layer
        inner = spec.config(cfg.convention)
        params = _inner_params(p, spec.name) if cfg.convention == "keras" else p
        folded = x.reshape(x.shape[0] * x.shape[1], *x.shape[2:])
        y = layers[spec.cls.type_name](inner, [folded], params)
        return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])

    return run


def bidirectional(layers: dict):
    def run(cfg, xs, p):
        spec = cfg.layer
        inner = spec.config(cfg.convention)
        forward = layers[spec.cls.type_name](inner, xs, _inner_params(p, f"forward_{spec.name}"))
        backwards = SimpleNamespace(**{**vars(inner), "go_backwards": True})
        backward = layers[spec.cls.type_name](backwards, xs, _inner_params(p, f"backward_{spec.name}"))
        forward = forward if isinstance(forward, list) else [forward]
        backward = backward if isinstance(backward, list) else [backward]
        y, y_rev = forward[0], backward[0]
        if inner.return_sequences:
            y_rev = y_rev[:, ::-1]
        states = forward[1:] + backward[1:]
        merged = {
            "concat": lambda: [np.concatenate([y, y_rev], axis=-1)],
            "sum": lambda: [y + y_rev],
            "ave": lambda: [(y + y_rev) / F32(2)],
            "mul": lambda: [y * y_rev],
            None: lambda: [y, y_rev],
        }[cfg.merge_mode]()
        outs = merged + states
        return outs if len(outs) > 1 else outs[0]

    return run
