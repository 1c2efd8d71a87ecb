"""Conditions on input symbols: recording, simplification, evaluation."""

from __future__ import annotations

import pytest

from shapecli.conditions import Condition, Contradiction, collecting, require, simplify
from shapecli.dims import Expr, parse_dim
from shapecli.errors import ShapeError
from shapecli.infer import evaluate_at

from .helpers import run_spec

H, W, T = Expr.symbol("H"), Expr.symbol("W"), Expr.symbol("T")


def conditions(*pairs) -> list[Condition]:
    return [
        Condition(kind, parse_dim(text) if isinstance(text, str) else text, f"layer{i}")
        for i, (kind, text) in enumerate(pairs)
    ]


# (kind, expression) conditions → the statements people read
CASES = [
    ([("eq", H - 2 * (H // 2))], ["H % 2 == 0"]),
    (
        [
            ("eq", H // 8 - 2 * (H // 16)),
            ("eq", H // 4 - 2 * (H // 8)),
            ("eq", H // 2 - 2 * (H // 4)),
            ("eq", H - 2 * (H // 2)),
        ],
        ["H % 16 == 0"],
    ),
    ([("ge", H - 32)], ["H >= 32"]),
    ([("ge", 512 - T)], ["T <= 512"]),
    ([("eq", H - 64)], ["H == 64"]),
    ([("eq", H // 2 - 5)], ["H >= 10", "H <= 11"]),
    ([("ge", (H - 7) // 2)], ["H >= 7"]),
    ([("ge", H - 20), ("eq", H % 16)], ["H >= 32", "H % 16 == 0"]),
    ([("ge", H - 10), ("eq", H % 16)], ["H % 16 == 0"]),
    ([("eq", H - W)], ["H == W"]),
    ([("eq", (H + 2) // 3 + 1 - H)], ["H == 2"]),
    ([("eq", H % 4 - 1)], ["H % 4 == 1"]),
    ([("ge", 1 - H % 4)], ["H % 4 < 2"]),
    ([("ge", H % 4 - 1)], ["H % 4 != 0"]),
    ([("eq", H - W), ("eq", H - W)], ["H == W"]),
]


@pytest.mark.parametrize("given, texts", CASES)
def test_simplify(given, texts):
    assert [r.text for r in simplify(conditions(*given))] == texts


@pytest.mark.parametrize(
    "given",
    [
        [("eq", H // 2 - H)],  # only H = 0
        [("eq", H - 3), ("eq", H % 2)],  # 3 is odd
        [("ge", H - 10), ("ge", 5 - H)],  # no H in [10, 5]
    ],
)
def test_contradictions(given):
    with pytest.raises(Contradiction) as caught:
        simplify(conditions(*given))
    assert "no size H satisfies" in caught.value.message
    assert caught.value.origin == f"layer{len(given) - 1}"


def test_requirements_test_values_exactly():
    (requirement,) = simplify(
        conditions(
            ("eq", H // 8 - 2 * (H // 16)),
            ("eq", H - 2 * (H // 2)),
            ("eq", H // 4 - 2 * (H // 8)),
            ("eq", H // 2 - 2 * (H // 4)),
        )
    )
    assert [h for h in range(1, 100) if requirement.test({"H": h})] == [16, 32, 48, 64, 80, 96]
    assert requirement.test({}) is None


def test_require_records_undecided_and_raises_impossible():
    with collecting("fc") as found:
        require("eq", H - W, "needs H == W")
        require("ge", H + 1, "always true")
        require("eq", H - H, "decided")
    assert found == [Condition("eq", H - W, "fc")]
    with pytest.raises(ShapeError) as caught:
        require("eq", H + 1, "needs H + 1 == 0")
    assert caught.value.message == "needs H + 1 == 0, which never holds"


def test_unet_output_and_divisibility():
    from pathlib import Path

    trace = run_spec((Path(__file__).parent.parent / "configs" / "unet.yaml").read_text(), "1x3xHxW")
    assert trace.outputs == {"outc": (1, 2, H, W)}
    assert [r.text for r in trace.requires] == ["H % 16 == 0", "W % 16 == 0"]
    ok = evaluate_at(trace, {"H": 256, "W": 256})
    assert ok.violated == [] and ok.outputs == {"outc": (1, 2, 256, 256)}
    bad = evaluate_at(trace, {"H": 250, "W": 256})
    assert [r.text for r in bad.violated] == ["H % 16 == 0"]


def test_a_condition_that_never_holds_is_a_mismatch():
    trace = run_spec(
        """
        inputs: {x: [1, 3, H, W]}
        layers:
          - {name: down, type: MaxPool2d, kernel_size: 2}
          - {name: cat, type: Concat, from: [x, down]}
        """
    )
    (error,) = trace.errors
    assert error.path == "cat"
    assert error.message == "Concat 'cat' needs H == floor(H/2), which no size H satisfies"


def test_declared_size_against_a_symbol_is_a_condition():
    trace = run_spec("layers: [{type: Dense, units: 4, in_units: 20}]\n", "BxC")
    assert [r.text for r in trace.requires] == ["C == 20"]
    assert [r.origins for r in trace.requires] == [("dense0",)]
