"""What `shapecli init` and `shapecli run` print: tables for people, JSON documents for scripts."""

from __future__ import annotations

from rich.text import Text

from .conventions import CONVENTIONS
from .dims import format_shape
from .render import JSON_SCHEMA_VERSION, Grid, diagnostic_json


def _number(value: float) -> str:
    return f"{value:.4g}"


def heading(command: str, file: str, convention: str, inputs: dict, extra: str) -> Text:
    """`shapecli run · configs/mlp.yaml · torch convention · input x (2, 20) · seed 0`."""
    unknown = CONVENTIONS[convention].unknown
    shown = ", ".join(f"{name} {format_shape(shape, unknown)}" for name, shape in inputs.items())
    return Text.assemble(
        (f"shapecli {command}", "bold"), f" · {file} · {convention} convention · input {shown}{extra}\n"
    )


def init_table(plans: list, values: dict) -> Text:
    """One row per parameter written: name, shape, initializer, and the drawn values' range and std."""
    from .run import statistics

    grid = Grid("Parameters", ["Parameter", "Shape", "Initializer", "Min", "Max", "Std"], right=(3, 4, 5))
    for plan in plans:
        s = statistics(values[plan.name])
        grid.add_row(
            plan.name, format_shape(plan.shape), plan.init.text, _number(s.min), _number(s.max), _number(s.std)
        )
    if not plans:
        grid.add_row("(no parameters)", "", "", "", "", "")
    return grid.render()


def init_json(
    file: str, convention: str, seed: int, dtype: str, output: str, plans: list, values: dict, size: int
) -> dict:
    """The JSON document of `shapecli init`."""
    from .run import statistics

    params = []
    for plan in plans:
        s = statistics(values[plan.name])
        params.append(
            {
                "name": plan.name,
                "shape": list(plan.shape),
                "dtype": str(values[plan.name].dtype),
                "init": plan.init.text,
                "min": s.min,
                "max": s.max,
                "mean": s.mean,
                "std": s.std,
            }
        )
    return {
        "schema": JSON_SCHEMA_VERSION,
        "spec": file,
        "convention": convention,
        "seed": seed,
        "dtype": dtype,
        "output": output,
        "bytes": size,
        "params": params,
    }


def _nonfinite(stats) -> str:
    if not (stats.nan or stats.inf):
        return "-"
    return ", ".join(f"{n} {what}" for n, what in ((stats.nan, "NaN"), (stats.inf, "Inf")) if n)


def run_table(result) -> Text:
    """The activation statistics, one row per input and layer output."""
    grid = Grid(
        "Activations",
        ["Layer", "Type", "Output", "Mean", "Std", "Min", "Max", "Zeros", "NaN/Inf"],
        right=(3, 4, 5, 6, 7),
    )
    for row in result.rows:
        s = row.stats
        label = row.path if row.output is None else f"{row.path}/{row.output}"
        grid.add_row(
            label,
            row.type,
            format_shape(row.shape),
            _number(s.mean),
            _number(s.std),
            _number(s.min),
            _number(s.max),
            f"{s.zeros:.1%}",
            (_nonfinite(s), "bold red") if s.nan or s.inf else "-",
        )
    return grid.render()


def outputs_text(result) -> Text:
    """`Output dense1 (2, 10)` for each model output."""
    out = Text()
    for name, array in result.outputs.items():
        out.append(f"Output {name}", style="bold")
        out.append(f" {format_shape(tuple(array.shape))}\n")
    return out


def run_json(file: str, convention: str, seed: int, data: dict, params_source: str, inputs: dict, result) -> dict:
    """The JSON document of `shapecli run`."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "spec": file,
        "convention": convention,
        "seed": seed,
        "data": data,
        "params": params_source,
        "inputs": {name: list(shape) for name, shape in inputs.items()},
        "outputs": {name: list(array.shape) for name, array in result.outputs.items()},
        "layers": [
            {
                "path": row.path,
                "type": row.type,
                "output": row.output,
                "shape": list(row.shape),
                "mean": row.stats.mean,
                "std": row.stats.std,
                "min": row.stats.min,
                "max": row.stats.max,
                "zeros": row.stats.zeros,
                "nan": row.stats.nan,
                "inf": row.stats.inf,
            }
            for row in result.rows
        ],
        "flags": [diagnostic_json(d) for d in result.flags],
    }
