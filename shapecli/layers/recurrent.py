"""Recurrent layers: RNN (SimpleRNN), LSTM, GRU; Keras' ConvLSTM1D/2D/3D.

PyTorch (and MXNet) semantics: a stack of `num_layers`, optionally
bidirectional; time-major unless batch_first; outputs `output`, `h_n` (and
`c_n` for LSTM); two bias vectors per layer and direction; LSTM `proj_size`
adds weight_hr. Keras semantics: one layer, batch-major; `return_sequences`
and `return_state` choose the outputs; one bias (GRU with reset_after: two
rows); `bidirectional` is Keras' Bidirectional wrapper (concatenated).
"""

from __future__ import annotations

from ..args import Bool, Choice, Float, Int, Ints
from ..dims import product
from ..errors import SpecError
from ..registry import Arg, Layer, Param, PerConvention, register, with_sizes
from ..shape_math import conv_length, require_declared, require_positive, require_rank, window_padding
from .activation import ActivationWord

MAX_LAYERS = 1024
"""Most stacked layers one recurrent layer takes: each adds its parameters to the listing."""

_ARGS = {
    "hidden_size": Arg(Int(1), aliases=("units",), doc="size of the hidden state"),
    "input_size": Arg(Int(1), None, doc="declared input features: the parameters are known before inference"),
    "num_layers": Arg(Int(1, MAX_LAYERS), 1, doc=f"stacked layers (PyTorch; at most {MAX_LAYERS})"),
    "bidirectional": Arg(Bool(), False, doc="also run backwards and concatenate"),
    "batch_first": Arg(
        Bool(),
        PerConvention(torch=False, keras=True),
        doc="input (N, L, F) instead of (L, N, F) (PyTorch; Keras is always batch-first)",
    ),
    "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add biases"),
    "dropout": Arg(Float(0, 1), 0.0, doc="dropout between stacked layers (no shape effect)"),
    "return_sequences": Arg(Bool(), False, doc="Keras: output every step, not only the last"),
    "return_state": Arg(Bool(), False, doc="Keras: also output the final states"),
    "go_backwards": Arg(Bool(), False, doc="Keras: read the sequence backwards (no shape effect)"),
    "activation": Arg(
        Choice(("tanh", "relu", "sigmoid", "linear")),
        None,
        aliases=("nonlinearity",),
        doc="cell activation (no shape effect)",
    ),
}


class Recurrent(Layer):
    """Base of the recurrent layers; `gates` is the number of gate blocks (RNN 1, GRU 3, LSTM 4)."""

    gates = 1
    word = "simple_rnn"
    has_cell_state = False

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.convention == "keras":
            if cfg.num_layers != 1:
                raise SpecError("Keras recurrent layers have no num_layers; repeat the layer instead")
            if getattr(cfg, "proj_size", 0):
                raise SpecError("Keras LSTM has no proj_size")
            if not cfg.batch_first:
                raise SpecError("Keras recurrent layers are batch-first")
        elif getattr(cfg, "proj_size", 0) >= cfg.hidden_size:
            raise SpecError(f"proj_size ({cfg.proj_size}) must be smaller than hidden_size ({cfg.hidden_size})")

    @classmethod
    def output_names(cls, cfg) -> tuple[str, ...]:
        if cfg.convention != "keras":
            return ("output", "h_n", "c_n") if cls.has_cell_state else ("output", "h_n")
        if not cfg.return_state:
            return ("output",)
        states = ("h", "c") if cls.has_cell_state else ("h",)
        if cfg.bidirectional:
            return ("output", *(f"{side}_{s}" for side in ("forward", "backward") for s in states))
        return ("output", *(f"state_{s}" for s in states))

    @classmethod
    def output_shape(cls, cfg, ins):
        # torch: (L, N, F) -> output (L, N, D*H_out), h_n (D*layers, N, H_out), c_n (D*layers, N, H)
        (x,) = ins
        directions = 2 if cfg.bidirectional else 1
        if cfg.convention == "keras":
            require_rank(x, 3, 3)
            batch, steps, features = x
        else:
            require_rank(x, 2, 3)
            if len(x) == 2:
                (steps, features), batch = x, None
            elif cfg.batch_first:
                batch, steps, features = x
            else:
                steps, batch, features = x
        require_declared(x, -1, cfg, "input_size", unit="features")
        hidden = cfg.hidden_size
        if cfg.convention == "keras":
            output = (batch, steps, directions * hidden) if cfg.return_sequences else (batch, directions * hidden)
            states = [(batch, hidden)] * (len(cls.output_names(cfg)) - 1)
            return [output, *states]
        h_out = getattr(cfg, "proj_size", 0) or hidden
        lead = () if batch is None else (batch,)
        if batch is None:
            output = (steps, directions * h_out)
        elif cfg.batch_first:
            output = (batch, steps, directions * h_out)
        else:
            output = (steps, batch, directions * h_out)
        stacks = directions * cfg.num_layers
        outs = [output, (stacks, *lead, h_out)]
        if cls.has_cell_state:
            outs.append((stacks, *lead, hidden))
        return outs

    @staticmethod
    def build(cfg, ins):
        # input_size: declared, else the input's last axis
        return with_sizes(cfg, input_size=ins[0][-1])

    @classmethod
    def params(cls, cfg, ins):
        features = cfg.input_size
        if cfg.convention == "keras":
            return _keras_params(cls, cfg, features)
        hidden, gates = cfg.hidden_size, cls.gates * cfg.hidden_size
        proj = getattr(cfg, "proj_size", 0)
        h_out = proj or hidden
        directions = 2 if cfg.bidirectional else 1
        params = []
        for layer in range(cfg.num_layers):
            width = features if layer == 0 else directions * h_out
            for direction in range(directions):
                if cfg.convention == "mxnet":
                    prefix = f"{'r' if direction else 'l'}{layer}_"
                    names = (
                        f"{prefix}i2h_weight",
                        f"{prefix}h2h_weight",
                        f"{prefix}i2h_bias",
                        f"{prefix}h2h_bias",
                        f"{prefix}h2r_weight",
                    )
                else:
                    suffix = f"_l{layer}{'_reverse' if direction else ''}"
                    names = (
                        f"weight_ih{suffix}",
                        f"weight_hh{suffix}",
                        f"bias_ih{suffix}",
                        f"bias_hh{suffix}",
                        f"weight_hr{suffix}",
                    )
                params += [Param(names[0], (gates, width)), Param(names[1], (gates, h_out))]
                if cfg.use_bias:
                    params += [Param(names[2], (gates,)), Param(names[3], (gates,))]
                if proj:
                    params.append(Param(names[4], (proj, hidden)))
        return params

    @classmethod
    def macs(cls, cfg, ins, outs):
        # per step, layer and direction: gates*h*(in + h_out) (+ h*proj)
        x = ins[0]
        features = cfg.input_size
        hidden, gates = cfg.hidden_size, cls.gates * cfg.hidden_size
        proj = getattr(cfg, "proj_size", 0) if cfg.convention != "keras" else 0
        h_out = proj or hidden
        directions = 2 if cfg.bidirectional else 1
        if len(x) == 2:
            samples = x[0]
        else:
            samples = x[0] * x[1]
        total = 0
        for layer in range(cfg.num_layers):
            width = features if layer == 0 else directions * h_out
            total = total + directions * (gates * (width + h_out) + hidden * proj)
        return samples * total


def _keras_params(cls, cfg, features) -> list[Param]:
    units, gates = cfg.hidden_size, cls.gates * cfg.hidden_size
    cell = f"{cls.word}_cell"
    reset_after = getattr(cfg, "reset_after", False)
    sides = [f"forward_{cls.word}.", f"backward_{cls.word}."] if cfg.bidirectional else [""]
    params = []
    for side in sides:
        params += [
            Param(f"{side}{cell}.kernel", (features, gates)),
            Param(f"{side}{cell}.recurrent_kernel", (units, gates)),
        ]
        if cfg.use_bias:
            params.append(Param(f"{side}{cell}.bias", (2, gates) if reset_after else (gates,)))
    return params


@register("RNN", "SimpleRNN", prefix="rnn")
class RNN(Recurrent):
    """Elman RNN: h' = tanh(W x + U h + b) (PyTorch RNN, Keras SimpleRNN)."""

    args = _ARGS


@register("LSTM", prefix="lstm")
class LSTM(Recurrent):
    """Long short-term memory: 4 gate blocks, a cell state; PyTorch proj_size projects h."""

    gates = 4
    word = "lstm"
    has_cell_state = True
    args = {**_ARGS, "proj_size": Arg(Int(0), 0, doc="PyTorch: project h to this size (0: off)")}


@register("GRU", prefix="gru")
class GRU(Recurrent):
    """Gated recurrent unit: 3 gate blocks; Keras reset_after keeps two bias rows."""

    gates = 3
    word = "gru"
    args = {**_ARGS, "reset_after": Arg(Bool(), True, doc="Keras: apply the reset gate after the matmul")}


class ConvLSTM(Layer):
    """Base of Keras' convolutional LSTMs over (N, T, *spatial, C) (channels_first: (N, T, C, *spatial)).

    Each step convolves the input with `kernel` (*k, C, 4F) and the state with
    `recurrent_kernel` (*k, F, 4F, 'same', stride 1): the state has the input
    convolution's shape (F channels). Outputs: the last state, or every step's with
    return_sequences; return_state adds the final h and c.
    """

    rank = 2
    word = "conv_lstm2d"

    @staticmethod
    def check_args(cfg) -> None:
        if any(s > 1 for s in cfg.strides) and any(d > 1 for d in cfg.dilation):
            raise SpecError("Keras refuses strides > 1 together with dilation_rate > 1")

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        return ("output", "state_h", "state_c") if cfg.return_state else ("output",)

    @classmethod
    def output_shape(cls, cfg, ins):
        # (N, T, *S, C) -> state (N, *conv(S), F); output (N, T, *conv(S), F) with return_sequences
        (x,) = ins
        require_rank(x, cls.rank + 3, cls.rank + 3)
        state = _conv_state(cls, cfg, x)
        output = (x[0], x[1], *state[1:]) if cfg.return_sequences else state
        return [output, state, state] if cfg.return_state else [output]

    @staticmethod
    def params(cfg, ins):
        x = ins[0]
        channels = x[-1] if cfg.data_format == "channels_last" else x[2]
        gates = 4 * cfg.filters
        cell = "conv_lstm_cell"
        params = [
            Param(f"{cell}.kernel", (*cfg.kernel_size, channels, gates)),
            Param(f"{cell}.recurrent_kernel", (*cfg.kernel_size, cfg.filters, gates)),
        ]
        return params + ([Param(f"{cell}.bias", (gates,))] if cfg.use_bias else [])

    @classmethod
    def macs(cls, cfg, ins, outs):
        # per step and output position: 4F * k-volume * (C + F)
        x = ins[0]
        state = _conv_state(cls, cfg, x)
        spatial = state[1:-1] if cfg.data_format == "channels_last" else state[2:]
        channels = x[-1] if cfg.data_format == "channels_last" else x[2]
        volume = product(cfg.kernel_size)
        return x[0] * x[1] * product(spatial) * 4 * cfg.filters * volume * (channels + cfg.filters)


def _conv_state(cls, cfg, x):
    """The state shape (N, *spatial, F) of a ConvLSTM step: the input convolution's output."""
    if cfg.data_format == "channels_last":
        spatial = list(x[2:-1])
    else:
        spatial = list(x[3:])
    pads = window_padding(cfg.padding, spatial, cfg.kernel_size, cfg.strides, cfg.dilation)
    out = [
        require_positive(conv_length(n, k, s, d, lo, hi), f"kernel {k} with dilation {d}")
        for n, k, s, d, (lo, hi) in zip(spatial, cfg.kernel_size, cfg.strides, cfg.dilation, pads)
    ]
    return (x[0], *out, cfg.filters) if cfg.data_format == "channels_last" else (x[0], cfg.filters, *out)


def _conv_lstm_args(rank: int) -> dict:
    return {
        "filters": Arg(Int(1), doc="channels of the state and output"),
        "kernel_size": Arg(Ints(rank, 1), aliases=("kernel",), doc="window size per spatial axis"),
        "strides": Arg(Ints(rank, 1), 1, aliases=("stride",), doc="step of the input convolution"),
        "padding": Arg(Choice(("valid", "same")), "valid", doc="padding of the input convolution"),
        "dilation": Arg(Ints(rank, 1), 1, aliases=("dilation_rate",), doc="spacing of the input window's taps"),
        "data_format": Arg(
            Choice(("channels_first", "channels_last")),
            PerConvention(torch="channels_first", keras="channels_last"),
            doc="(N, T, *S, C) or (N, T, C, *S) (default: the convention's)",
        ),
        "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add a bias"),
        "return_sequences": Arg(Bool(), False, doc="output every step, not only the last"),
        "return_state": Arg(Bool(), False, doc="also output the final h and c"),
        "go_backwards": Arg(Bool(), False, doc="read the sequence backwards (no shape effect)"),
        "activation": Arg(ActivationWord(), "tanh", doc="cell activation (no shape effect)"),
        "recurrent_activation": Arg(ActivationWord(), "sigmoid", doc="gate activation (no shape effect)"),
        "dropout": Arg(Float(0, 1), 0.0, doc="dropout on the input (no shape effect)"),
        "recurrent_dropout": Arg(Float(0, 1), 0.0, doc="dropout on the state (no shape effect)"),
    }


@register("ConvLSTM1D", prefix="conv_lstm")
class ConvLSTM1D(ConvLSTM):
    """1-D convolutional LSTM (Keras ConvLSTM1D): convolutions instead of matrix products in the gates."""

    rank, word = 1, "conv_lstm1d"
    args = _conv_lstm_args(1)


@register("ConvLSTM2D", prefix="conv_lstm")
class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM (Keras ConvLSTM2D): convolutions instead of matrix products in the gates."""

    rank, word = 2, "conv_lstm2d"
    args = _conv_lstm_args(2)


@register("ConvLSTM3D", prefix="conv_lstm")
class ConvLSTM3D(ConvLSTM):
    """3-D convolutional LSTM (Keras ConvLSTM3D): convolutions instead of matrix products in the gates."""

    rank, word = 3, "conv_lstm3d"
    args = _conv_lstm_args(3)
