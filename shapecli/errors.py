"""The one error hierarchy of shapecli.

Inner code raises short messages; the stage that knows the context (the spec
builder for positions, the propagation for the layer) adds it once. Only the
CLI maps these classes to exit codes.

    ShapecliError
    ├── SpecError    the spec text, its structure or its arguments are invalid
    ├── InputError   a command-line input (--input, a path) is invalid or missing
    └── ShapeError   shapes do not fit
"""

from __future__ import annotations

from .records import NamedTuple


class Loc(NamedTuple):
    """A 1-based position in the spec text, as editors count."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class ShapecliError(Exception):
    """Root of every problem shapecli reports to the user."""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.notes: list[str] = []
        self.file: str | None = None


class SpecError(ShapecliError):
    """The spec is invalid: bad YAML, unknown key or type, wrong value.

    `loc` is where in the text; the builder fills it in when the raiser could not.
    """

    def __init__(self, message: str, loc: Loc | None = None, *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.loc = loc

    def at(self, loc: Loc | None) -> SpecError:
        """Give the error a position unless it already has one; returns self."""
        if self.loc is None:
            self.loc = loc
        return self


class SpecErrors(SpecError):
    """Several problems in one spec, all reported at once; reads as the first of them."""

    def __init__(self, errors: list[SpecError]):
        first = errors[0]
        super().__init__(first.message, first.loc, hint=first.hint)
        self.notes = first.notes
        self.errors = errors


class InputError(ShapecliError):
    """A command-line value (an --input shape, a path) is invalid."""


class MissingInput(InputError):
    """A model input has no shape: neither the spec declares one nor --input gives one."""


class ShapeError(ShapecliError):
    """Shapes do not fit.

    Layer rules raise it with a verb phrase that completes "<Type> '<path>' …",
    e.g. "declares in_units=30 but receives (2, 20)"; the propagation adds the
    layer, its position and the shapes involved.
    """

    def __init__(self, message: str, *, expected=None, received=None, axis: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.expected = expected
        self.received = received
        self.axis = axis
        """For a clash between several inputs: the axis (negative: from the end) they disagree on."""


def did_you_mean(word: str, choices) -> str | None:
    """A hint naming the closest of `choices` to a mistyped `word`, or None."""
    import difflib  # only on the error path

    options = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return f"did you mean '{options[close[0]]}'?" if close else None


class Origin(NamedTuple):
    """What fixed a size ("filters: 128 of 'stage2/conv2'", "input 'x' from --input") and where;
    `written` marks a number written in the spec as a layer argument."""

    what: str
    file: str | None = None
    loc: Loc | None = None
    written: bool = False

    def __str__(self) -> str:
        where = f", {self.file}:{self.loc}" if self.file and self.loc else ""
        return f"{self.what}{where}"


class AxisConflict(NamedTuple):
    """One axis where the shapes disagree: the two sizes and what fixed each."""

    axis: int
    expected: object
    expected_from: Origin | None
    received: object
    received_from: Origin | None


class Diagnostic(NamedTuple):
    """A reported problem in the form renderers print: one error or warning.

    For a shape mismatch, `inputs` lists the layer's inputs as (label, shape),
    `axes` the axes that disagree (of `received`, or of the inputs), and
    `conflicts` where each disagreeing size came from.
    """

    kind: str
    """'shape_mismatch' (a layer), 'input_mismatch' (--input vs the declared input),
    'spec_error', 'input_error' (an unusable command-line value), or a warning:
    'input_dependent_param', 'unused', 'unreached_output'."""
    message: str
    file: str | None = None
    loc: Loc | None = None
    path: str | None = None
    expected: object = None
    received: object = None
    hint: str | None = None
    notes: tuple[str, ...] = ()
    inputs: tuple = ()
    axes: tuple[int, ...] = ()
    conflicts: tuple[AxisConflict, ...] = ()


def diagnostic(error: ShapecliError) -> Diagnostic:
    """The Diagnostic of a spec or input error (shape errors are made by the propagation)."""
    kind = "spec_error" if isinstance(error, SpecError) else "input_error"
    return Diagnostic(
        kind, error.message, error.file, getattr(error, "loc", None), hint=error.hint, notes=tuple(error.notes)
    )


def diagnostics(error: ShapecliError) -> list[Diagnostic]:
    """Every Diagnostic of a spec or input error (several for SpecErrors)."""
    if isinstance(error, SpecErrors):
        for each in error.errors:
            each.file = each.file or error.file
        return [diagnostic(each) for each in error.errors]
    return [diagnostic(error)]
