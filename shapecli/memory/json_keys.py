"""The memory report and the budget answer as keys of the inspect JSON document (no rich: a
JSON command does not import it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..dims import dim_to_json
from .model import MemoryReport

if TYPE_CHECKING:  # budget.py is imported by --budget only
    from .budget import BudgetAnswer, Solved


def memory_json(report: MemoryReport | None) -> dict | None:
    """`totals.memory`: bytes (integers, or expression strings when symbolic) and the settings."""
    if report is None:
        return None
    settings = report.settings
    return {
        "params": dim_to_json(report.params),
        "buffers": dim_to_json(report.buffers),
        "gradients": dim_to_json(report.gradients),
        "optimizer_state": dim_to_json(report.optimizer_state),
        "compute_copy": dim_to_json(report.compute_copy),
        "activations": dim_to_json(report.activations),
        "training": dim_to_json(report.training),
        "inference_peak": dim_to_json(report.inference_peak),
        "inference_peak_at": [path for path, _ in report.peaks],
        "dtype": settings.dtype,
        "amp": settings.amp,
        "optimizer": settings.optimizer,
        "device": settings.device,
    }


def layer_memory_json(memory) -> dict:
    """A layer's `memory`: bytes it is first to keep for backward, what it keeps, bytes alive in inference."""
    return {"saved": dim_to_json(memory.saved), "keeps": list(memory.keeps), "alive": dim_to_json(memory.alive)}


def budget_json(answer: BudgetAnswer) -> dict:
    """`budget`: the symbol solved for, the largest values that fit, and the bytes there."""

    def largest(solved: Solved | None):
        return None if solved is None else solved.largest

    def at(solved: Solved | None):
        return None if solved is None or solved.bytes is None else dim_to_json(solved.bytes)

    return {
        "symbol": answer.symbol,
        "budget": f"{answer.size.number}{answer.size.unit if answer.size.unit != 'bytes' else ''}",
        "budget_bytes": answer.size.bytes,
        "base": answer.size.base,
        "training_max": largest(answer.training),
        "inference_max": largest(answer.inference),
        "bytes_at_max": {"training": at(answer.training), "inference": at(answer.inference)},
        "fits": {
            "training": None if answer.training is None else answer.training.fits,
            "inference": None if answer.inference is None else answer.inference.fits,
        },
        "missing": answer.missing,
    }


def add_memory_json(document: dict, report: MemoryReport | None, answer: BudgetAnswer | None) -> dict:
    """The inspect document with `totals.memory`, each layer's `memory`, and `budget` (with --budget)."""
    from ..render.json import LayerRows, Rows

    if document.get("totals") is not None:
        document["totals"]["memory"] = memory_json(report)
    if report is not None:
        layers = document["layers"]
        if isinstance(layers, LayerRows):  # streamed: each layer's memory is written after the rest
            document["layers"] = layers.with_memory(report.layers, layer_memory_json)
        elif isinstance(layers, Rows):  # streamed: add each layer's memory as it is written
            document["layers"] = Rows(
                {**layer, "memory": layer_memory_json(memory)} for layer, memory in zip(layers.items, report.layers)
            )
        else:
            for layer, memory in zip(layers, report.layers):
                layer["memory"] = layer_memory_json(memory)
    if answer is not None:
        document["budget"] = budget_json(answer)
    return document
