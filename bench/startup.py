"""Wall time of `shapecli inspect` against importing its own dependencies.

    python bench/startup.py [--runs N] [--config PATH --input SHAPE]...

Runs each command N times (median reported) in fresh interpreters from this
Python, and checks that the inspect path does not import numpy. The issue's
bound: the mlp inspect within 1.5x of `import yaml, click, rich.console, rich.table`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children may cache bytecode, as an installed shapecli (and its dependencies) does."""
BASELINE = [sys.executable, "-c", "import yaml, click, rich.console, rich.table"]
NO_NUMPY = (
    "import sys, runpy; sys.argv = ['shapecli', 'inspect', {config!r}, '--input', {shape!r}];"
    "import shapecli.cli\n"
    "try:\n    shapecli.cli.main()\nexcept SystemExit:\n    pass\n"
    "assert 'numpy' not in sys.modules, 'numpy was imported'"
)


def seconds(command: list[str]) -> float:
    """Wall time of one execution of `command` (output discarded)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def medians(first: list[str], second: list[str], runs: int) -> tuple[float, float]:
    """Median wall times of two commands, run alternately so that drift hits both alike."""
    a, b = [], []
    for _ in range(runs):
        a.append(seconds(first))
        b.append(seconds(second))
    return statistics.median(a), statistics.median(b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--config", default="configs/mlp.yaml")
    parser.add_argument("--input", default="2x20")
    parser.add_argument("--bound", type=float, default=1.5, help="allowed ratio to the baseline")
    parser.add_argument("--against", default=None, help="another config to use as the baseline")
    parser.add_argument("--against-input", default="2x20")
    args = parser.parse_args()

    inspect = [sys.executable, "-m", "shapecli", "inspect", args.config, "--input", args.input]
    check = subprocess.run(
        [sys.executable, "-c", NO_NUMPY.format(config=args.config, shape=args.input)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    print(f"numpy imported on the inspect path: {'no' if check.returncode == 0 else 'YES'}")
    if args.against:
        base_command = [sys.executable, "-m", "shapecli", "inspect", args.against, "--input", args.against_input]
        base_label = f"inspect {args.against}"
    else:
        base_command, base_label = BASELINE, "import yaml, click, rich.console, rich.table"
    medians(base_command, inspect, 2)  # warm the file cache and .pyc files
    base, ours = medians(base_command, inspect, args.runs)
    ratio = ours / base
    print(f"baseline ({base_label}): {base * 1000:.1f} ms (median of {args.runs})")
    print(f"shapecli inspect {args.config} --input {args.input}: {ours * 1000:.1f} ms (median of {args.runs})")
    print(f"ratio: {ratio:.2f} (bound {args.bound})")
    return 0 if ratio <= args.bound and check.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
