"""`shapecli diff OLD NEW`: what a change to a spec does to the model.

Both specs are run under the one contract (contract.py): --input and --convention
when given, else each spec's own. Layers are matched by path: a layer only in NEW is
added, only in OLD removed, and one in both changed when its type, output shapes,
parameter shapes or counts differ. A block use or repeat copy that is added (or
removed) whole is one entry, with its layer count and totals, not a list of its
layers. The totals' deltas cover parameters (trainable, not), buffers, parameter
bytes, MACs and memory (once computed: `totals.memory_of`).

An argument `REV:PATH` that is not a file reads the spec from git (`git show
REV:PATH`, run without a shell, its output bounded like a file's).
"""

from __future__ import annotations

import os
import subprocess

from .records import NamedTuple
from .contract import load_spec, run_spec
from .dims import Dim, format_dim, format_shape, is_known
from .errors import Diagnostic, InputError, SpecError
from .hierarchy import LAYER, Group, build_hierarchy, folded_name, group_totals
from .infer import LayerInfo, Trace
from .spec import Model
from .totals import RunTotals, run_totals
from .yamlsrc import MAX_SPEC_BYTES, decode, display_name, read_spec

GIT_TIMEOUT = 20.0
"""Seconds `git show` may take before it is given up."""

TOTAL_KEYS = ("params", "trainable", "non_trainable", "buffers", "bytes", "macs", "memory")


class Side(NamedTuple):
    """One of the two specs compared: how it is named, its text, Model, Trace and totals."""

    name: str
    text: str
    model: Model
    trace: Trace
    totals: RunTotals


class Entry(NamedTuple):
    """A layer, block use or repeat copy added or removed: its path (`stage3.6`), what it is
    (the layer type or block name), how many layers it holds, and its parameters and MACs."""

    path: str
    label: str
    layers: int
    params: Dim
    macs: Dim
    output: tuple | None


class ParamChange(NamedTuple):
    """A parameter of a changed layer: its local name, shape before and after (None: absent)."""

    name: str
    old: tuple | None
    new: tuple | None


class LayerChange(NamedTuple):
    """A layer in both specs whose type, outputs, parameters or counts differ (old, new pairs)."""

    path: str
    type: tuple[str, str]
    outputs: tuple[str, str]
    """The outputs as text (`(2, 256)`, `output (4, 50, 256), h_n (2, 4, 256)`, or the state)."""
    params: list[ParamChange]
    count: tuple[Dim | None, Dim | None]
    macs: tuple[Dim | None, Dim | None]
    output_shapes: tuple = (None, None)
    """The outputs as shapes: a shape, {name: shape} for a layer with several, or None."""


class TotalDelta(NamedTuple):
    """One total in both specs and the change (`new - old`; None when either is not known)."""

    key: str
    old: Dim | None
    new: Dim | None
    delta: Dim | None


class ModelDiff(NamedTuple):
    """Everything `diff` reports."""

    old: Side
    new: Side
    added: list[Entry]
    removed: list[Entry]
    changed: list[LayerChange]
    totals: list[TotalDelta]

    @property
    def same(self) -> bool:
        """Whether the two models have the same layers, shapes and totals."""
        return not (self.added or self.removed or self.changed) and all(t.delta in (0, None) for t in self.totals)

    @property
    def errors(self) -> list[Diagnostic]:
        """The shape errors of both runs."""
        return [*self.old.trace.errors, *self.new.trace.errors]


def read_argument(argument: str) -> tuple[str, str]:
    """(display name, text) of a spec argument: a file, `-`, or `REV:PATH` read from git."""
    if argument == "-" or os.path.lexists(argument) or ":" not in argument:
        return read_spec(argument)
    return display_name(argument), git_show(argument)


def git_show(argument: str) -> str:
    """The text of `REV:PATH` as `git show` gives it; InputError when git cannot."""
    revision, _, path = argument.partition(":")
    name = display_name(argument)
    if not revision or not path or revision.startswith("-"):
        raise InputError(
            f"{name}: not a file, nor a git REV:PATH", hint="give a spec file, or e.g. HEAD~1:models/x.yaml"
        )
    try:
        child = subprocess.Popen(
            ["git", "show", f"{revision}:{path}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as e:
        raise InputError(f"{name}: cannot run git ({e.strerror or e})", hint="install git, or give a file") from None
    try:
        data, problem = child.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise InputError(f"{name}: git show took more than {GIT_TIMEOUT:.0f} s") from None
    if child.returncode != 0:
        lines = problem.decode("utf-8", "replace").strip().splitlines()
        reason = lines[0].removeprefix("fatal: ") if lines else f"git exited with {child.returncode}"
        raise InputError(f"{name}: {reason}", hint="REV:PATH names a file at a commit, e.g. HEAD~1:models/x.yaml")
    if len(data) > MAX_SPEC_BYTES:
        raise InputError(f"{name} is larger than {MAX_SPEC_BYTES // 2**20} MiB; refusing to read it")
    try:
        return decode(data)
    except SpecError as e:
        e.file = name
        raise


def load_side(argument: str, given: list, convention: str | None, dtype: str) -> Side:
    """Read, load and run one of the specs compared."""
    name, text = read_argument(argument)
    model = load_spec(text, name, convention)
    trace, _ = run_spec(model, given, dtype)
    return Side(name, text, model, trace, run_totals(model, trace))


def diff_sides(old: Side, new: Side) -> ModelDiff:
    """Compare two runs (see the module's docstring)."""
    old_paths = {layer.path: layer for layer in old.trace.layers}
    new_paths = {layer.path: layer for layer in new.trace.layers}
    added = _whole_groups(new, {path for path in new_paths if path not in old_paths})
    removed = _whole_groups(old, {path for path in old_paths if path not in new_paths})
    changed = []
    for layer in new.trace.layers:
        before = old_paths.get(layer.path)
        if before is not None:
            change = _compare(before, layer, old.trace.convention, new.trace.convention)
            if change is not None:
                changed.append(change)
    totals = []
    for key in TOTAL_KEYS:
        a, b = getattr(old.totals, key), getattr(new.totals, key)
        if a is None and b is None:
            continue
        delta = b - a if a is not None and b is not None and is_known(a) and is_known(b) else None
        totals.append(TotalDelta(key, a, b, delta))
    return ModelDiff(old, new, added, removed, changed, totals)


def _whole_groups(side: Side, paths: set[str]) -> list[Entry]:
    """The layers at `paths`, a block use or repeat copy whose layers are all there as one entry."""
    if not paths:
        return []
    hierarchy = build_hierarchy(side.model)
    found: list[Entry] = []

    def visit(group: Group) -> None:
        for child in group.children:
            layers = [side.trace.layers[n] for n in child.nodes]
            inside = sum(layer.path in paths for layer in layers)
            if not inside:
                continue
            if inside < len(layers):
                visit(child)
                continue
            if child.kind == LAYER:
                layer = layers[0]
                found.append(Entry(layer.path, layer.type, 1, layer.count, layer.macs, layer.output_shape))
            else:
                totals = group_totals(child, side.trace)
                found.append(
                    Entry(
                        folded_name(child),
                        child.label,
                        totals.layers,
                        totals.params,
                        totals.macs,
                        layers[-1].output_shape,
                    )
                )

    visit(hierarchy.root)
    return found


def _outputs(layer: LayerInfo, convention: str) -> str:
    from .conventions import CONVENTIONS

    unknown = CONVENTIONS[convention].unknown
    if layer.state != "ok":
        return layer.state
    if layer.output_shapes:
        return ", ".join(f"{name} {format_shape(s, unknown)}" for name, s in layer.output_shapes.items())
    return format_shape(layer.output_shape, unknown)


def _same(a: Dim | None, b: Dim | None) -> bool:
    return (None if a is None else format_dim(a)) == (None if b is None else format_dim(b))


def _compare(old: LayerInfo, new: LayerInfo, old_convention: str, new_convention: str) -> LayerChange | None:
    """The change of a layer in both specs, or None when nothing shown differs."""
    old_params = {p.local: p.after for p in old.params}
    new_params = {p.local: p.after for p in new.params}
    params = [
        ParamChange(name, old_params.get(name), new_params.get(name))
        for name in dict.fromkeys([*old_params, *new_params])
        if _shape_text(old_params.get(name)) != _shape_text(new_params.get(name))
    ]
    types = (old.type, new.type)
    outputs = (_outputs(old, old_convention), _outputs(new, new_convention))
    counts, macs = (old.count, new.count), (old.macs, new.macs)
    if types[0] == types[1] and outputs[0] == outputs[1] and not params and _same(*counts) and _same(*macs):
        return None
    shapes = tuple(layer.output_shapes or layer.output_shape for layer in (old, new))
    return LayerChange(new.path, types, outputs, params, counts, macs, shapes)


def _shape_text(shape: tuple | None) -> str | None:
    return None if shape is None else format_shape(shape)
