"""Cost of shapecli at scale, every figure measured in this one run.

    python bench/scale.py [--quick] [--runs N]

Each case runs `shapecli` in a fresh interpreter (from this Python, with bytecode
caching on, as an installed shapecli runs) and reports wall time and peak
memory (the child's own maximum resident set). Targets:

    100,000-layer spec (`{type: Dense, units: 4}` each)  ≤ 3 s and ≤ 300 MiB, JSON and table
    10k / 100k / 1M layers                              linear: each step ×10 in time and memory (≤ ×13)
    ResNet-50 inspect                                   ≤ 1.35 × the import floor
    mlp inspect                                         ≤ 1.15 × the import floor
    check over 1,000 spec files                         ≤ 10 s
    cliffs: 8,000 pass-through layers, a Concat of 3,000 symbolic inputs, 1,000 conditions on
    one symbol, 10,000 --where combinations (and refusing more), strided 'same' towers whose
    printed size must not grow with depth                each ≤ 5 s

The import floor is `python -c "import yaml, click, rich.console, rich.table"`, timed
alternately with the command it is compared to (medians), so that machine load hits
both alike. `--quick` skips the 1M-layer case. Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
FLOOR = [sys.executable, "-c", "import yaml, click, rich.console, rich.table"]
SHAPECLI = [sys.executable, "-m", "shapecli"]
MIB = 2**20


def run(command: list[str], cwd: Path = ROOT) -> tuple[float, int, int]:
    """(wall seconds, peak resident bytes, exit code) of one run of `command`."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss * 1024, child.returncode


def medians(first: list[str], second: list[str], runs: int) -> tuple[float, float]:
    """Median wall times of two commands, run alternately."""
    a, b = [], []
    for _ in range(runs):
        a.append(run(first)[0])
        b.append(run(second)[0])
    return statistics.median(a), statistics.median(b)


class Report:
    """Collects the figures and whether each target was met."""

    def __init__(self):
        self.missed = 0

    def line(self, what: str, figure: str, ok: bool | None = None, target: str = "") -> None:
        verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
        self.missed += ok is False
        print(f"{what:<58} {figure:<34} {target}{verdict}")


def dense_spec(layers: int) -> str:
    return "layers:\n" + "  - {type: Dense, units: 4}\n" * layers


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def scale_cases(report: Report, folder: Path, quick: bool) -> None:
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    for fmt in ("json", "table"):
        figures = []
        for layers in sizes:
            path = folder / f"dense{layers}.yaml"
            if not path.exists():
                path.write_text(dense_spec(layers))
            seconds, peak, code = run([*SHAPECLI, "inspect", str(path), "--input", "2x4", "--format", fmt])
            figures.append((layers, seconds, peak))
            ok = None
            target = ""
            if layers == 100_000:
                ok, target = code == 0 and seconds <= 3 and peak <= 300 * MIB, "(≤ 3 s, ≤ 300 MiB)"
            report.line(
                f"{layers:,} Dense layers, --format {fmt}",
                f"{seconds:6.2f} s  {peak / MIB:7.1f} MiB  exit {code}",
                ok,
                target,
            )
        for (n1, t1, m1), (n2, t2, m2) in zip(figures, figures[1:]):
            ok = t2 / t1 <= 13 and m2 / m1 <= 13
            report.line(
                f"  {n2:,} / {n1:,} layers ({fmt})", f"time ×{t2 / t1:.1f}  memory ×{m2 / m1:.1f}", ok, "(≤ ×13)"
            )


def startup_cases(report: Report, runs: int) -> None:
    for config, shape, bound in (("configs/mlp.yaml", "2x20", 1.15), ("configs/resnet50.yaml", "1x3x224x224", 1.35)):
        command = [*SHAPECLI, "inspect", config, "--input", shape]
        medians(FLOOR, command, 2)  # warm caches and .pyc files
        floor, ours = medians(FLOOR, command, runs)
        report.line(
            f"inspect {config} / import floor",
            f"{ours * 1000:.0f} ms / {floor * 1000:.0f} ms = {ours / floor:.2f}",
            ours / floor <= bound,
            f"(≤ {bound})",
        )


def check_case(report: Report, folder: Path) -> None:
    specs = folder / "specs"
    specs.mkdir()
    configs = sorted((ROOT / "configs").glob("*.yaml"))
    for i in range(1_000):
        source = configs[i % len(configs)]
        shutil.copy(source, specs / f"{i:04d}_{source.name}")
    seconds, peak, code = run([*SHAPECLI, "check", str(specs)])
    report.line(
        "check over 1,000 spec files (copies of configs/)",
        f"{seconds:6.2f} s  {peak / MIB:7.1f} MiB  exit {code}",
        seconds <= 10 and code in (0, 1),
        "(≤ 10 s)",
    )


def cliff_specs() -> list[tuple[str, str, list[str], int]]:
    """(what, spec text, arguments after the file, expected exit code)."""
    chain = "layers:\n" + "  - {type: ReLU, repeat: 0}\n" * 8_000 + "  - {type: Dense, units: 3}\n"
    concat_inputs = "".join(f"  x{i}: [B, 4]\n" for i in range(3_000))
    concat = (
        "inputs:\n"
        + concat_inputs
        + "layers:\n  - {type: Concat, axis: 1, from: ["
        + ", ".join(f"x{i}" for i in range(3_000))
        + "]}\n"
    )
    distinct = "".join(f"  x{i}: [B, n{i}]\n" for i in range(3_000))
    concat_distinct = concat.replace(concat_inputs, distinct)
    conditions = "inputs: {x: [B, 4, H]}\nlayers:\n" + "  - {type: MaxPool1d, kernel_size: 2, stride: 1}\n" * 1_000
    where_values = ",".join(str(v) for v in range(1, 101))
    towers = "inputs: {x: [B, H, W, 3]}\nlayers:\n" + (
        "  - {type: Conv2d, filters: 8, kernel_size: 3, strides: 2, padding: same}\n" * 16
    )
    return [
        ("8,000 pass-through layers (repeat: 0) then Dense", chain, ["--input", "2x5"], 0),
        ("Concat of 3,000 inputs (B, 4)", concat, [], 0),
        ("Concat of 3,000 inputs (B, n_i)", concat_distinct, [], 0),
        ("1,000 conditions on one symbol (MaxPool1d chain)", conditions, [], 0),
        ("--where with 10,000 combinations", conditions, ["--where", f"B={where_values},H={where_values}"], 0),
        (
            "--where with 10,201 combinations (refused)",
            conditions,
            ["--where", f"B=0{where_values},H=1,{where_values}"],
            2,
        ),
        ("16 strided 'same' convolutions on H (keras)", towers, ["--convention", "keras"], 0),
    ]


def cliff_cases(report: Report, folder: Path) -> None:
    for i, (what, text, args, expected) in enumerate(cliff_specs()):
        path = write(folder, f"cliff{i}.yaml", text)
        seconds, peak, code = run([*SHAPECLI, "inspect", str(path), "--format", "json", *args])
        report.line(
            what,
            f"{seconds:6.2f} s  {peak / MIB:7.1f} MiB  exit {code}",
            seconds <= 5 and code == expected,
            f"(≤ 5 s, exit {expected})",
        )
    towers = write(folder, "towers.yaml", cliff_specs()[-1][1])
    result = subprocess.run(
        [*SHAPECLI, "inspect", str(towers), "--convention", "keras", "--format", "json"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    import json

    layers = json.loads(result.stdout)["layers"]
    lengths = [len(str(layer["output_shape"][1])) for layer in layers]
    report.line(
        "  printed size of H after 1, 8, 16 strided layers",
        f"{lengths[0]}, {lengths[7]}, {lengths[15]} characters",
        max(lengths) <= 3 * lengths[0] + 10,
        "(bounded)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-layer case")
    parser.add_argument("--runs", type=int, default=21, help="runs per start-up median")
    args = parser.parse_args()
    report = Report()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        startup_cases(report, args.runs)
        scale_cases(report, folder, args.quick)
        check_case(report, folder)
        cliff_cases(report, folder)
    print("all targets met" if not report.missed else f"{report.missed} target(s) missed")
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
