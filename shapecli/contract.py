"""One contract for `inspect`, `check` and `diff`: how a spec is run when the command line
does not say otherwise.

    convention   --convention, else the spec's own (`convention:` or `check: {convention}`), else torch
    inputs       --input, else the spec's `check: {inputs}`, else the declared `inputs:`

A problem with a value of the spec's `check:` key is the spec's problem, not the
command line's: it is reported as an error located at that value ("check: inputs
gives (2, 30)"), never blamed on --input. `check` also runs a spec on its declared
symbolic inputs when it was checked with concrete ones (`declared_run`), so that the
warnings and conditions only symbols reveal are not hidden by a lucky size.
"""

from __future__ import annotations

from .records import NamedTuple
from .dims import Expr, format_shape
from .errors import Diagnostic, Loc, MissingInput, Origin, SpecError, did_you_mean
from . import infer as inference
from .infer import Trace
from .spec import Model, load_model
from .yamlsrc import YMap, parse_yaml

DEFAULT_CONVENTION = "torch"
CHECK_INPUTS = "check: inputs"
"""How errors name the spec's `check:` inputs (where they say `--input` for the command line's)."""


def declared_convention(model: Model) -> str | None:
    """The convention the spec declares for itself: its top-level `convention:`, else its
    `check: {convention}`."""
    return model.declared_convention or model.check.convention


def load_spec(text: str, file: str, convention: str | None, overrides: dict | None = None) -> Model:
    """The Model of a spec under `convention` (the --convention flag) when given, else under the
    convention the spec declares, else torch; `overrides` are --set values of its parameters."""
    return load_model(text, file, convention, overrides, default=DEFAULT_CONVENTION)


class RunInputs(NamedTuple):
    """The inputs a spec is run with: `given` as `infer` takes them, and whether they came from
    the spec's `check:` key rather than the command line."""

    given: list
    from_check: bool


def run_inputs(model: Model, given: list) -> RunInputs:
    """--input when given, else the spec's `check: {inputs}` (checked against the spec's inputs,
    each problem a SpecError located at the check value), else none (the declared shapes)."""
    if given or not model.check.inputs:
        return RunInputs(list(given), False)
    names = list(model.inputs)
    locs = CheckLocations(model)
    for name, _shape in model.check.inputs:
        problem = None
        if name is None and len(names) != 1:
            problem = SpecError(
                f"{CHECK_INPUTS} gives one shape without a name, but the spec has inputs {', '.join(names)}",
                locs.value(None),
                hint="name each one: check: {inputs: {" + ", ".join(f"{n}: …" for n in names) + "}}",
            )
        elif name is not None and name not in model.inputs:
            problem = SpecError(
                f"{CHECK_INPUTS} names '{name}', but the spec's inputs are {', '.join(names)}",
                locs.key(name),
                hint=did_you_mean(name, names) or "name one of the inputs of the spec's inputs:",
            )
        if problem is not None:
            problem.file = model.file
            raise problem
    return RunInputs(list(model.check.inputs), True)


def run_spec(model: Model, given: list, dtype: str = "float32") -> tuple[Trace, RunInputs]:
    """Infer `model` with the inputs of the contract (see `run_inputs`); when they came from the
    spec's `check:` key, the errors they cause are located at its values."""
    inputs = run_inputs(model, given)
    try:
        trace = inference.infer(model, inputs.given, dtype)
    except MissingInput as e:
        if inputs.from_check:
            e.hint = "give every input a shape in check: {inputs: …} or in inputs:, or pass --input"
        raise
    if inputs.from_check:
        trace = trace._replace(errors=blame_check(model, trace.errors))
    return trace, inputs


class CheckLocations:
    """Where the values of a spec's `check: {inputs}` are written.

    The positions of the values come from the spec package (`CheckPlan.input_locs`); those of
    the keys are found again from the text when an error needs one (on the error path only).
    """

    def __init__(self, model: Model):
        self.model = model
        self._inputs = None
        self._check = None

    def _parse(self) -> None:
        if self._check is not None:
            return
        self._check = Loc(1, 1)
        try:
            root = parse_yaml(self.model.text)
        except SpecError:
            return
        if isinstance(root, YMap) and "check" in root:
            self._check = root.key_loc("check")
            plan = root["check"]
            if isinstance(plan, YMap) and "inputs" in plan:
                self._inputs = (plan, plan["inputs"])

    def value(self, name: str | None) -> Loc:
        """The position of the shape given for input `name` (None: an unnamed shape)."""
        check = self.model.check
        for (given, _), loc in zip(check.inputs, check.input_locs):
            if given == name:
                return loc
        self._parse()
        if self._inputs is None:
            return self._check
        plan, inputs = self._inputs
        if name is not None and isinstance(inputs, YMap) and name in inputs:
            return inputs.value_loc(name)
        return plan.value_loc("inputs")

    def key(self, name: str) -> Loc:
        """The position of input `name`'s key in `check: {inputs}`."""
        self._parse()
        if self._inputs is not None and isinstance(self._inputs[1], YMap) and name in self._inputs[1]:
            return self._inputs[1].key_loc(name)
        return self.value(name)


def blame_check(model: Model, errors: list[Diagnostic]) -> list[Diagnostic]:
    """The errors of a run on the spec's `check:` inputs, told as the spec's: an input that does
    not fit its declaration is located at the check value, and a size that came from it says so."""
    if not errors:
        return errors
    locs = CheckLocations(model)
    # where each input's check value is written: an unnamed value (`inputs: 2x20`) is the single input's
    written = {
        (name if name is not None else next(iter(model.inputs))): locs.value(name) for name, _ in model.check.inputs
    }
    from_flag = {f"input '{name}' from --input": name for name in written}
    result = []
    for d in errors:
        if d.kind == "input_mismatch" and d.path in written:
            declared = model.inputs[d.path].loc
            d = d._replace(
                message=d.message.replace("--input", CHECK_INPUTS),
                loc=written[d.path],
                notes=(*d.notes, f"input '{d.path}' is declared at line {declared.line}"),
            )
        if d.conflicts:
            d = d._replace(conflicts=tuple(_blame_origin(c, from_flag, written, model.file) for c in d.conflicts))
        result.append(d)
    return result


def _blame_origin(conflict, from_flag: dict, written: dict, file: str):
    """An axis conflict whose size came from a check value, saying so (and where)."""
    changes = {}
    for side in ("expected_from", "received_from"):
        origin = getattr(conflict, side)
        if origin is not None and origin.what in from_flag:
            name = from_flag[origin.what]
            changes[side] = Origin(f"input '{name}' from {CHECK_INPUTS}", file, written[name])
    return conflict._replace(**changes) if changes else conflict


def has_symbols(model: Model) -> bool:
    """Whether every input of the spec declares a shape and some declared size is a symbol."""
    shapes = [decl.shape for decl in model.inputs.values()]
    return bool(shapes) and None not in shapes and any(isinstance(d, Expr) for s in shapes for d in s)


def declared_run(model: Model, trace: Trace, inputs: RunInputs) -> Trace | None:
    """The spec run on its declared (symbolic) inputs, when it was just run on concrete ones:
    None when that would be the same run (no inputs were given) or there are no symbols."""
    if not inputs.given or not has_symbols(model):
        return None
    try:
        return inference.infer(model, [], trace.totals.dtype)
    except MissingInput:
        return None


def declared_findings(model: Model, concrete: list[Diagnostic], symbolic: list[Diagnostic]) -> list[Diagnostic]:
    """The warnings of the run on the declared inputs that the concrete run did not report,
    each with a note saying which inputs showed it."""
    seen = {(d.kind, d.loc, d.path) for d in concrete}
    declared = ", ".join(f"{name} {format_shape(decl.shape)}" for name, decl in model.inputs.items())
    note = f"found with the declared inputs ({declared}), not with the inputs checked"
    return [d._replace(notes=(*d.notes, note)) for d in symbolic if (d.kind, d.loc, d.path) not in seen]
