"""The Python API: load a spec, infer its shapes, build it in PyTorch or Keras, export its source.

    import shapecli

    spec = shapecli.load("configs/mlp.yaml")
    result = spec.infer(x=(2, 20))          # or x="2x20", x="Bx20"
    result.totals.params                    # 7946
    result.layer("dense0").params[0].after  # (256, 20)

    model = shapecli.build_torch("configs/resnet50.yaml")      # a torch.nn.Module
    model = shapecli.build_torch("configs/mlp.yaml", x=(2, 20))

A `Result` holds what `shapecli inspect --format json` prints, as frozen dataclasses
(dims: int, str for a symbolic size, None for unknown). Problems raise `SpecError`,
`InputError`, `ShapeError` (or `BuildError`, a SpecError), each with `.diagnostics`
located as the command line shows them; `str()` renders them as it does, without colour.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import errors as _errors
from .dims import UNKNOWN, parse_dim, parse_shape
from .errors import Loc

Dim = int | str | None
"""A size: an int, a symbolic expression as text ('batch', 'floor((H + 1)/2)'), or None (unknown)."""

Shape = tuple[Dim, ...]

CONVENTIONS = ("torch", "keras", "mxnet")
FRAMEWORKS = {"torch": ("PyTorch", "torch"), "keras": ("Keras", "keras")}
"""Framework → (its name, the extra that installs it)."""


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter (or PyTorch buffer) of a layer, named as the convention names it.

    `before`/`after`: its shape before and after inference; `count`: elements counted for
    this use (0 for a later use of a shared or tied parameter, None when the layer failed);
    `shared_with`: the name it is shared with or tied to."""

    name: str
    before: Shape | None
    after: Shape | None
    count: Dim
    trainable: bool
    buffer: bool
    shared_with: str | None


@dataclass(frozen=True)
class Layer:
    """One layer as inferred: its path through blocks and repeat copies, type, position in
    the spec, state ('ok', 'error', 'skipped'), shapes, parameters, count and MACs."""

    path: str
    type: str
    line: int
    column: int
    state: str
    input_shapes: tuple[Shape, ...] | None
    output_shape: Shape | None
    output_shapes: dict[str, Shape | None] | None
    params: tuple[Param, ...]
    count: Dim
    macs: Dim
    status_before: str


@dataclass(frozen=True)
class Totals:
    """Counts over the whole model (None where a size stays unknown)."""

    params: Dim
    trainable: Dim
    non_trainable: Dim
    bytes: Dim
    dtype: str
    macs: Dim


@dataclass(frozen=True)
class Requirement:
    """A condition on the input symbols under which the shapes fit, and the layers that need it."""

    condition: str
    layers: tuple[str, ...]


@dataclass(frozen=True)
class Origin:
    """What fixed a size ("filters: 128 of 'stage2'", "input 'x' from --input") and where."""

    what: str
    file: str | None
    line: int | None
    column: int | None


@dataclass(frozen=True)
class AxisOrigin:
    """One axis where shapes disagree: the two sizes and where each came from."""

    axis: int
    expected: Dim
    expected_from: Origin | None
    received: Dim
    received_from: Origin | None


@dataclass(frozen=True)
class InputShape:
    """One input of a layer in a mismatch: how the spec wrote it (`label`) and its shape."""

    label: str
    shape: Shape | None


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, located in the spec; `str()` renders it as the command line does."""

    kind: str
    severity: str
    file: str | None
    line: int | None
    column: int | None
    path: str | None
    message: str
    expected: object
    received: object
    inputs: tuple[InputShape, ...]
    axes: tuple[int, ...]
    origins: tuple[AxisOrigin, ...]
    hint: str | None
    notes: tuple[str, ...]
    _source: object = field(default=None, repr=False, compare=False)
    _text: str | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return _render([self._source], self._text) if self._source is not None else self.message


@dataclass(frozen=True)
class Result:
    """Everything inference found, as `shapecli inspect --format json` prints it."""

    spec: str
    convention: str
    inputs: dict[str, Shape]
    outputs: dict[str, Shape | None]
    layers: tuple[Layer, ...]
    totals: Totals
    errors: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    requires: tuple[str, ...]
    requirements: tuple[Requirement, ...]
    input_dependent_params: tuple[str, ...]
    _document: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether every shape fits."""
        return not self.errors

    def layer(self, path: str) -> Layer:
        """The layer at `path` ('dense0', 'layer1/rest.0/conv1')."""
        for layer in self.layers:
            if layer.path == path:
                return layer
        raise KeyError(f"no layer '{path}' (layers: {', '.join(layer.path for layer in self.layers[:8])}…)")

    def params(self) -> list[Param]:
        """Every parameter and buffer, in graph order."""
        return [p for layer in self.layers for p in layer.params]

    def to_json(self) -> dict:
        """The JSON document `shapecli inspect --format json` prints."""
        return self._document

    @property
    def memory(self) -> dict | None:
        """Training and inference memory in bytes (Adam, the spec's dtype): params, buffers,
        gradients, optimizer_state, activations, training, inference_peak (None when the shapes
        do not fit; a value is an expression string when it depends on a symbol)."""
        return (self._document.get("totals") or {}).get("memory")


def _shape(value) -> Shape | None:
    return None if value is None else tuple(value)


def _shapes(value):
    if value is None or not value or not isinstance(value[0], list):
        return _shape(value)
    return tuple(_shape(s) for s in value)


def _origin(value: dict | None) -> Origin | None:
    return None if value is None else Origin(value["what"], value["file"], value["line"], value["column"])


def _diagnostic(source: _errors.Diagnostic, text: str | None) -> Diagnostic:
    from .render import diagnostic_json

    d = diagnostic_json(source)
    return Diagnostic(
        d["kind"],
        d["severity"],
        d["file"],
        d["line"],
        d["column"],
        d["path"],
        d["message"],
        _shapes(d["expected"]),
        _shapes(d["received"]),
        tuple(InputShape(i["from"], _shape(i["shape"])) for i in d["inputs"]),
        tuple(d["axes"]),
        tuple(
            AxisOrigin(
                o["axis"], o["expected"], _origin(o["expected_from"]), o["received"], _origin(o["received_from"])
            )
            for o in d["origins"]
        ),
        d["hint"],
        tuple(d["notes"]),
        source,
        text,
    )


def _result(trace, text: str | None, model=None, dtype: str = "float32") -> Result:
    from .memory.command import MemoryRequest
    from .render import inspect_document

    doc = inspect_document(trace)
    doc["layers"] = list(doc["layers"].items)
    if model is not None:
        MemoryRequest(dtype).run(model, trace).add_json(doc)
    layers = tuple(
        Layer(
            item["path"],
            item["type"],
            item["line"],
            item["column"],
            item["state"],
            _shapes(item["input_shapes"]) if item["input_shapes"] is not None else None,
            _shape(item["output_shape"]),
            {k: _shape(v) for k, v in item["output_shapes"].items()} if "output_shapes" in item else None,
            tuple(
                Param(
                    p["name"],
                    _shape(p["before"]),
                    _shape(p["after"]),
                    p["count"],
                    p["trainable"],
                    p["buffer"],
                    p["shared_with"],
                )
                for p in item["params"]
            ),
            item["count"],
            item["macs"],
            item["status_before"],
        )
        for item in doc["layers"]
    )
    return Result(
        doc["spec"],
        doc["convention"],
        {k: _shape(v) for k, v in doc["inputs"].items()},
        {k: _shape(v) for k, v in doc["outputs"].items()},
        layers,
        Totals(**{k: v for k, v in doc["totals"].items() if k != "memory"}),
        tuple(_diagnostic(d, text) for d in trace.errors),
        tuple(_diagnostic(d, text) for d in trace.warnings),
        tuple(doc["requires"]),
        tuple(Requirement(r["condition"], tuple(r["layers"])) for r in doc["requirements"]),
        tuple(doc["input_dependent_params"]),
        doc,
    )


# -- errors ------------------------------------------------------------------------------


def _render(sources: list, text: str | None) -> str:
    from .render import render_diagnostic

    return "\n".join(render_diagnostic(d, text).plain for d in sources)


class _Reported:
    """Mixin of the API's errors: the located diagnostics and their rendering."""

    diagnostics: tuple[Diagnostic, ...]

    def _report(self, sources: list, text: str | None) -> None:
        self.diagnostics = tuple(_diagnostic(d, text) for d in sources)
        self._sources, self._text = list(sources), text
        first = sources[0]
        self.file, self.loc = first.file, first.loc

    def __str__(self) -> str:
        return _render(self._sources, self._text)


class SpecError(_Reported, _errors.SpecError):
    """The spec is invalid: bad YAML, an unknown type or argument, a wrong value."""

    def __init__(self, sources: list, text: str | None = None):
        _errors.SpecError.__init__(self, sources[0].message, sources[0].loc, hint=sources[0].hint)
        self._report(sources, text)


class BuildError(SpecError):
    """The spec is valid but cannot be built in the framework: a layer type or an argument
    without a counterpart there, a convention of another framework."""


class InputError(_Reported, _errors.InputError):
    """An input shape is missing, unusable, or names no input of the spec."""

    def __init__(self, sources: list, text: str | None = None):
        _errors.InputError.__init__(self, sources[0].message, hint=sources[0].hint)
        self._report(sources, text)


class ShapeError(_Reported, _errors.ShapeError):
    """The shapes do not fit for the given inputs; `.result` has the whole inference."""

    def __init__(self, sources: list, text: str | None = None, result: Result | None = None):
        _errors.ShapeError.__init__(self, sources[0].message, hint=sources[0].hint)
        self._report(sources, text)
        self.result = result


class FrameworkMissing(ImportError):
    """The framework a builder needs is not installed; the message names the extra."""


def _source(error, kind: str) -> _errors.Diagnostic:
    """The Diagnostic of an internal error (which may carry the layer path)."""
    return _errors.Diagnostic(
        kind,
        error.message,
        error.file,
        getattr(error, "loc", None),
        getattr(error, "path", None),
        hint=error.hint,
        notes=tuple(error.notes),
    )


def _raise_as_api(error, text: str | None):
    """Re-raise an internal error as the API's class of it, located."""
    from .plan import BuildError as PlanBuildError

    if isinstance(error, PlanBuildError):
        raise BuildError([_source(e, "build_error") for e in (error, *error.others)], text) from None
    if isinstance(error, _errors.SpecError):
        raise SpecError([_source(error, "spec_error")], text) from None
    raise InputError([_source(error, "input_error")], text) from None


# -- specs --------------------------------------------------------------------------------


class Spec:
    """A loaded spec: its file, text and convention; infer, build and export from it.

    Input shapes are given as keywords (`x=(2, 20)`, `x="Bx20"`, `image=(1, 3, None, None)`)
    or as one mapping (`{"input-ids": (2, 128)}`, for names that are not identifiers); a
    spec with one input also takes its shape alone (`spec.infer((2, 20))`).
    """

    def __init__(self, model, text: str, dtype: str = "float32"):
        self._model, self.text, self.dtype = model, text, dtype

    @property
    def file(self) -> str:
        """The spec's file name ('<text>' for a spec given as text)."""
        return self._model.file

    @property
    def convention(self) -> str:
        """The convention it was loaded under: torch, keras or mxnet."""
        return self._model.convention

    @property
    def inputs(self) -> dict[str, Shape | None]:
        """Each input's declared shape (None: only a given shape says it)."""
        from .dims import dim_to_json

        return {
            name: None if decl.shape is None else tuple(dim_to_json(d) for d in decl.shape)
            for name, decl in self._model.inputs.items()
        }

    @property
    def sha256(self) -> str:
        """The sha256 of the spec's text (what an exported file records)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def infer(self, inputs=None, /, **shapes) -> Result:
        """Infer every shape for the given inputs (declared shapes fill in the rest).

        Raises InputError (an input without a shape, an unknown name, a bad shape) and
        ShapeError (shapes that do not fit; `.result` has the whole inference).
        """
        from .infer import infer

        given = self._named(_given(inputs, shapes))
        missing = [name for name, decl in self._model.inputs.items() if decl.shape is None and name not in dict(given)]
        if missing:
            decl = self._model.inputs[missing[0]]
            message = f"no shape for the input '{missing[0]}': the spec does not declare one"
            hint = f"give it, e.g. infer({missing[0]}=(2, 20)) with its real sizes"
            raise InputError([_errors.Diagnostic("input_error", message, self.file, decl.loc, hint=hint)], self.text)
        try:
            trace = infer(self._model, given, self.dtype)
        except _errors.ShapecliError as e:
            _raise_as_api(e, self.text)
        result = _result(trace, self.text, self._model, self.dtype)
        if trace.errors:
            raise ShapeError(list(trace.errors), self.text, result)
        return result

    def build_torch(self, inputs=None, /, **shapes):
        """This spec as a torch.nn.Module (see `shapecli.build_torch`)."""
        return build_torch(self, inputs, **shapes)

    def build_keras(self, inputs=None, /, **shapes):
        """This spec as a keras.Model (see `shapecli.build_keras`)."""
        return build_keras(self, inputs, **shapes)

    def export(self, to: str, inputs=None, /, **shapes) -> str:
        """Standalone source of this spec's model in `to` ('torch' or 'keras'): see `shapecli export`."""
        from .export import export_source

        plan = self._plan(to, _given(inputs, shapes))
        return export_source(plan, self.sha256)

    def _plan(self, framework: str, given: list):
        """The build plan for `framework`, with the API's errors."""
        from .plan import PlanShapeError, make_plan

        if framework not in FRAMEWORKS:
            raise ValueError(f"no framework {framework!r}: torch or keras")
        _check_convention(self, framework)
        given = self._named(given)
        backend = _backend(framework)
        try:
            return make_plan(self._model, given, framework, backend)
        except PlanShapeError as e:
            raise ShapeError(list(e.trace.errors), self.text, _result(e.trace, self.text)) from None
        except _errors.ShapecliError as e:
            _raise_as_api(e, self.text)

    def _named(self, given: list) -> list[tuple[str, tuple]]:
        """The given shapes by input name: an unnamed shape is the single input's; a name
        must be one of the spec's inputs, given once."""
        names = list(self._model.inputs)
        named = []
        for name, dims in given:
            if name is None:
                if len(names) != 1:
                    message = f"the spec has inputs {', '.join(names)}: give each by name, e.g. {names[0]}=(…)"
                    raise InputError([_errors.Diagnostic("input_error", message, self.file)], self.text)
                name = names[0]
            if name not in names or name in dict(named):
                what = (
                    "is given twice"
                    if name in dict(named)
                    else f"is no input of the spec (its inputs: {', '.join(names)})"
                )
                hint = _errors.did_you_mean(name, names)
                raise InputError(
                    [_errors.Diagnostic("input_error", f"'{name}' {what}", self.file, hint=hint)], self.text
                )
            named.append((name, dims))
        return named

    def __repr__(self) -> str:
        return f"<shapecli.Spec {self.file} ({self.convention} convention)>"


def load(path_or_text, convention: str | None = None, *, dtype: str = "float32", set: dict | None = None) -> Spec:
    """Load a spec from a file path (str or os.PathLike) or from YAML text.

    A str is taken as YAML text when it has a line break, or a ':' and no such file exists.
    `convention` (torch, keras, mxnet) defaults to the one the spec pins in its
    `check: {convention}` key, else torch. `dtype` is the element type of the byte counts;
    `set` gives values to the spec's model parameters (its top-level `params:`), as --set does.
    Raises SpecError (invalid spec) or InputError (unreadable file).
    """
    from .conventions import DTYPE_BYTES

    if convention is not None and convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}")
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPE_BYTES)}, not {dtype!r}")
    file, text = _read(path_or_text)
    return load_text(text, file, convention, dtype=dtype, overrides=set)


def load_text(
    text: str,
    file: str,
    convention: str | None = None,
    *,
    default: str = "torch",
    dtype: str = "float32",
    overrides: dict | None = None,
):
    """A Spec from YAML text shown as `file`: under `convention`, else the one the spec pins
    in `check: {convention}`, else `default`."""
    from .spec import load_model

    try:
        model = load_model(text, file, convention, overrides, default=default)
    except _errors.ShapecliError as e:
        _raise_as_api(e, text)
    return Spec(model, text, dtype)


def _read(path_or_text) -> tuple[str, str]:
    """(file name, text) of a path or of YAML text."""
    from .yamlsrc import read_spec

    if isinstance(path_or_text, str) and _is_text(path_or_text):
        return "<text>", path_or_text
    try:
        return read_spec(os.fspath(path_or_text))
    except _errors.ShapecliError as e:
        _raise_as_api(e, None)


def _is_text(value: str) -> bool:
    return "\n" in value or (":" in value and not os.path.exists(value))


def _given(inputs, shapes: dict) -> list[tuple[str | None, tuple]]:
    """(name or None, dims) pairs from the API's ways of giving input shapes."""
    pairs = []
    if inputs is not None:
        if isinstance(inputs, Mapping):
            pairs += list(inputs.items())
        else:
            pairs.append((None, inputs))
    pairs += list(shapes.items())
    try:
        return [(name, _dims(value)) for name, value in pairs]
    except _errors.InputError as e:
        raise InputError([_source(e, "input_error")]) from None


def _dims(value) -> tuple:
    """A shape from '2x20' / 'Bx3xHxW', or a tuple/list of ints, symbol names and None."""
    if isinstance(value, str):
        return parse_shape(value)
    if not isinstance(value, (tuple, list)):
        raise _errors.InputError(f"a shape is a tuple such as (2, 20) or a string such as '2x20', not {value!r}")
    dims = []
    for d in value:
        if d is None:
            dims.append(UNKNOWN)
        elif isinstance(d, bool) or not isinstance(d, (int, str)):
            raise _errors.InputError(f"a dimension is an int, a symbol name or None, not {d!r} (in {tuple(value)})")
        elif isinstance(d, int):
            if d < 0:
                raise _errors.InputError(f"a dimension is at least 0, not {d} (in {tuple(value)})")
            dims.append(d)
        else:
            dims.append(parse_dim(d))
    return tuple(dims)


# -- builders -----------------------------------------------------------------------------


def _backend(framework: str):
    """The backend table module of a framework."""
    if framework == "torch":
        from .backends import torch as backend
    elif framework == "keras":
        from .backends import keras as backend
    else:
        raise ValueError(f"no framework {framework!r}: torch or keras")
    return backend


def _check_convention(spec: Spec, framework: str) -> None:
    """A spec builds in the framework of its convention."""
    if spec.convention == framework:
        return
    name = FRAMEWORKS[framework][0]
    pinned = _pinned_at(spec)
    if spec.convention == "mxnet":
        message = f"shapecli builds PyTorch and Keras models; MXNet (the {spec.file} spec's convention) has none"
        hint = "load it with convention='torch' or 'keras' to build it there"
    else:
        other = FRAMEWORKS[spec.convention][0]
        message = (
            f"build_{framework} builds {name} models from specs under the {framework} convention; "
            f"{spec.file} is loaded under the {spec.convention} convention"
            + (" (its check: convention)" if pinned else "")
        )
        hint = f"use build_{spec.convention} for a {other} model, or load it with convention='{framework}'"
    error = _errors.Diagnostic("build_error", message, spec.file, pinned, hint=hint)
    raise BuildError([error], spec.text)


def _pinned_at(spec: Spec) -> Loc | None:
    """Where the spec pins its convention (`convention:` or `check: {convention}`), if it does."""
    from .yamlsrc import YMap, parse_yaml

    model = spec._model
    if model.declared_convention is None and model.check.convention is None:
        return None
    root = parse_yaml(spec.text)
    if model.declared_convention is not None:
        return root.value_loc("convention")
    check = root.get("check")
    return check.value_loc("convention") if isinstance(check, YMap) else model.check.loc


def _spec_for(spec_or_path, framework: str) -> Spec:
    """A Spec from a Spec, a path or a text; a path or text loads under the framework's
    convention unless the spec pins another in `check: {convention}` (then BuildError)."""
    if isinstance(spec_or_path, Spec):
        return spec_or_path
    file, text = _read(spec_or_path)
    return load_text(text, file, default=framework)


def _require(framework: str) -> None:
    name, extra = FRAMEWORKS[framework]
    if importlib.util.find_spec(framework) is None:
        raise FrameworkMissing(f"build_{framework} needs {name}: pip install 'shapecli[{extra}]'")


def build_torch(spec_or_path, inputs=None, /, **shapes):
    """A torch.nn.Module built from a spec (a Spec, a path or YAML text) with real torch.nn layers.

    Its `state_dict()` keys are the names `shapecli inspect` prints under the torch
    convention, its parameter shapes those inference finds. Input shapes are needed only
    where a parameter's size depends on them: `build_torch('configs/resnet50.yaml')`, but
    `build_torch('configs/mlp.yaml', x=(2, 20))`. A path loads under the torch convention
    unless the spec pins another (`check: {convention: keras}`): that is a BuildError.
    """
    spec = _spec_for(spec_or_path, "torch")
    plan = spec._plan("torch", _given(inputs, shapes))
    _require("torch")
    from .plan import BuildError as PlanBuildError
    from .torch_build import build

    try:
        return build(plan)
    except PlanBuildError as e:
        _raise_as_api(e, spec.text)


def build_keras(spec_or_path, inputs=None, /, **shapes):
    """A keras.Model built from a spec (a Spec, a path or YAML text) with real keras layers.

    Its weight paths are the names `shapecli inspect` prints under the keras convention.
    A path loads under the keras convention unless the spec pins another in
    `check: {convention}` (then BuildError). See `build_torch` for the inputs.
    """
    spec = _spec_for(spec_or_path, "keras")
    plan = spec._plan("keras", _given(inputs, shapes))
    _require("keras")
    from .keras_build import build

    return build(plan)
