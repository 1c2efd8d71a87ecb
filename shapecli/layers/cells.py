"""Recurrent cells: RNNCell, LSTMCell, GRUCell — one step of PyTorch's recurrent layers.

torch/nn/modules/rnn.py and aten/src/ATen/native/RNN.cpp (check_rnn_cell_forward_input,
check_rnn_cell_forward_hidden): the input is (N, input_size) or unbatched (input_size,);
the hidden state is optional (zeros when not given) and then has the input's rank, its
batch and hidden_size features; LSTMCell's state is two inputs, h and c. The outputs are
named as PyTorch returns them: h_1 (the next hidden state, PyTorch's h'), and for
LSTMCell also c_1. Parameters (gates = 1, 3, 4 blocks of hidden_size rows):
weight_ih (gates, input_size), weight_hh (gates, hidden_size), bias_ih, bias_hh (gates,).
"""

from __future__ import annotations

from ..args import Bool, Choice, Int
from ..dims import format_shape
from ..errors import ShapeError
from ..registry import Arg, Layer, Param, register, with_sizes
from ..shape_math import require_declared, require_rank, same_dim

_ARGS = {
    "hidden_size": Arg(Int(1), aliases=("units",), doc="size of the hidden state"),
    "input_size": Arg(Int(1), None, doc="declared input features: the parameters are known before inference"),
    "bias": Arg(Bool(), True, aliases=("use_bias",), doc="add the biases bias_ih and bias_hh"),
}


class Cell(Layer):
    """Base of the cells; `gates` is the number of gate blocks (RNN 1, GRU 3, LSTM 4)."""

    gates = 1
    states = 1
    min_inputs = 1
    max_inputs = 2

    @classmethod
    def output_names(cls, cfg) -> tuple[str, ...]:
        return ("h_1", "c_1") if cls.states == 2 else ("h_1",)

    @classmethod
    def output_shape(cls, cfg, ins):
        # input (N, I) or (I,), states (N, H) or (H,) -> h_1 (and c_1) (N, H) or (H,)
        x, *states = ins
        name = cls.type_name
        if len(x) not in (1, 2):
            raise ShapeError(f"expects an input of rank 1 (unbatched) or 2 (N, input_size), receives {format_shape(x)}")
        if states and len(states) != cls.states:
            raise ShapeError(
                f"takes its state as {cls.states} inputs (h and c) after the input, receives {len(states)}",
                hint="give [input, h, c], or the input alone for zero states",
            )
        require_declared(x, -1, cfg, "input_size", unit="features")
        state = (*x[:-1], cfg.hidden_size)
        for label, h in zip(("h", "c") if cls.states == 2 else ("hidden",), states):
            require_rank(h, 1, 2)
            if len(h) != len(x) or any(same_dim(a, b) is None for a, b in zip(h, state)):
                raise ShapeError(
                    f"needs its {label} state shaped {format_shape(state)} for the input {format_shape(x)} "
                    f"(hidden_size {cfg.hidden_size}), receives {format_shape(h)}",
                    hint=f"{name}'s states have the input's batch and hidden_size features",
                )
        return [state] * cls.states

    @staticmethod
    def build(cfg, ins):
        # input_size: declared, else the input's last axis
        return with_sizes(cfg, input_size=ins[0][-1])

    @classmethod
    def params(cls, cfg, ins):
        rows = cls.gates * cfg.hidden_size
        params = [Param("weight_ih", (rows, cfg.input_size)), Param("weight_hh", (rows, cfg.hidden_size))]
        if cfg.bias:
            params += [Param("bias_ih", (rows,)), Param("bias_hh", (rows,))]
        return params

    @classmethod
    def macs(cls, cfg, ins, outs):
        # N * gates*H * (I + H): the input and the state projections (the state is zeros when not given)
        x = ins[0]
        batch = x[0] if len(x) == 2 else 1
        return batch * cls.gates * cfg.hidden_size * (cfg.input_size + cfg.hidden_size)


@register("RNNCell", prefix="rnn_cell")
class RNNCell(Cell):
    """Elman RNN cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu) (PyTorch RNNCell)."""

    args = {
        **_ARGS,
        "nonlinearity": Arg(Choice(("tanh", "relu")), "tanh", aliases=("activation",), doc="tanh or relu"),
    }


@register("LSTMCell", prefix="lstm_cell")
class LSTMCell(Cell):
    """LSTM cell: 4 gate blocks; inputs [x] or [x, h, c], outputs h_1 and c_1 (PyTorch LSTMCell)."""

    gates = 4
    states = 2
    max_inputs = 3
    args = _ARGS


@register("GRUCell", prefix="gru_cell")
class GRUCell(Cell):
    """GRU cell: 3 gate blocks, the reset gate applied after the matrix product (PyTorch GRUCell)."""

    gates = 3
    args = _ARGS
