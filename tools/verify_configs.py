"""Build the configs that have no published figures in PyTorch and compare with shapecli.

    pip install torch==2.13.0 pyyaml click rich   # torch only for this script
    python tools/verify_configs.py

Prints, for each model, PyTorch's parameter count, MACs (FlopCounterMode / 2)
and output shape next to shapecli's, and exits 1 if any differ. The figures
are what tests/test_configs.py asserts for these configs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapecli.dims import parse_shape  # noqa: E402
from shapecli.infer import infer  # noqa: E402
from shapecli.spec import load_model  # noqa: E402


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    )


class UNet(nn.Module):
    """milesial/Pytorch-UNet's UNet(3, 2, bilinear=False), without the size-fixing pad."""

    def __init__(self):
        super().__init__()
        widths = [64, 128, 256, 512, 1024]
        self.inc = double_conv(3, 64)
        self.downs = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), double_conv(a, b)) for a, b in zip(widths, widths[1:])
        )
        self.ups = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(widths[::-1][1:], widths[::-1]))
        self.convs = nn.ModuleList(double_conv(b, a) for a, b in zip(widths[::-1][1:], widths[::-1]))
        self.outc = nn.Conv2d(64, 2, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        y = skips.pop()
        for up, conv in zip(self.ups, self.convs):
            y = conv(torch.cat([skips.pop(), up(y)], dim=1))
        return self.outc(y)


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20000, 128, padding_idx=0)
        self.lstm = nn.LSTM(128, 256, num_layers=2, batch_first=True, dropout=0.2)
        self.dropout = nn.Dropout(0.5)
        self.classifier = nn.Linear(256, 2)

    def forward(self, tokens):
        _, (h_n, _) = self.lstm(self.embedding(tokens))
        return self.classifier(self.dropout(h_n[-1]))


# config, model, input, input dtype, whether the flop counter sees every layer (it
# does not see PyTorch's fused LSTM kernel)
MODELS = [
    ("lenet5.yaml", LeNet5, "1x1x32x32", torch.float32, True),
    ("unet.yaml", UNet, "1x3x256x256", torch.float32, True),
    ("lstm_classifier.yaml", LSTMClassifier, "4x50", torch.long, False),
]


def main() -> int:
    failures = 0
    for config, model_class, shape, dtype, counted in MODELS:
        model = model_class().eval()
        dims = tuple(int(d) for d in shape.split("x"))
        x = torch.zeros(dims, dtype=dtype)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            out = model(x)
        theirs = (sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2, list(out.shape))
        trace = infer(load_model((ROOT / "configs" / config).read_text(), config), [(None, parse_shape(shape))])
        (output,) = trace.outputs.values()
        ours = (trace.totals.params, trace.totals.macs, list(output))
        same = ours[0] == theirs[0] and ours[2] == theirs[2] and (not counted or ours[1] == theirs[1])
        failures += not same
        print(f"{config:22} torch {theirs}  shapecli {ours}  {'ok' if same else 'DIFFERENT'}")
    print(f"torch {torch.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
