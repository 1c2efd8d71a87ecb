"""The one table of diagnostic kinds: every problem shapecli reports, with its code,
severity and title (as ruff's rules and mypy's error codes).

The renderer, `check`, the JSON documents, the exit codes and the README's list
all read this table; a diagnostic names its kind, and nothing else decides how
serious it is.
"""

from __future__ import annotations

from .records import NamedTuple


class Kind(NamedTuple):
    """One kind of diagnostic.

    `code` is stable and searchable (`E101`); `severity` is 'error', 'warning' or
    'note'; `exit_code` is what an error of this kind makes the command return
    (warnings return 0 unless --strict); `label` heads the path line of the report.
    """

    name: str
    code: str
    severity: str
    exit_code: int
    label: str
    title: str


EXIT_OK, EXIT_MISMATCH, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # errors in the shapes: exit 1
        Kind("shape_mismatch", "E101", "error", EXIT_MISMATCH, "layer", "a layer's input shapes do not fit it"),
        Kind("input_mismatch", "E102", "error", EXIT_MISMATCH, "input", "an --input does not fit the declared input"),
        Kind("where_violation", "E103", "error", EXIT_MISMATCH, "layer", "a --where value violates a condition"),
        Kind("assertion_failed", "E104", "error", EXIT_MISMATCH, "layer", "an expect: in the spec does not hold"),
        Kind("memory_limit", "E105", "error", EXIT_MISMATCH, "check", "training needs more than check: max_memory"),
        # errors in the spec or the command line: exit 2
        Kind("spec_error", "E201", "error", EXIT_INVALID, "layer", "the spec is invalid (YAML, keys, types, values)"),
        Kind("input_error", "E301", "error", EXIT_INVALID, "input", "a command-line value is unusable"),
        Kind("build_error", "E401", "error", EXIT_INVALID, "layer", "the spec cannot be built in that framework"),
        Kind(
            "stale_export", "E402", "error", EXIT_MISMATCH, "file", "an exported source is not what export writes now"
        ),
        # warnings: exit 0 (1 with check --strict)
        Kind(
            "input_dependent_param",
            "W101",
            "warning",
            EXIT_OK,
            "param",
            "a parameter's size depends on an input size",
        ),
        Kind("unused", "W102", "warning", EXIT_OK, "name", "a layer or input that nothing uses"),
        Kind("unreached_output", "W103", "warning", EXIT_OK, "output", "an output an error upstream leaves unshaped"),
        Kind("not_inferred", "W104", "warning", EXIT_OK, "spec", "check validated a spec without input shapes"),
        Kind("not_a_spec", "W105", "warning", EXIT_OK, "file", "check was named a YAML file that is not a spec"),
        # lints (shapecli/lints.py): shapes that fit, but probably not as meant
        Kind("equated_symbols", "W201", "warning", EXIT_OK, "layer", "a condition makes two input sizes equal"),
        Kind("missing_flatten", "W202", "warning", EXIT_OK, "layer", "a Dense on a conv or pooling output"),
        Kind("concat_batch_axis", "W203", "warning", EXIT_OK, "layer", "a Concat joins the batch axis"),
        Kind(
            "norm_input_dependent",
            "W204",
            "warning",
            EXIT_OK,
            "layer",
            "a normalization's parameters depend on an input size",
        ),
        Kind("channels_layout", "W205", "warning", EXIT_OK, "layer", "an input laid out for the other convention"),
        # warnings of `shapecli run` (numpy forward pass)
        Kind("activation_nonfinite", "W301", "warning", EXIT_OK, "layer", "a layer's output has NaN or Inf"),
        Kind("activation_dead", "W302", "warning", EXIT_OK, "layer", "a ReLU-like output is all zeros"),
        Kind(
            "activation_scale",
            "W303",
            "warning",
            EXIT_OK,
            "layer",
            "activations shrink or grow more than 10x across the depth",
        ),
        # notes
        Kind("more_errors", "N001", "note", EXIT_OK, "", "errors beyond --max-errors, counted"),
    )
}


def kind_of(name: str) -> Kind:
    """The Kind called `name`; an unknown name is a bug in shapecli."""
    return KINDS[name]


def is_warning(name: str) -> bool:
    """Whether diagnostics of kind `name` are warnings (or notes), not errors."""
    return KINDS[name].severity != "error"


def markdown() -> str:
    """The table as Markdown (what the README embeds)."""
    lines = ["| code | kind | severity | exit | what it means |", "| --- | --- | --- | --- | --- |"]
    for kind in KINDS.values():
        exit_code = str(kind.exit_code) if kind.severity == "error" else "0"
        lines.append(f"| `{kind.code}` | `{kind.name}` | {kind.severity} | {exit_code} | {kind.title} |")
    return "\n".join(lines) + "\n"
