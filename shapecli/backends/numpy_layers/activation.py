"""Activations: the math, the `activation:` words with each convention's default arguments, PReLU and GLU."""

from __future__ import annotations

import math

import numpy as np

from .common import F32, Refusal

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    # PyTorch Softplus(beta=1, threshold=20): x where x > 20
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))


def erfc(x):
    """Complementary error function with a relative error below 1.2e-7 (Numerical Recipes' erfcc), in float64."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))
                )
            )
        )
    )
    value = t * np.exp(-z * z + poly)
    return np.where(x >= 0, value, 2.0 - value)


def gelu(x):
    # x * Φ(x), Φ(x) = erfc(-x/√2)/2 (the exact form; PyTorch's and Keras' default)
    wide = x.astype(np.float64)
    return (wide * 0.5 * erfc(-wide / math.sqrt(2.0))).astype(F32)


def softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def celu(x, alpha=1.0):
    return np.maximum(x, 0.0) + np.minimum(0.0, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def hard_sigmoid(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def leaky_relu(x, slope):
    return np.where(x > 0, x, x * slope)


def softshrink(x, lambd=0.5):
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0)).astype(F32)


def hardshrink(x, lambd=0.5):
    return np.where(np.abs(x) > lambd, x, 0.0).astype(F32)


def sparsemax(x, axis=-1):
    """Keras' sparsemax: the projection onto the simplex, max(x - tau, 0) along `axis`."""
    ordered = -np.sort(-x, axis=axis)
    cumulative = np.cumsum(ordered, axis=axis, dtype=F32)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = np.arange(1, x.shape[axis] + 1, dtype=F32).reshape(shape)
    support = ordered - (cumulative - 1.0) / r > 0
    k = support.sum(axis=axis, keepdims=True).astype(F32)
    tau = (np.where(support, cumulative, 0.0).sum(axis=axis, keepdims=True, dtype=F32) - 1.0) / k
    return np.maximum(x - tau, 0.0).astype(F32)


def keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """keras.activations.relu with its three arguments."""
    if negative_slope and max_value is None and not threshold:
        return leaky_relu(x, negative_slope)
    below = np.maximum(threshold - x, 0.0) if negative_slope else None
    y = np.where(x > threshold, x, 0.0) if threshold else np.maximum(x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    if negative_slope:
        y = y - negative_slope * below
    return y.astype(F32)


def _threshold_word(x, convention):
    raise Refusal("the activation 'threshold' needs its threshold and value: use a Threshold layer")


ACTIVATION_WORDS = {
    "linear": lambda x, c: x,
    "relu": lambda x, c: np.maximum(x, 0.0),
    "relu6": lambda x, c: np.clip(x, 0.0, 6.0),
    # keras.activations.leaky_relu's slope is 0.2; torch.nn.functional.leaky_relu's 0.01
    "leaky_relu": lambda x, c: leaky_relu(x, 0.2 if c == "keras" else 0.01),
    "elu": lambda x, c: elu(x),
    "selu": lambda x, c: SELU_SCALE * elu(x, SELU_ALPHA),
    "gelu": lambda x, c: gelu(x),
    "silu": lambda x, c: x * sigmoid(x),
    "swish": lambda x, c: x * sigmoid(x),
    "mish": lambda x, c: x * np.tanh(softplus(x)),
    "sigmoid": lambda x, c: sigmoid(x),
    "hard_sigmoid": lambda x, c: hard_sigmoid(x),
    "hard_swish": lambda x, c: x * hard_sigmoid(x),
    "tanh": lambda x, c: np.tanh(x),
    "softplus": lambda x, c: softplus(x),
    "softsign": lambda x, c: x / (1.0 + np.abs(x)),
    "softmax": lambda x, c: softmax(x, -1),
    "log_softmax": lambda x, c: log_softmax(x, -1),
    "softmin": lambda x, c: softmax(-x, -1),
    "log_sigmoid": lambda x, c: np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x))),
    "celu": lambda x, c: celu(x),
    "tanhshrink": lambda x, c: x - np.tanh(x),
    "softshrink": lambda x, c: softshrink(x),
    "hardshrink": lambda x, c: hardshrink(x),
    "hard_tanh": lambda x, c: np.clip(x, -1.0, 1.0),
    "threshold": _threshold_word,
    "exponential": lambda x, c: np.exp(x),
    # keras.activations without a layer type (keras/src/backend/torch/nn.py)
    "sparse_plus": lambda x, c: np.where(x <= -1, 0.0, np.where(x < 1, 0.25 * (x + 1.0) ** 2, x)).astype(F32),
    "sparse_sigmoid": lambda x, c: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1.0))).astype(F32),
    "squareplus": lambda x, c: (x + np.sqrt(x * x + 4.0)) / 2.0,
    "sparsemax": lambda x, c: sparsemax(x, -1),
}
"""The `activation:` words of Dense, convolutions and Activation, with the convention's default arguments."""


def activate(x, word, convention):
    """x through the activation called `word` (None: unchanged)."""
    return x if word is None else ACTIVATION_WORDS[word](x, convention)


def word_layer(word):
    return lambda cfg, xs, p: ACTIVATION_WORDS[word](xs[0], cfg.convention)


def prelu(cfg, xs, p):
    (x,) = xs
    if cfg.convention == "keras":
        alpha = p["alpha"]
    else:
        weight = p["alpha" if cfg.convention == "mxnet" else "weight"]
        alpha = weight.reshape((-1,) + (1,) * (x.ndim - 2)) if weight.size > 1 else weight.reshape(())
    return np.where(x >= 0, x, alpha * x)


def glu(cfg, xs, p):
    a, b = np.split(xs[0], 2, axis=cfg.axis)
    return a * sigmoid(b)


def activation_layer(cfg, xs, p):
    return activate(xs[0], cfg.activation, cfg.convention)


def gelu_tanh(x):
    # PyTorch's approximate='tanh' (and Keras' approximate=True): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    return F32(0.5) * x * (F32(1.0) + np.tanh(F32(math.sqrt(2.0 / math.pi)) * (x + F32(0.044715) * x * x * x)))


def gelu_layer(cfg, xs, p):
    return gelu_tanh(xs[0]) if cfg.approximate == "tanh" else gelu(xs[0])


def softplus_layer(cfg, xs, p):
    # log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold
    x, beta = xs[0], F32(cfg.beta)
    scaled = x * beta
    return np.where(scaled > cfg.threshold, x, np.log1p(np.exp(np.minimum(scaled, F32(cfg.threshold)))) / beta)


def rrelu(cfg, xs, p):
    # inference: a leaky ReLU with the mean slope (lower + upper) / 2
    return leaky_relu(xs[0], F32((cfg.lower + cfg.upper) / 2))
