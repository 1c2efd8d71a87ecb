"""shapecli run's numpy forward pass against PyTorch CPU eager on ResNet-50 at 1x3x224x224.

    pip install torch==2.13.0          # only for this benchmark
    python bench/run_resnet50.py [--threads N] [--runs N] [--bound 3]

Both run in this process on the same number of threads (numpy's BLAS and
PyTorch's intra-op pool; N defaults to the machine's cores), alternately, so
that load from elsewhere hits both alike. shapecli's figure is its forward
pass as `shapecli run` makes it: every layer through the numpy table, the
shape and dtype check after each layer and the per-layer statistics; the
parameters are drawn once before (their drawing is reported apart). PyTorch's
is torchvision's ResNet-50 architecture written out here (eval mode,
no_grad). Prints both medians and their ratio; exits 1 above --bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _threads() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    known, _ = parser.parse_known_args()
    return known.threads


THREADS = _threads()
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = str(THREADS)  # before numpy and torch start their pools

sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from shapecli.infer import infer  # noqa: E402
from shapecli.materialize import draw_parameters, plan_parameters  # noqa: E402
from shapecli.run import forward, make_inputs  # noqa: E402
from shapecli.spec import load_model  # noqa: E402


class Bottleneck(nn.Module):
    """torchvision.models.resnet.Bottleneck (v1.5: the stride in the 3x3 convolution)."""

    def __init__(self, inplanes: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4)
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def torch_resnet50() -> nn.Module:
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    inplanes = 64
    for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for index in range(blocks):
            layers.append(Bottleneck(inplanes, planes, stride if index == 0 else 1))
            inplanes = planes * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    return nn.Sequential(*layers).eval()


def seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bound", type=float, default=3.0, help="allowed ratio shapecli / PyTorch")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)

    model = load_model((ROOT / "configs" / "resnet50.yaml").read_text(), "configs/resnet50.yaml", "torch")
    trace = infer(model, [(None, (1, 3, 224, 224))])
    start = time.perf_counter()
    params = draw_parameters(plan_parameters(model, trace), 0)
    drawing = time.perf_counter() - start
    inputs = make_inputs(model, dict(trace.inputs), {"image": "uniform"}, 0)
    reference = torch_resnet50()
    x = torch.from_numpy(inputs["image"])

    def ours():
        forward(model, trace, params, inputs)

    def theirs():
        with torch.no_grad():
            reference(x)

    ours(), theirs()  # warm up: allocator, thread pools, oneDNN primitives
    mine, pytorch = [], []
    for _ in range(args.runs):
        mine.append(seconds(ours))
        pytorch.append(seconds(theirs))
    a, b = statistics.median(mine), statistics.median(pytorch)
    ratio = a / b
    print(f"ResNet-50 1x3x224x224, {THREADS} thread(s), median of {args.runs} alternating runs")
    print(f"numpy {np.__version__}, torch {torch.__version__}")
    print(f"parameters drawn by shapecli (25,557,032 values + buffers): {drawing * 1000:.0f} ms, once")
    print(f"shapecli run forward (numpy, shape checks, statistics): {a * 1000:.0f} ms")
    print(f"PyTorch CPU eager forward (no_grad, eval):            {b * 1000:.0f} ms")
    print(f"ratio: {ratio:.2f} (bound {args.bound})")
    return 0 if ratio <= args.bound else 1


if __name__ == "__main__":
    sys.exit(main())
