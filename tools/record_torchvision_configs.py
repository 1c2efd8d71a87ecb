"""Record what torchvision's models are, for the shipped configs that describe them.

    python -m venv .venv-tv && . .venv-tv/bin/activate
    pip install torch==2.14.1 torchvision==0.29.1 && pip install -e .
    python tools/record_torchvision_configs.py [CONFIG …] [--no-sizes]

For each case below (a config, the `--set` values of one variant, the torchvision model
it describes) the script builds the torchvision model and records, in
tests/reference/configs_torchvision.json under the config's name and the model's name:

- `params`, `trainable`, `buffers` (elements) and `state_dict`: [[name, shape], …] in order;
- `outputs` of a forward pass at `input` (1x3x224x224) and `macs` (FlopCounterMode / 2, the
  convention of tests/test_configs.py), with torchvision's published figures (`published`:
  the weights' `num_params` and `_ops`, its "GFLOPS" column, which counts multiply-adds);
- `sizes`: whether the model runs a forward pass at 1x3xSxS for every S from 1 to 320
  (`runs`: the ranges of S that run, inclusive) and the message of the largest S that
  does not (`refusal`): on the meta device at every size, and on the CPU as well at the
  sizes `cpu` says (they must agree); only for the cases marked so (`--no-sizes` keeps
  the recorded sweep);
- `at_inputs`: the `outputs` and `macs` of a forward pass at each further input shape of the
  case (odd, non-square, batch 2: Swin-T pads its maps to whole windows), for the cases
  that list some.

CONFIG names the configs to record (`densenet121.yaml`, …; default: all); their entries are
replaced, the others kept. Each case is also inferred by shapecli (installed or on PYTHONPATH)
and compared: the script prints both and exits 1 if any figure differs.
tests/test_configs.py checks shapecli against the record without torchvision; its tests
marked `torchvision` compare with the live models.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "reference" / "configs_torchvision.json"
INPUT = (1, 3, 224, 224)
SIZES = (1, 320)
"""The square sizes S of the sweep, inclusive: a forward pass at 1x3xSxS."""


class Case(NamedTuple):
    """A config, the --set values of one of its variants, and the torchvision model it is."""

    config: str
    model: str
    set: dict = {}
    sizes: bool = True
    """Whether to sweep the square sizes (a variant with the same layout as a swept case need not)."""
    inputs: tuple = ()
    """Further input shapes to record outputs and MACs at (besides INPUT)."""


CASES = [
    Case("densenet121.yaml", "densenet121"),
    Case("densenet121.yaml", "densenet169", {"layers3": 32, "layers4": 32}, sizes=False),
    Case("densenet121.yaml", "densenet201", {"layers3": 48, "layers4": 32}, sizes=False),
    Case(
        "densenet121.yaml",
        "densenet161",
        {"growth_rate": 48, "num_init_features": 96, "layers3": 36, "layers4": 24},
        sizes=False,
    ),
    Case("efficientnet_b0.yaml", "efficientnet_b0"),
    Case("mobilenet_v2.yaml", "mobilenet_v2"),
    Case("resnet50.yaml", "resnet50"),
    Case("resnet50.yaml", "wide_resnet50_2", {"width_per_group": 128}),
    Case("resnet50.yaml", "resnext50_32x4d", {"groups": 32, "width_per_group": 4}, sizes=False),
    Case("convnext_tiny.yaml", "convnext_tiny", inputs=((2, 3, 64, 64),)),
    Case(
        "swin_t.yaml",
        "swin_t",
        inputs=((2, 3, 100, 100), (1, 3, 37, 53), (1, 3, 4, 4), (1, 3, 320, 320)),
    ),
]


def record_case(case: Case, sweep: bool) -> dict:
    """What torchvision's model of `case` is (see the module's docstring)."""
    import torchvision

    model = torchvision.models.get_model(case.model).eval()
    meta = torchvision.models.get_model_weights(case.model).DEFAULT.meta
    outputs, macs = forward(model, INPUT)
    entry = {
        "set": case.set,
        "input": list(INPUT),
        "params": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": sum(b.numel() for b in model.buffers()),
        "macs": macs,
        "outputs": outputs,
        "published": {"params": meta["num_params"], "gmacs": meta["_ops"]},
        "state_dict": [[name, list(value.shape)] for name, value in model.state_dict().items()],
    }
    if case.inputs:
        entry["at_inputs"] = [
            dict(zip(("input", "outputs", "macs"), (list(x), *forward(model, x)))) for x in case.inputs
        ]
    if case.sizes and sweep:
        entry["sizes"] = sweep_sizes(case.model)
    return entry


def forward(model, shape: tuple) -> tuple[list, int]:
    """The output shapes of `model` at an input of zeros of `shape`, and its MACs (FlopCounterMode / 2)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = model(torch.zeros(shape))
    return [list(out.shape)], counter.get_total_flops() // 2


def sweep_sizes(name: str) -> dict:
    """Whether torchvision's model `name` runs at 1x3xSxS for each S of SIZES: the ranges that run,
    and the refusal of the largest S that does not.

    Every size runs on the meta device (PyTorch's shape functions, no arithmetic); the sizes of
    CPU_SIZES run on the CPU as well, and must agree (a full CPU sweep takes most of an hour).
    """
    import torch
    import torchvision

    on_meta = torchvision.models.get_model(name).eval().to("meta")
    on_cpu = torchvision.models.get_model(name).eval()
    runs, refusal, checked = [], None, []
    for size in range(SIZES[0], SIZES[1] + 1):
        verdict = _runs(on_meta, torch.zeros(1, 3, size, size, device="meta"))
        if cpu_checked(size):
            checked.append(size)
            on_cpu_verdict = _runs(on_cpu, torch.zeros(1, 3, size, size))
            if (verdict is None) != (on_cpu_verdict is None):
                raise SystemExit(f"{name} at {size}: the meta device says {verdict}, the CPU {on_cpu_verdict}")
        if verdict is not None:
            refusal = {"size": size, "error": verdict}
        elif runs and runs[-1][1] == size - 1:
            runs[-1][1] = size
        else:
            runs.append([size, size])
    return {"range": list(SIZES), "runs": runs, "refusal": refusal, "cpu": CPU_SIZES_TEXT}


CPU_SIZES_TEXT = "every size up to 64, every 8th above, and the last"


def cpu_checked(size: int) -> bool:
    """Whether the sweep runs size `size` on the CPU too (CPU_SIZES_TEXT)."""
    return size <= 64 or size % 8 == 0 or size == SIZES[1]


def _runs(model, x) -> str | None:
    """None if `model` runs on `x`, else the framework's refusal (its type and first line)."""
    import torch

    try:
        with torch.no_grad():
            model(x)
    except Exception as e:  # any refusal of the framework counts as "does not run"
        return f"{type(e).__name__}: {str(e).splitlines()[0]}"
    return None


def shapecli_figures(case: Case, shape: tuple = INPUT) -> dict:
    """shapecli's figures for `case` at the input `shape`, as the record has them."""
    sys.path.insert(0, str(ROOT))
    from shapecli.dims import product
    from shapecli.infer import infer
    from shapecli.spec import load_model

    text = (ROOT / "configs" / case.config).read_text()
    overrides = {name: str(value) for name, value in case.set.items()}
    trace = infer(load_model(text, case.config, "torch", overrides), [(None, tuple(shape))])
    state = [p for layer in trace.layers for p in layer.params if p.shared_with is None]
    return {
        "params": trace.totals.params,
        "buffers": sum(product(p.after) for p in state if p.buffer),
        "macs": trace.totals.macs,
        "outputs": [list(shape) for shape in trace.outputs.values()],
        "state_dict shapes": [list(p.after) for p in state],
        "errors": [e.message for e in trace.errors],
    }


def in_execution_order(model: str, state_dict: list) -> list:
    """The recorded state_dict [[name, shape], …] in the order shapecli lists a model's tensors.

    That is torchvision's order, except in Swin-T's PatchMerging, which registers its
    `reduction` (applied last) before its `norm` (applied first): a spec lists each layer's
    tensors in the order the layers run, so each `features.N.reduction.weight` moves after
    `features.N.norm.bias`. Every other tensor keeps its place.
    """
    if model != "swin_t":
        return state_dict
    ordered = list(state_dict)
    for name, shape in state_dict:
        if name.endswith(".reduction.weight"):
            ordered.remove([name, shape])
            norm_bias = name.removesuffix("reduction.weight") + "norm.bias"
            at = next(i for i, (other, _) in enumerate(ordered) if other == norm_bias)
            ordered.insert(at + 1, [name, shape])
    return ordered


def compare(case: Case, entry: dict) -> bool:
    """Print shapecli's figures next to torchvision's; whether they agree."""
    ours = shapecli_figures(case)
    theirs = {
        "params": entry["params"],
        "buffers": entry["buffers"],
        "macs": entry["macs"],
        "outputs": entry["outputs"],
        "state_dict shapes": [shape for _, shape in in_execution_order(case.model, entry["state_dict"])],
        "errors": [],
    }
    same = True
    for key in theirs:
        agree = ours[key] == theirs[key]
        same &= agree
        if key == "state_dict shapes":
            shown = f"{len(theirs[key])} tensors, shapes in order {'equal' if agree else 'DIFFERENT'}"
            print(f"  {key:18} {shown}")
        else:
            print(f"  {key:18} torchvision {theirs[key]}  shapecli {ours[key]}  {'ok' if agree else 'DIFFERENT'}")
    for at in entry.get("at_inputs", []):
        ours = shapecli_figures(case, at["input"])
        agree = [ours["outputs"], ours["macs"], ours["errors"]] == [at["outputs"], at["macs"], []]
        same &= agree
        print(
            f"  at {at['input']}: torchvision {at['outputs']} {at['macs']:,} MACs  shapecli {ours['outputs']}"
            f" {ours['macs']:,} MACs {ours['errors'] or ''} {'ok' if agree else 'DIFFERENT'}"
        )
    if "sizes" in entry:
        print(f"  sizes              runs at {entry['sizes']['runs']}; refusal {entry['sizes']['refusal']}")
    return same


def dump(record: dict) -> str:
    """The record as JSON, with each shape and each state_dict entry on one line."""
    text = json.dumps(record, indent=1)
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    text = re.sub(r'\[\s+("[^"\n]*"),\s+(\[[^\[\]\n]*\])\s+\]', r"[\1, \2]", text)
    assert json.loads(text) == record, "the compact layout changed a value"
    return text + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", help="configs to record (default: all)")
    parser.add_argument("--no-sizes", action="store_true", help="skip the sweep over square sizes")
    args = parser.parse_args(argv)
    known = sorted({case.config for case in CASES})
    unknown = [c for c in args.configs if c not in known]
    if unknown:
        parser.error(f"no case for {', '.join(unknown)}; the configs with cases: {', '.join(known)}")
    chosen = [case for case in CASES if not args.configs or case.config in args.configs]

    import torch
    import torchvision

    before = json.loads(RECORD.read_text()).get("configs", {}) if RECORD.exists() else {}
    configs = dict(before)
    for config in {case.config for case in chosen}:
        configs[config] = {}
    failures = 0
    for case in chosen:
        print(f"{case.config} {case.model} {case.set or ''}")
        entry = record_case(case, not args.no_sizes)
        previous = before.get(case.config, {}).get(case.model, {})
        if args.no_sizes and "sizes" in previous:
            entry["sizes"] = previous["sizes"]
        configs[case.config][case.model] = entry
        failures += not compare(case, entry)
    record = {
        "generated_by": "tools/record_torchvision_configs.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "configs": dict(sorted(configs.items())),
    }
    RECORD.write_text(dump(record))
    print(f"wrote {RECORD.relative_to(ROOT)} (torch {torch.__version__}, torchvision {torchvision.__version__})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
