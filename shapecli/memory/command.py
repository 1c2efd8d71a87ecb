"""What `shapecli inspect`'s memory options do: --optimizer, --amp, --device, --memory, --budget, --solve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from ..records import NamedTuple
from .json_keys import add_memory_json
from .model import MemoryReport, Settings, memory_report

if TYPE_CHECKING:  # budget.py is imported by --budget only
    from .budget import BudgetAnswer


class MemoryRequest(NamedTuple):
    """The memory options of one inspect command."""

    dtype: str = "float32"
    optimizer: str = "adam"
    amp: str | None = None
    device: str = "cuda"
    per_layer: bool = False
    budget: str | None = None
    solve: str | None = None

    def run(self, model, trace, evaluations=()) -> MemoryResult:
        """The memory report, and the budget answer with --budget (InputError for unusable options)."""
        settings = Settings(self.dtype, self.amp, self.optimizer, self.device)
        settings.check()
        if self.solve is not None and self.budget is None:
            raise InputError("--solve needs --budget: the size to fit, e.g. --budget 24GiB --solve B")
        size = None
        if self.budget is not None:
            from .budget import parse_size, solve_budget

            size = parse_size(self.budget)
        report = memory_report(model, trace, settings)
        answer = None
        if size is not None and report is not None:
            if len(evaluations) > 1:
                raise InputError(
                    "--budget solves at one value of each other symbol, but --where gives several",
                    hint="give --where one value per symbol, e.g. --where H=224,W=224",
                )
            bindings = dict(evaluations[0].bindings) if evaluations else {}
            answer = solve_budget(trace, report, size, self.solve, bindings)
        at = []
        if report is not None:
            for evaluation in evaluations:
                where = ", ".join(f"{k}={v}" for k, v in evaluation.bindings.items())
                at.append((where, report.training_at(evaluation.bindings), report.inference_at(evaluation.bindings)))
        return MemoryResult(report, answer, self.per_layer, at)


class MemoryResult(NamedTuple):
    """A memory report (None when the shapes do not fit) and a budget answer, ready to print."""

    report: MemoryReport | None
    answer: BudgetAnswer | None
    per_layer: bool
    evaluated: list = []

    def parts(self, trace) -> list:
        """The per-layer table with --memory, the Memory section (Grids), and the budget lines (rich Text)."""
        if self.report is None:
            return []
        from .render import budget_lines, layer_memory_table, memory_section  # rich: tables only

        parts = [memory_section(self.report, self.evaluated)]
        if self.per_layer:
            parts.insert(0, layer_memory_table(trace, self.report))
        if self.answer is not None:
            parts.append(budget_lines(self.answer))
        return parts

    def add_json(self, document: dict) -> dict:
        """The inspect JSON document with the memory keys added."""
        return add_memory_json(document, self.report, self.answer)
