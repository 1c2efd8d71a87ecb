"""Record torchvision's figures for the shipped configs that describe a torchvision model.

    python -m venv .venv-tv && . .venv-tv/bin/activate
    pip install torch==2.14.1 torchvision==0.29.1 && pip install -e .
    python tools/torchvision_configs.py

For each config of CONFIGS, builds the torchvision model (random weights) and
records, at each input size: the trainable and non-trainable parameter
counts, the buffers' element count, the output shape and the MACs
(FlopCounterMode's FLOPs / 2). Writes tests/reference/torchvision_configs.json,
which tests/test_configs.py compares with shapecli (CI has no torchvision; the
live comparison is marked `torchvision`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "reference" / "torchvision_configs.json"

CONFIGS = {
    "convnext_tiny.yaml": ("convnext_tiny", [(1, 3, 224, 224), (2, 3, 64, 64)]),
    "swin_t.yaml": ("swin_t", [(1, 3, 224, 224), (2, 3, 100, 100), (1, 3, 37, 53), (1, 3, 4, 4), (1, 3, 320, 320)]),
}
"""Config → (torchvision model name, input shapes it is measured at)."""


def measure(name: str, shape: tuple) -> dict:
    """torchvision's figures for one model at one input shape."""
    import torch
    import torchvision
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(shape))
    return {
        "input": list(shape),
        "output": list(out.shape),
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "non_trainable": sum(p.numel() for p in model.parameters() if not p.requires_grad),
        "buffer_elements": sum(b.numel() for b in model.buffers()),
        "macs": counter.get_total_flops() // 2,
    }


def records() -> list[dict]:
    """Every config's records, in CONFIGS' order."""
    return [
        {"config": config, "model": name, **measure(name, shape)}
        for config, (name, shapes) in CONFIGS.items()
        for shape in shapes
    ]


def main() -> int:
    import torch
    import torchvision

    document = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "generated_by": "tools/torchvision_configs.py",
        "records": records(),
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    for r in document["records"]:
        print(f"{r['config']:20} {r['input']}: {r['params']:,} params, {r['macs']:,} MACs, output {r['output']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
