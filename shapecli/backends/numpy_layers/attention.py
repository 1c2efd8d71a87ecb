"""Attention: PyTorch's MultiheadAttention and transformer layers, Keras' MultiHeadAttention."""

from __future__ import annotations

import math

import numpy as np

from .activation import gelu, softmax
from .common import F32, project
from .norm import normalize


def torch_attention(query, key, value, p, heads, bias_kv, zero_attn, average=True, prefix=""):
    """nn.MultiheadAttention's forward (no masks, no dropout) on (L, N, E) query and (S, N, ·) key/value."""
    e = query.shape[-1]
    if prefix + "in_proj_weight" in p:
        wq, wk, wv = np.split(p[prefix + "in_proj_weight"], 3)
    else:
        wq, wk, wv = (p[prefix + f"{n}_proj_weight"] for n in "qkv")
    bq = bk = bv = None
    if prefix + "in_proj_bias" in p:
        bq, bk, bv = np.split(p[prefix + "in_proj_bias"], 3)
    q, k, v = project(query, wq.T), project(key, wk.T), project(value, wv.T)
    if bq is not None:
        q, k, v = q + bq, k + bk, v + bv
    length, batch = q.shape[:2]
    if bias_kv:
        k = np.concatenate([k, np.broadcast_to(p[prefix + "bias_k"], (1, batch, e))])
        v = np.concatenate([v, np.broadcast_to(p[prefix + "bias_v"], (1, batch, e))])
    if zero_attn:
        k = np.concatenate([k, np.zeros((1, batch, e), F32)])
        v = np.concatenate([v, np.zeros((1, batch, e), F32)])
    head = e // heads
    q = np.ascontiguousarray(q.reshape(length, batch * heads, head).swapaxes(0, 1))
    k = np.ascontiguousarray(k.reshape(k.shape[0], batch * heads, head).swapaxes(0, 1))
    v = np.ascontiguousarray(v.reshape(v.shape[0], batch * heads, head).swapaxes(0, 1))
    weights = softmax((q * math.sqrt(1.0 / head)) @ k.swapaxes(1, 2), -1)
    out = (weights @ v).swapaxes(0, 1).reshape(length, batch, e)
    out = project(out, p[prefix + "out_proj.weight"].T)
    if prefix + "out_proj.bias" in p:
        out = out + p[prefix + "out_proj.bias"]
    weights = weights.reshape(batch, heads, length, k.shape[1])
    return out, (weights.mean(axis=1, dtype=F32) if average else weights)


def attention(cfg, xs, p):
    if cfg.convention == "keras":
        return _keras_attention(cfg, xs, p)
    query = xs[0]
    key = xs[1] if len(xs) > 1 else query
    value = xs[2] if len(xs) > 2 else key
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query[:, None], key[:, None], value[:, None]
    elif cfg.batch_first:
        query, key, value = query.swapaxes(0, 1), key.swapaxes(0, 1), value.swapaxes(0, 1)
    out, weights = torch_attention(
        query, key, value, p, cfg.num_heads, cfg.add_bias_kv, cfg.add_zero_attn, cfg.average_attn_weights
    )
    if unbatched:
        return [out[:, 0], weights[0]]
    return [out.swapaxes(0, 1) if cfg.batch_first else out, weights]


def _keras_attention(cfg, xs, p):
    query, value = xs[0], xs[1] if len(xs) > 1 else xs[0]
    key = xs[2] if len(xs) > 2 else value

    def project(x, name):
        y = np.tensordot(x, p[name + ".kernel"], axes=([-1], [0]))
        return y + p[name + ".bias"] if name + ".bias" in p else y

    batch = query.shape[0]
    q = project(query, "query")  # (B, *T, H, kd)
    k, v = project(key, "key"), project(value, "value")
    t_shape, heads = q.shape[1:-2], cfg.num_heads
    steps = math.prod(t_shape)
    q = q.reshape(batch, steps, heads, q.shape[-1]) * (1.0 / math.sqrt(cfg.key_dim))
    sources = math.prod(k.shape[1:-2])
    k = k.reshape(batch, sources, heads, k.shape[-1])
    v = v.reshape(batch, sources, heads, v.shape[-1])
    scores = softmax(np.einsum("aecd,abcd->acbe", k, q, optimize=True), -1)  # (B, H, T, S)
    out = np.einsum("acbe,aecd->abcd", scores, v, optimize=True)  # (B, T, H, vd)
    out = np.tensordot(out, p["attention_output.kernel"], axes=([-2, -1], [0, 1]))
    if "attention_output.bias" in p:
        out = out + p["attention_output.bias"]
    out = out.reshape(batch, *t_shape, out.shape[-1])
    if cfg.return_attention_scores:
        return [out, scores.reshape(batch, heads, *t_shape, *value.shape[1:-1])]
    return out


def _layer_norm_of(x, p, name, eps):
    y = normalize(x, (x.ndim - 1,), eps) * p[name + ".weight"]
    return y + p[name + ".bias"] if name + ".bias" in p else y


def _feed_forward(cfg, x, p):
    hidden = project(x, p["linear1.weight"].T)
    if "linear1.bias" in p:
        hidden = hidden + p["linear1.bias"]
    hidden = gelu(hidden) if cfg.activation == "gelu" else np.maximum(hidden, 0.0)
    out = project(hidden, p["linear2.weight"].T)
    return out + p["linear2.bias"] if "linear2.bias" in p else out


def _sequence_first(cfg, x):
    if x.ndim == 2:
        return x[:, None]
    return x.swapaxes(0, 1) if cfg.batch_first else x


def _sequence_back(cfg, y, like):
    if like.ndim == 2:
        return y[:, 0]
    return y.swapaxes(0, 1) if cfg.batch_first else y


def encoder_layer(cfg, xs, p):
    x = _sequence_first(cfg, xs[0])
    eps = cfg.layer_norm_eps

    def attend(y):
        return torch_attention(y, y, y, p, cfg.nhead, False, False, prefix="self_attn.")[0]

    if cfg.norm_first:
        x = x + attend(_layer_norm_of(x, p, "norm1", eps))
        x = x + _feed_forward(cfg, _layer_norm_of(x, p, "norm2", eps), p)
    else:
        x = _layer_norm_of(x + attend(x), p, "norm1", eps)
        x = _layer_norm_of(x + _feed_forward(cfg, x, p), p, "norm2", eps)
    return _sequence_back(cfg, x, xs[0])


def decoder_layer(cfg, xs, p):
    x, memory = _sequence_first(cfg, xs[0]), _sequence_first(cfg, xs[1])
    eps = cfg.layer_norm_eps

    def self_attend(y):
        return torch_attention(y, y, y, p, cfg.nhead, False, False, prefix="self_attn.")[0]

    def cross_attend(y):
        return torch_attention(y, memory, memory, p, cfg.nhead, False, False, prefix="multihead_attn.")[0]

    if cfg.norm_first:
        x = x + self_attend(_layer_norm_of(x, p, "norm1", eps))
        x = x + cross_attend(_layer_norm_of(x, p, "norm2", eps))
        x = x + _feed_forward(cfg, _layer_norm_of(x, p, "norm3", eps), p)
    else:
        x = _layer_norm_of(x + self_attend(x), p, "norm1", eps)
        x = _layer_norm_of(x + cross_attend(x), p, "norm2", eps)
        x = _layer_norm_of(x + _feed_forward(cfg, x, p), p, "norm3", eps)
    return _sequence_back(cfg, x, xs[0])


def _under(p, prefix: str) -> dict:
    """The parameters under `prefix`, by their names below it."""
    return {name[len(prefix) :]: value for name, value in p.items() if name.startswith(prefix)}


def _encoder_stack(cfg, x, p, layers: int, norm: bool, prefix: str = ""):
    for i in range(layers):
        x = encoder_layer(cfg, [x], _under(p, f"{prefix}layers.{i}."))
    return _layer_norm_of(x, p, f"{prefix}norm", cfg.layer_norm_eps) if norm else x


def _decoder_stack(cfg, x, memory, p, layers: int, norm: bool, prefix: str = ""):
    for i in range(layers):
        x = decoder_layer(cfg, [x, memory], _under(p, f"{prefix}layers.{i}."))
    return _layer_norm_of(x, p, f"{prefix}norm", cfg.layer_norm_eps) if norm else x


def transformer_encoder(cfg, xs, p):
    return _encoder_stack(cfg, xs[0], p, cfg.num_layers, cfg.norm)


def transformer_decoder(cfg, xs, p):
    return _decoder_stack(cfg, xs[0], xs[1], p, cfg.num_layers, cfg.norm)


def transformer(cfg, xs, p):
    # the encoder on src (with its norm), then the decoder on tgt attending to it (with its norm)
    memory = _encoder_stack(cfg, xs[0], p, cfg.num_encoder_layers, True, "encoder.")
    return _decoder_stack(cfg, xs[1], memory, p, cfg.num_decoder_layers, True, "decoder.")
