"""Import torchvision's classification models with `shapecli import torch` and tabulate the outcome.

    python -m venv .venv-tv && . .venv-tv/bin/activate
    pip install torch==2.14.1 torchvision==0.29.1 && pip install -e .
    python tools/import_torchvision.py [MODEL …]

For each model: whether the import succeeds; if so, the parameter and buffer
counts shapecli infers from the written spec at the model's input next to
torchvision's own, the output shape, and the time the import took; if not,
the kinds of parts that have no spec equivalent. Prints a Markdown table
(the README's is this script's output).
"""

from __future__ import annotations

import sys
import time
import warnings

MODELS = {
    "alexnet": "1x3x224x224",
    "vgg11_bn": "1x3x224x224",
    "vgg16": "1x3x224x224",
    "resnet18": "1x3x224x224",
    "resnet50": "1x3x224x224",
    "resnext50_32x4d": "1x3x224x224",
    "wide_resnet50_2": "1x3x224x224",
    "densenet121": "1x3x224x224",
    "squeezenet1_0": "1x3x224x224",
    "shufflenet_v2_x1_0": "1x3x224x224",
    "mobilenet_v2": "1x3x224x224",
    "mobilenet_v3_small": "1x3x224x224",
    "mnasnet0_5": "1x3x224x224",
    "regnet_y_400mf": "1x3x224x224",
    "googlenet": "1x3x224x224",
    "inception_v3": "1x3x299x299",
    "efficientnet_b0": "1x3x224x224",
    "convnext_tiny": "1x3x224x224",
    "vit_b_16": "1x3x224x224",
    "swin_t": "1x3x224x224",
}
"""Model name → the input it is imported at."""


def outcome(name: str, shape: str) -> list[str]:
    """One table row: model, result, parameters (torchvision / spec), buffers, output, seconds."""
    import torchvision

    from shapecli.dims import format_shape, parse_shape
    from shapecli.importers.graph import UnmappableModel
    from shapecli.importers.torch_import import import_torch
    from shapecli.infer import infer
    from shapecli.spec import load_model

    model = getattr(torchvision.models, name)()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    start = time.perf_counter()
    try:
        result = import_torch(f"torchvision.models:{name}", None, [(None, parse_shape(shape))])
    except UnmappableModel as e:
        seconds = time.perf_counter() - start
        return [name, "refused: " + _kinds(e.problems), f"{params:,}", "", "", f"{seconds:.1f}"]
    seconds = time.perf_counter() - start
    trace = infer(load_model(result.text, name, "torch"), [(None, parse_shape(shape))])
    spec_buffers = _buffer_elements(trace)
    same = "=" if trace.totals.params == params and spec_buffers == buffers else "≠"
    outputs = ", ".join(format_shape(s) for s in trace.outputs.values())
    lines = len(result.text.splitlines())
    return [
        name,
        f"imported ({lines} lines)",
        f"{params:,} {same} {trace.totals.params:,}",
        f"{buffers:,} {same} {spec_buffers:,}",
        outputs,
        f"{seconds:.1f}",
    ]


def _kinds(problems) -> str:
    """What the problems are, counted: 'StochasticDepth ×9, standalone parameter ×2'."""
    counts: dict[str, int] = {}
    for problem in problems:
        if problem.where.startswith("get_attr"):
            label = "standalone parameter"
        elif problem.where.startswith("module '"):
            label = problem.where.rsplit(".", 1)[-1].rstrip(")")
        else:
            label = problem.where.split(" in ")[0].split(" (")[0].rsplit(".", 1)[-1]
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} ×{n}" for label, n in counts.items())


def _buffer_elements(trace) -> int:
    from shapecli.dims import product

    return sum(product(p.after) for layer in trace.layers for p in layer.params if p.buffer and p.shared_with is None)


def main(names: list[str]) -> None:
    warnings.simplefilter("ignore")
    rows = [["model", "import", "parameters (torchvision = spec)", "buffer elements", "output", "seconds"]]
    for name in names or MODELS:
        rows.append(outcome(name, MODELS.get(name, "1x3x224x224")))
        print(" | ".join(rows[-1]), file=sys.stderr)
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + " --- |" * len(rows[0]))
    for row in rows[1:]:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
