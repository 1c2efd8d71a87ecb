"""PyTorch models that `shapecli import torch` is tested on (as tests.import_models:NAME).

Only the torch-marked tests import this module.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """Two linear layers and a ReLU module."""

    def __init__(self, hidden: int = 64, classes: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(20, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: two 3x3 convolutions, a shortcut (projected when the shape changes)."""

    def __init__(self, inp: int, out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class SmallResNet(nn.Module):
    """A ResNet with BasicBlocks: equal blocks in layer1, a downsampling block first in layer2 and layer3."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class CatNet(nn.Module):
    """torch.cat, functional relu, x.view(x.size(0), -1), chunk, transpose, mean; two outputs."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.b = nn.Conv2d(3, 8, 5, padding=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 8 * 8, 32)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        y = torch.cat([F.relu(self.a(x)), F.relu(self.b(x))], dim=1)
        y = self.pool(y)
        z = self.fc(y.view(y.size(0), -1))
        p, q = z.chunk(2, dim=1)
        return self.head(p + q), torch.flatten(y, 2).transpose(1, 2).mean(1)


class LSTMClassifier(nn.Module):
    """Embedding, a 2-layer bidirectional LSTM, the last layer's two final states, a linear head."""

    def __init__(self, vocab: int = 1000, dim: int = 32, hidden: int = 48, classes: int = 3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)
        self.dropout = nn.Dropout(0.3)
        self.classifier = nn.Linear(2 * hidden, classes)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embedding(tokens))
        return self.classifier(self.dropout(torch.cat([h[-2], h[-1]], dim=1)))


class Residuals(nn.Module):
    """A ModuleList iterated in forward, with a residual add between its members."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(8, 8), nn.GELU()) for _ in range(3)])
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        for block in self.blocks:
            x = x + block(x)
        return self.norm(x)


class Tower(nn.Module):
    """A Sequential of equal linear layers (a repeated layer) after an encoder layer."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True, norm_first=True)
        self.attention = nn.MultiheadAttention(16, 2, batch_first=True)
        self.tower = nn.Sequential(nn.Linear(16, 16), nn.Linear(16, 16), nn.Linear(16, 16))

    def forward(self, x):
        x = self.encoder(x)
        x, _ = self.attention(x, x, x)
        return self.tower(x)


class TwoInputs(nn.Module):
    """Two inputs through one shared linear layer (called twice), subtracted and multiplied."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(12, 16)
        self.score = nn.Linear(16, 1)

    def forward(self, query, doc):
        q, d = self.encoder(query), self.encoder(doc)
        return self.score(torch.sigmoid(q - d) * d)


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: a view into groups, a transpose, a view back."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 1)
        self.pad = nn.ZeroPad2d((1, 0, 2, 1))

    def forward(self, x):
        x = self.conv(x)
        n, c, h, w = x.size()
        x = x.view(n, 2, c // 2, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        x = x.view(n, -1, h, w)
        x = F.interpolate(self.pad(x), scale_factor=2, mode="nearest")
        x = F.max_pool2d(x, 3, stride=2, padding=1)
        return F.adaptive_avg_pool2d(x, (2, 3))[:, 1:5, 0]


class Untraceable(nn.Module):
    """Branches on a tensor's value: torch.fx cannot trace it."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Unmappable(nn.Module):
    """A standalone parameter, arithmetic with a constant, a function without a layer type, a refused module."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 8)
        self.scale = nn.Parameter(torch.ones(8))
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        y = self.fc(x) * self.scale
        y = torch.cumsum(y * 2.0, dim=1)
        return self.shuffle(y.view(y.size(0), 8, 1, 1))


class CalledTwice(nn.Module):
    """A block (not a single layer) applied twice."""

    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

    def forward(self, x):
        return self.block(self.block(x))


class UnusedHead(nn.Module):
    """A module with parameters that forward never calls."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.aux = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


def not_a_module():
    """A callable that returns something other than a module."""
    return 42


def broken(width: int = 4):
    """A callable that fails."""
    raise ValueError(f"width {width} is not supported")


INSTANCE = MLP()
"""A module instance (imported without calling)."""


class Single(nn.Module):
    """One module applied to the input (attention: to the input as query, key and value)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.layer = module

    def forward(self, x):
        if isinstance(self.layer, nn.MultiheadAttention):
            return self.layer(x, x, x)
        return self.layer(x)


SINGLE = {
    "linear": lambda: nn.Linear(6, 5, bias=False),
    "conv1d": lambda: nn.Conv1d(3, 6, 3, stride=2, padding=1, dilation=2),
    "conv2d": lambda: nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(1, 2), groups=2, padding_mode="reflect"),
    "conv2d_same": lambda: nn.Conv2d(3, 4, 4, padding="same", dilation=2),
    "conv3d": lambda: nn.Conv3d(2, 4, 3, bias=False),
    "conv_transpose1d": lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, dilation=2),
    "conv_transpose2d": lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
    "batch_norm1d": lambda: nn.BatchNorm1d(5, eps=1e-3, momentum=0.2, affine=False),
    "batch_norm2d": lambda: nn.BatchNorm2d(3, track_running_stats=False),
    "sync_batch_norm": lambda: nn.SyncBatchNorm(3),
    "instance_norm2d": lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    "layer_norm": lambda: nn.LayerNorm((4, 5), bias=False),
    "group_norm": lambda: nn.GroupNorm(2, 6, eps=1e-4),
    "rms_norm": lambda: nn.RMSNorm(7, eps=1e-6),
    "local_response_norm": lambda: nn.LocalResponseNorm(3),
    "prelu": lambda: nn.PReLU(3),
    "embedding": lambda: nn.Embedding(50, 8, padding_idx=3),
    "lstm": lambda: nn.LSTM(6, 8, num_layers=2, proj_size=4),
    "gru": lambda: nn.GRU(6, 5, bidirectional=True, batch_first=True),
    "rnn": lambda: nn.RNN(4, 3, nonlinearity="relu", bias=False),
    "attention": lambda: nn.MultiheadAttention(8, 2, bias=False, add_bias_kv=True, batch_first=True),
    "encoder_layer": lambda: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu"),
    "relu6": nn.ReLU6,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": lambda: nn.ELU(0.5),
    "celu": nn.CELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "hardtanh": lambda: nn.Hardtanh(-2.0, 2.0),
    "softplus": nn.Softplus,
    "softsign": nn.Softsign,
    "softshrink": lambda: nn.Softshrink(0.3),
    "hardshrink": nn.Hardshrink,
    "tanhshrink": nn.Tanhshrink,
    "threshold": lambda: nn.Threshold(0.1, 2.0),
    "log_sigmoid": nn.LogSigmoid,
    "softmax": lambda: nn.Softmax(dim=1),
    "log_softmax": lambda: nn.LogSoftmax(dim=-1),
    "softmin": lambda: nn.Softmin(0),
    "glu": lambda: nn.GLU(dim=1),
    "identity": nn.Identity,
    "dropout": lambda: nn.Dropout(0.1),
    "dropout1d": nn.Dropout1d,
    "dropout2d": nn.Dropout2d,
    "alpha_dropout": nn.AlphaDropout,
    "flatten": lambda: nn.Flatten(2),
    "unflatten": lambda: nn.Unflatten(1, (2, 3)),
    "max_pool1d": lambda: nn.MaxPool1d(2),
    "max_pool2d": lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    "max_pool3d": lambda: nn.MaxPool3d(2, dilation=2),
    "avg_pool1d": lambda: nn.AvgPool1d(3, ceil_mode=True),
    "avg_pool2d": lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
    "adaptive_avg_pool2d": lambda: nn.AdaptiveAvgPool2d((3, None)),
    "adaptive_max_pool1d": lambda: nn.AdaptiveMaxPool1d(4),
    "adaptive_avg_pool3d": lambda: nn.AdaptiveAvgPool3d(2),
    "upsample": lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
    "upsampling_nearest2d": lambda: nn.UpsamplingNearest2d(size=(5, 7)),
    "upsampling_bilinear2d": lambda: nn.UpsamplingBilinear2d(scale_factor=1.5),
    "zero_pad2d": lambda: nn.ZeroPad2d((1, 2, 3, 4)),
    "constant_pad1d": lambda: nn.ConstantPad1d(2, 3.5),
    "reflection_pad2d": lambda: nn.ReflectionPad2d(1),
    "replication_pad3d": lambda: nn.ReplicationPad3d((1, 0, 1, 0, 1, 0)),
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "softmax_no_dim": nn.Softmax,
    "batch_norm_cumulative": lambda: nn.BatchNorm2d(3, momentum=None),
    "max_pool_indices": lambda: nn.MaxPool2d(2, return_indices=True),
    "avg_pool_divisor": lambda: nn.AvgPool2d(2, divisor_override=3),
    "embedding_max_norm": lambda: nn.Embedding(10, 4, max_norm=1.0),
    "lrn_alpha": lambda: nn.LocalResponseNorm(3, alpha=1e-3),
    "softplus_beta": lambda: nn.Softplus(beta=2.0),
    "pixel_shuffle": lambda: nn.PixelShuffle(2),
    "lazy_linear": lambda: nn.LazyLinear(3),
    "lstm_cell": lambda: nn.LSTMCell(4, 4),
    "encoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False),
    "cosine": nn.CosineSimilarity,
}
"""Case name → a module for `single`."""


def single(case: str) -> Single:
    """A model of the one module SINGLE[case] (imported with --kwargs '{"case": …}')."""
    return Single(SINGLE[case]())


class DenseLayer(nn.Module):
    """DenseNet's layer: concatenates every earlier output, then BN-ReLU-conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels)
        self.conv = nn.Conv2d(channels, 4, 3, padding=1, bias=False)

    def forward(self, features: list):
        return self.conv(F.relu(self.norm(torch.cat(features, 1))))


class DenseStack(nn.Module):
    """Three DenseLayers, each taking all earlier outputs (a list of 1, 2, 3 tensors)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({f"dense{i}": DenseLayer(4 + 4 * i) for i in range(3)})

    def forward(self, x):
        features = [x]
        for layer in self.layers.values():
            features.append(layer(features))
        return torch.cat(features, 1)
