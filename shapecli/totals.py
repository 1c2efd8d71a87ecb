"""The totals a run is summed up by, where runs are compared or listed: `check`'s JSON, `diff`.

`memory_of` is the hook of the memory issue: it returns what a training step needs
(in bytes, a Dim) once shapecli computes memory, and None until then; every reader
of `RunTotals.memory` (check's JSON, diff's deltas and tables) already shows it when
it is not None.
"""

from __future__ import annotations

from .records import NamedTuple
from .dims import UNKNOWN, Dim, Expr


class RunTotals(NamedTuple):
    """Counts over a whole model: parameters (trainable and not), PyTorch buffers (listed, not
    counted as parameters), parameter bytes in `dtype`, MACs, and memory (None: not computed)."""

    params: Dim
    trainable: Dim
    non_trainable: Dim
    buffers: Dim
    bytes: Dim
    dtype: str
    macs: Dim
    memory: Dim | None = None


def run_totals(model, trace, memory: bool = True) -> RunTotals:
    """The totals of `trace` (an infer.Trace of `model`); without `memory`, its memory is not
    computed (None)."""
    totals = trace.totals
    buffers: Dim = 0
    for layer in trace.layers:
        for p in layer.params:
            if p.buffer:
                buffers = buffers + (UNKNOWN if p.count is None else p.count)
    return RunTotals(
        totals.params,
        totals.trainable,
        totals.non_trainable,
        buffers,
        totals.bytes,
        totals.dtype,
        totals.macs,
        memory_of(model, trace) if memory else None,
    )


def memory_of(model, trace) -> Dim | None:
    """What a training step of `model` needs, in bytes (Adam, the trace's dtype; None when the
    shapes do not fit)."""
    from .memory.command import MemoryRequest

    report = MemoryRequest(trace.totals.dtype).run(model, trace).report
    return None if report is None else report.training


def evaluated_totals(totals, bindings: dict[str, int]):
    """`totals` (an infer.Totals or a RunTotals) at these symbol values (`--where`): each count
    that is a formula of the symbols evaluated."""
    counts = [
        key
        for key in ("params", "trainable", "non_trainable", "buffers", "bytes", "macs", "memory")
        if hasattr(totals, key)
    ]
    return totals._replace(**{key: _at(getattr(totals, key), bindings) for key in counts})


def _at(value, bindings: dict[str, int]):
    return value.evaluate(bindings) if isinstance(value, Expr) else value
