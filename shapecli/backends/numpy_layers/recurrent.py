"""Recurrent layers: PyTorch's stacked, bidirectional RNN/LSTM/GRU and Keras' SimpleRNN/LSTM/GRU,
a loop over time steps."""

from __future__ import annotations

import numpy as np

from .activation import sigmoid
from .common import F32, Refusal, project

_TORCH_NONLINEARITY = {None: np.tanh, "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0)}


def _torch_cell(kind, cfg):
    """step(gates_x, h, c, w_hh, b_hh, w_hr) -> (h, c) of PyTorch's RNN/LSTM/GRU cells."""
    if kind == "RNN":
        if cfg.activation not in _TORCH_NONLINEARITY:
            raise Refusal(f"PyTorch's RNN takes nonlinearity tanh or relu, not {cfg.activation}")
        act = _TORCH_NONLINEARITY[cfg.activation]

        def rnn(gx, h, c, w_hh, b_hh, w_hr):
            return act(gx + h @ w_hh.T + b_hh), c

        return rnn
    if kind == "LSTM":

        def lstm(gx, h, c, w_hh, b_hh, w_hr):
            i, f, g, o = np.split(gx + h @ w_hh.T + b_hh, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            return (h if w_hr is None else h @ w_hr.T), c

        return lstm

    def gru(gx, h, c, w_hh, b_hh, w_hr):
        xr, xz, xn = np.split(gx, 3, axis=-1)
        hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
        r, z = sigmoid(xr + hr), sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1.0 - z) * n + z * h, c

    return gru


def _torch_recurrent(kind):
    def recurrent(cfg, xs, p):
        x = xs[0]
        unbatched = x.ndim == 2
        if unbatched:
            x = x[:, None]
        elif cfg.batch_first:
            x = x.swapaxes(0, 1)
        steps, batch = x.shape[:2]
        hidden = cfg.hidden_size
        proj = getattr(cfg, "proj_size", 0)
        h_out = proj or hidden
        directions = 2 if cfg.bidirectional else 1
        step = _torch_cell(kind, cfg)
        names = _torch_names(cfg)
        h_n, c_n = [], []
        layer_input = x
        for layer in range(cfg.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = (p.get(name) for name in names(layer, direction))
                zero = np.zeros(w_ih.shape[0], F32)
                b_ih = zero if b_ih is None else b_ih
                b_hh = zero if b_hh is None else b_hh
                gates_x = project(layer_input, w_ih.T) + b_ih
                h = np.zeros((batch, h_out), F32)
                c = np.zeros((batch, hidden), F32)
                sequence = np.empty((steps, batch, h_out), F32)
                order = range(steps - 1, -1, -1) if direction else range(steps)
                for t in order:
                    h, c = step(gates_x[t], h, c, w_hh, b_hh, w_hr)
                    sequence[t] = h
                outputs.append(sequence)
                h_n.append(h)
                c_n.append(c)
            layer_input = np.concatenate(outputs, axis=-1) if directions == 2 else outputs[0]
        output = layer_input
        h_n, c_n = np.stack(h_n), np.stack(c_n)
        if unbatched:
            output, h_n, c_n = output[:, 0], h_n[:, 0], c_n[:, 0]
        elif cfg.batch_first:
            output = output.swapaxes(0, 1)
        return [output, h_n, c_n] if kind == "LSTM" else [output, h_n]

    return recurrent


def _torch_names(cfg):
    if cfg.convention == "mxnet":

        def mxnet(layer, direction):
            prefix = f"{'r' if direction else 'l'}{layer}_"
            return (
                f"{prefix}i2h_weight",
                f"{prefix}h2h_weight",
                f"{prefix}i2h_bias",
                f"{prefix}h2h_bias",
                f"{prefix}h2r_weight",
            )

        return mxnet

    def torch(layer, direction):
        suffix = f"_l{layer}{'_reverse' if direction else ''}"
        return (
            f"weight_ih{suffix}",
            f"weight_hh{suffix}",
            f"bias_ih{suffix}",
            f"bias_hh{suffix}",
            f"weight_hr{suffix}",
        )

    return torch


_KERAS_ACTIVATION = {
    None: np.tanh,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": sigmoid,
    "linear": lambda x: x,
}


def _keras_run(kind, cfg, x, kernel, recurrent, bias, backwards):
    """One Keras recurrent layer over (N, T, F); returns the sequence in processing order and the states."""
    act = _KERAS_ACTIVATION[cfg.activation]
    units = cfg.hidden_size
    batch, steps = x.shape[:2]
    reset_after = kind == "GRU" and cfg.reset_after
    if bias is None:
        input_bias = recurrent_bias = None
    elif reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None
    gates_x = project(x, kernel)
    if input_bias is not None:
        gates_x = gates_x + input_bias
    h = np.zeros((batch, units), F32)
    c = np.zeros((batch, units), F32)
    sequence = np.empty((batch, steps, units), F32)
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    for position, t in enumerate(order):
        gx = gates_x[:, t]
        if kind == "SimpleRNN":
            h = act(gx + h @ recurrent)
        elif kind == "LSTM":
            i, f, g, o = np.split(gx + h @ recurrent, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * act(g)
            h = sigmoid(o) * act(c)
        else:
            xz, xr, xh = np.split(gx, 3, axis=-1)
            if reset_after:
                inner = h @ recurrent
                if recurrent_bias is not None:
                    inner = inner + recurrent_bias
                rz, rr, rh = np.split(inner, 3, axis=-1)
                z, r = sigmoid(xz + rz), sigmoid(xr + rr)
                hh = act(xh + r * rh)
            else:
                z = sigmoid(xz + h @ recurrent[:, :units])
                r = sigmoid(xr + h @ recurrent[:, units : 2 * units])
                hh = act(xh + (r * h) @ recurrent[:, 2 * units :])
            h = z * h + (1.0 - z) * hh
        sequence[:, position] = h
    states = [h, c] if kind == "LSTM" else [h]
    return sequence, states


def _keras_recurrent(kind):
    def recurrent(cfg, xs, p):
        x = xs[0]
        word = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
        if cfg.bidirectional and cfg.go_backwards:
            raise Refusal("cannot run: Keras' Bidirectional refuses a layer with go_backwards")
        sides = (
            [("forward_" + word + ".", False), ("backward_" + word + ".", True)] if cfg.bidirectional else [("", False)]
        )
        outputs, states = [], []
        for prefix, backwards in sides:
            cell = f"{prefix}{word}_cell."
            sequence, state = _keras_run(
                kind,
                cfg,
                x,
                p[cell + "kernel"],
                p[cell + "recurrent_kernel"],
                p.get(cell + "bias"),
                backwards or cfg.go_backwards,
            )
            if not cfg.return_sequences:
                outputs.append(sequence[:, -1])
            elif backwards:
                outputs.append(sequence[:, ::-1])  # Bidirectional flips the backward layer's sequence back
            else:
                outputs.append(sequence)
            states += state
        output = np.concatenate(outputs, axis=-1) if cfg.bidirectional else outputs[0]
        return [output, *states] if cfg.return_state else output

    return recurrent


def recurrent(kind, keras_kind):
    torch_fn, keras_fn = _torch_recurrent(kind), _keras_recurrent(keras_kind)
    return lambda cfg, xs, p: keras_fn(cfg, xs, p) if cfg.convention == "keras" else torch_fn(cfg, xs, p)


def cell(kind):
    """PyTorch's RNNCell, LSTMCell, GRUCell: one step from the given states (zeros when not given)."""

    def step(cfg, xs, p):
        x, *states = xs
        unbatched = x.ndim == 1
        if unbatched:
            x, states = x[None], [h[None] for h in states]
        batch, hidden = x.shape[0], cfg.hidden_size
        zeros = np.zeros((batch, hidden), F32)
        h = states[0] if states else zeros
        c = states[1] if len(states) > 1 else zeros
        rows = p["weight_ih"].shape[0]
        b_ih = p.get("bias_ih", np.zeros(rows, F32))
        b_hh = p.get("bias_hh", np.zeros(rows, F32))
        gates_x = project(x, p["weight_ih"].T) + b_ih
        gates_h = project(h, p["weight_hh"].T) + b_hh
        if kind == "RNNCell":
            total = gates_x + gates_h
            out = [np.maximum(total, 0.0) if cfg.nonlinearity == "relu" else np.tanh(total)]
        elif kind == "LSTMCell":
            i, f, g, o = np.split(gates_x + gates_h, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            out = [sigmoid(o) * np.tanh(c), c]
        else:
            xr, xz, xn = np.split(gates_x, 3, axis=-1)
            hr, hz, hn = np.split(gates_h, 3, axis=-1)
            r, z = sigmoid(xr + hr), sigmoid(xz + hz)
            n = np.tanh(xn + r * hn)
            out = [(1.0 - z) * n + z * h]
        if unbatched:
            out = [y[0] for y in out]
        return out if kind == "LSTMCell" else out[0]

    return step
