"""A Plan → a torch.nn.Module made of real torch.nn layers.

The modules are named as inspect names the parameters under the torch convention: the
layer at 'layer1/rest.0/conv1' is `model.layer1.rest[0].conv1`, so `state_dict()` has
'layer1.rest.0.conv1.weight'. Each block use is a module of a class named after the
block, whose forward runs the block's layers; a repeated layer or block is a ModuleList.
`share:` registers the owner's module again under the sharing layer's name (the same
object: its parameters are counted once); `tie:` makes a parameter the very Parameter of
another layer, or its transpose (then it is recomputed from the other at each call).
The parameters the spec names an initializer for get it (torch_init.py); the others keep
their module's own default.

Each layer's call is compiled once from the same templates the exporter prints.
"""

from __future__ import annotations

import contextvars
import re

import torch
import torch.nn.functional as F
from torch import nn

from .backends.torch import TIE_TRANSPOSED
from .plan import Construct, Plan, Scope, Step, compile_step, located, plain
from .spec import NodeOutput
from .torch_init import apply_initializers

NAMESPACE = {"torch": torch, "nn": nn, "F": F}
"""The names the backend table's templates use."""

_RECORDING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("shapecli_recording", default=None)


class SpecModule(nn.Module):
    """A model built from a shapecli spec, or one use of a block inside it.

    `forward` takes the inputs in the order the spec lists them (or by name) and returns
    the outputs: one tensor, or a tuple in the order of the spec's `outputs:`.
    """

    def __init__(self):
        super().__init__()
        self._shapecli_inputs: list[tuple[str, object]] = []
        self._shapecli_units: list[tuple] = []
        self._shapecli_outputs: list[object] = []

    def forward(self, *args, **kwargs):
        values = self._bind(args, kwargs)
        for kind, function, module, inputs, outputs, path, done in self._shapecli_units:
            given = [values[source] for source in inputs]
            if kind == "scope":
                results = module(*given)
                results = results if isinstance(results, tuple) else (results,)
            else:
                results = function(module, *given)
                recording = _RECORDING.get()
                if recording is not None:
                    recording[path] = results
            values.update(zip(outputs, results))
            del given, results
            for source in done:  # read for the last time, or never: each tensor goes as the graph frees it
                del values[source]
        found = tuple(values[source] for source in self._shapecli_outputs)
        return found[0] if len(found) == 1 else found

    def forward_all(self, *args, **kwargs) -> dict[str, tuple]:
        """Run the model and return every layer's outputs (a tuple each), by layer path."""
        token = _RECORDING.set({})
        try:
            self(*args, **kwargs)
            return _RECORDING.get()
        finally:
            _RECORDING.reset(token)

    def _bind(self, args: tuple, kwargs: dict) -> dict:
        names = [name for name, _ in self._shapecli_inputs]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} input(s) ({', '.join(names)}), got {len(args)}")
        given = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names or name in given:
                raise TypeError(
                    f"{type(self).__name__}: unexpected or repeated input '{name}' (inputs: {', '.join(names)})"
                )
            given[name] = value
        missing = [name for name in names if name not in given]
        if missing:
            raise TypeError(f"{type(self).__name__} misses the input(s) {', '.join(missing)}")
        return {source: given[name] for name, source in self._shapecli_inputs}


def build(plan: Plan) -> SpecModule:
    """The torch.nn.Module of a plan, its parameters shaped as inference found them."""
    builder = _Builder(plan)
    return builder.build()


def instantiate(make: Construct) -> nn.Module:
    """Create the framework object a Construct describes (nested Constructs too)."""
    module_path, _, name = make.cls.partition(".")
    module = getattr(NAMESPACE[module_path], name)(**{key: _value(value) for key, value in make.kwargs.items()})
    for name, shape in make.params.items():
        module.register_parameter(name, nn.Parameter(torch.zeros(shape)))
    return module


def _value(value):
    value = plain(value)
    if isinstance(value, Construct):
        return instantiate(value)
    if isinstance(value, dict):
        return {key: _value(item) for key, item in value.items()}
    return value


_COMPILED: dict[str, object] = {}


def step_function(make, inputs: int, outputs: int):
    """The function (module, *inputs) → tuple of outputs of a table entry (plan.compile_step)."""
    return compile_step(make, inputs, outputs, NAMESPACE)


def root_class_name(file: str) -> str:
    """A class name from the spec's file name: 'configs/resnet50.yaml' → 'Resnet50'."""
    stem = re.sub(r"\.(ya?ml)$", "", file.replace("\\", "/").rsplit("/", 1)[-1])
    words = re.findall(r"[A-Za-z0-9]+", stem)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or not name[0].isalpha():
        name = "Spec" + name
    return name


class _Builder:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.modules: dict[str, nn.Module] = {}
        """path → the module of a layer, a block use, or a repeat's ModuleList."""
        self.classes: dict[str, type] = {}

    def build(self) -> SpecModule:
        root = type(root_class_name(self.plan.file), (SpecModule,), {"__doc__": SpecModule.__doc__})()
        self.modules[""] = root
        for step in self.plan.steps:
            self.place(step)
        for step in self.plan.steps:
            if step.node.tie is not None:
                self.tie(step)
        apply_initializers(self.plan, self.modules)
        for scope in self.plan.scopes.values():
            self.wire(scope)
        return root

    def place(self, step: Step) -> None:
        """Create the step's module (or take its owner's) and register it at its path."""
        node = step.node
        if step.make is None:
            owner = self.plan.steps[node.owner]
            module = self.modules.get(owner.node.path)
            if module is None:
                return  # the owner is functional: nothing to register
        elif isinstance(step.make, Construct):
            module = instantiate(step.make)
        else:
            return
        self.register(node.path, module, step)

    def register(self, path: str, module: nn.Module, step: Step) -> None:
        parent = self.container(path, step)
        name = re.split(r"[/.]", path)[-1]
        try:
            if isinstance(module, nn.Parameter):  # a layer that is a tensor: named by its own path
                parent.register_parameter(name, module)
            elif isinstance(module, torch.Tensor):
                parent.register_buffer(name, module)
            else:
                parent.add_module(name, module)
        except (KeyError, TypeError) as e:
            raise located(
                f"PyTorch cannot name a submodule '{name}' ({e.args[0] if e.args else e})",
                self.plan.model,
                step.node,
                hint="rename the layer",
            ) from None
        self.modules[path] = module

    def container(self, path: str, step: Step) -> nn.Module:
        """The module that holds `path`: a block use's, or a repeat's ModuleList, created on first need."""
        cuts = [m.start() for m in re.finditer(r"[/.]", path)]
        if not cuts:
            return self.modules[""]
        prefix = path[: cuts[-1]]
        if prefix in self.modules:
            return self.modules[prefix]
        scope = self.plan.scopes.get(prefix)
        if scope is not None:
            if scope.block not in self.classes:
                self.classes[scope.block] = type(
                    scope.block, (SpecModule,), {"__doc__": f"A use of block {scope.block}."}
                )
            module = self.classes[scope.block]()
        else:
            module = nn.ModuleList()
        self.register(prefix, module, step)
        return module

    def tie(self, step: Step) -> None:
        """Make the step's parameters those of the layer it ties to, in order."""
        target = self.plan.steps[step.node.tie]
        if target.make is None:
            target = self.plan.steps[target.node.owner]
        mine, theirs = self.modules[step.node.path], self.modules[target.node.path]
        for p, q in zip(step.info.params, target.info.params):
            holder, name = _attribute(mine, p.local)
            source_holder, source_name = _attribute(theirs, q.local)
            value = getattr(source_holder, source_name)
            if tuple(p.after) == tuple(value.shape):
                if name in holder._parameters:
                    holder.register_parameter(name, value)
                else:
                    holder.register_buffer(name, value)
            else:
                _tie_transposed(holder, name, source_holder, source_name)

    def _holder(self, path: str) -> tuple[nn.Module, str]:
        """(the module holding the tensor layer at `path`, its attribute name)."""
        cuts = [m.start() for m in re.finditer(r"[/.]", path)]
        parent = self.modules[path[: cuts[-1]]] if cuts else self.modules[""]
        return parent, re.split(r"[/.]", path)[-1]

    def wire(self, scope: Scope) -> None:
        """Give the scope's module its inputs, units (layers and inner block uses) and outputs."""
        module = self.modules[scope.path]
        units = []
        for unit in scope.units:
            if isinstance(unit, Scope):
                inputs = [source for _, source in unit.inputs]
                units.append(("scope", None, self.modules[unit.path], inputs, list(unit.outputs), unit.path))
                continue
            node = unit.node
            make = unit.make if unit.make is not None else self.plan.steps[node.owner].make
            owner_path = node.path if unit.make is not None else self.plan.steps[node.owner].node.path
            count = len(node.layer.output_names(node.cfg))
            function = step_function(make, len(node.sources), count)
            outputs = [NodeOutput(node.id, i) for i in range(count)]
            held = self.modules.get(owner_path)
            if isinstance(held, torch.Tensor):  # read at each call: .to() and .double() replace buffers
                function, held = _attribute_step(function), self._holder(owner_path)
            units.append(("layer", function, held, list(node.sources), outputs, node.path))
        module._shapecli_inputs = list(scope.inputs)
        module._shapecli_units = _with_last_uses(units, scope.outputs)
        module._shapecli_outputs = list(scope.outputs)


def _attribute_step(function):
    """A step whose layer is a tensor attribute, given as (holder, name): the current tensor is read."""
    return lambda held, *inputs: function(getattr(*held), *inputs)


def _with_last_uses(units: list[tuple], outputs: list) -> list[tuple]:
    """Each unit with the values that are done after it (the scope's outputs excepted): those it
    reads for the last time, and those it makes that nothing reads — so that `forward` drops
    each tensor after its last consumer, as the graph frees it."""
    last: dict = {}
    for index, unit in enumerate(units):
        for source in unit[4]:
            last[source] = index
        for source in unit[3]:
            last[source] = index
    for source in outputs:
        last.pop(source, None)
    released: list[list] = [[] for _ in units]
    for source, index in last.items():
        released[index].append(source)
    return [(*unit, tuple(released[index])) for index, unit in enumerate(units)]


def _attribute(module: nn.Module, local: str) -> tuple[nn.Module, str]:
    """(the module holding parameter `local`, its name there): 'out_proj.weight' → (m.out_proj, 'weight')."""
    *parents, name = local.split(".")
    for part in parents:
        module = getattr(module, part)
    return module, name


def _tie_transposed(holder: nn.Module, name: str, source: nn.Module, source_name: str) -> None:
    """`holder.name` becomes the transpose of `source.source_name` (backends.torch.TIE_TRANSPOSED)."""
    if "tie_transposed" not in _COMPILED:
        scope: dict = {}
        exec(compile(TIE_TRANSPOSED, "<shapecli tie>", "exec"), scope)
        _COMPILED["tie_transposed"] = scope["tie_transposed"]
    _COMPILED["tie_transposed"](holder, name, source, source_name)
