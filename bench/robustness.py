"""Time shapecli on hostile inputs: a 100,000-layer spec, an alias bomb, a 10^6-axis shape.

    python bench/robustness.py

Each case runs `shapecli` in a fresh interpreter (from this Python) on a file
written to a temporary folder, and reports its wall time and exit code. The
issue's bounds: the 100,000-layer spec checked in under 10 s, the alias bomb
refused within 1 s. Exits 1 if a bound is missed or an exit code is unexpected.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def big_spec(layers: int) -> str:
    body = "".join(
        f"  - {{type: Dense, units: {8 + i % 8}}}\n" if i % 2 == 0 else "  - {type: ReLU}\n" for i in range(layers)
    )
    return f"inputs: {{x: [batch, 16]}}\nlayers:\n{body}"


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\nlayers: [{type: ReLU}]\n"


def huge_shape() -> str:
    return "inputs:\n  x: [" + ", ".join(["1"] * 1_000_000) + "]\nlayers: [{type: ReLU}]\n"


# name, file text, command after the file, expected exit code, bound in seconds
CASES = [
    ("100,000-layer spec, check", big_spec(100_000), ["check"], 0, 10.0),
    ("100,000-layer spec, inspect --format json", big_spec(100_000), ["inspect", "--format", "json"], 0, None),
    ("alias bomb (10^9 nodes), inspect", alias_bomb(), ["inspect", "--input", "2x3"], 2, 1.0),
    ("10^6-axis input shape, inspect", huge_shape(), ["inspect"], 2, None),
]


def main() -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for i, (name, text, command, expected, bound) in enumerate(CASES):
            path = Path(folder) / f"case{i}.yaml"
            path.write_text(text)
            args = [sys.executable, "-m", "shapecli", command[0], str(path), *command[1:]]
            start = time.perf_counter()
            result = subprocess.run(args, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            ok = result.returncode == expected and (bound is None or seconds <= bound)
            failed += not ok
            limit = f" (bound {bound:g} s)" if bound else ""
            print(
                f"{name}: {seconds:.2f} s{limit}, exit {result.returncode} (expected {expected}) "
                f"{'ok' if ok else 'FAILED'}"
            )
            if result.returncode == expected == 2:
                print("   ", result.stderr.splitlines()[0][:150])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
