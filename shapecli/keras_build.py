"""A Plan → a keras.Model made of real keras layers.

The model is Keras' functional graph. Each block use is a functional model of its own,
named by its path segment and called in the graph of the scope that holds it; its layers
are created under Keras name scopes for that path, so a weight's path is the name inspect
prints under the keras convention: 'layer1/rest_0/conv1/kernel'. A '.' (a repeat copy:
'rest.0') is written '_', since Keras' torch backend refuses '.' in variable paths.
`share:` calls the same layer object again (its weights appear once, under its owner's path).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from .plan import Construct, Plan, Scope, Step, compile_step, located, plain
from .registry import index_model_inputs

NAMESPACE = {"keras": keras, "layers": layers, "ops": ops}
"""The names the backend table's templates use."""


def keras_name(segment: str) -> str:
    """A path segment as a Keras layer name: 'rest.0' → 'rest_0'."""
    return segment.replace(".", "_")


def build(plan: Plan) -> keras.Model:
    """The keras.Model of a plan, its weights shaped as inference found them."""
    return _Builder(plan).model(plan.root)


def instantiate(make: Construct, name: str | None = None):
    """Create the Keras object a Construct describes (nested Constructs too)."""
    module_path, _, cls = make.cls.partition(".")
    kwargs = {key: _value(value) for key, value in make.kwargs.items()}
    if name is not None:
        kwargs["name"] = name
    return getattr(NAMESPACE[module_path], cls)(**kwargs)


def _value(value):
    value = plain(value)
    if isinstance(value, Construct):
        return instantiate(value)
    if isinstance(value, list):
        return tuple(value)
    return value


class _Builder:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.layers: dict[str, object] = {}
        """path → the Keras layer of a step (shared by `share:` users)."""

    def model(self, scope: Scope) -> keras.Model:
        """The functional model of a scope: its inputs, its units' graph, its outputs."""
        values: dict = {}
        inputs = []
        for name, source in scope.inputs:
            tensor = keras.Input(batch_shape=self.shape_of(source), name=name, dtype=self.dtype_of(source))
            values[source] = tensor
            inputs.append(tensor)
        for unit in scope.units:
            if isinstance(unit, Scope):
                with _scopes(_relative(unit.path, scope.path).split("/")):
                    inner = self.model(unit)
                given = [values[source] for _, source in unit.inputs]
                result = inner(given[0] if len(given) == 1 else given)
                results = result if isinstance(result, (list, tuple)) else [result]
                values.update(zip(unit.outputs, results))
            else:
                self.run(unit, scope, values)
        outputs = [values[source] for source in scope.outputs]
        name = keras_name(scope.path.rsplit("/", 1)[-1]) if scope.path else _model_name(self.plan.file)
        try:
            return keras.Model(
                inputs[0] if len(inputs) == 1 else inputs, outputs[0] if len(outputs) == 1 else outputs, name=name
            )
        except ValueError as e:
            node = self.plan.steps[scope.first].node
            raise located(
                f"Keras cannot make a model of '{scope.path or self.plan.file}': {e}", self.plan.model, node
            ) from None

    def run(self, step: Step, scope: Scope, values: dict) -> None:
        """Create (or take the owner's) layer of a step and call it on its inputs."""
        node = step.node
        owner = step if step.make is not None else self.plan.steps[node.owner]
        make = owner.make
        rel = _relative(node.path, scope.path).split("/")
        count = len(node.layer.output_names(node.cfg))
        function = compile_step(make, len(node.sources), count, NAMESPACE)
        with _scopes(rel[:-1]):
            layer = None
            if isinstance(make, Construct):
                layer = self.layers.get(owner.node.path)
                if layer is None:
                    layer = instantiate(make, keras_name(owner.node.path.rsplit("/", 1)[-1]))
                    self.layers[owner.node.path] = layer
            results = function(layer, *(values[source] for source in node.sources))
        from .spec import NodeOutput

        values.update({NodeOutput(node.id, i): result for i, result in enumerate(results)})

    def shape_of(self, source) -> tuple:
        shape = self.plan.trace.inputs[source] if isinstance(source, str) else self._output_shape(source)
        return tuple(d if isinstance(d, int) else None for d in shape)

    def _output_shape(self, source) -> tuple:
        info = self.plan.trace.layers[source.node]
        return info.output_shape if info.output_shapes is None else list(info.output_shapes.values())[source.index]

    def dtype_of(self, source) -> str:
        """int32 for an input that a layer reads as indices (an Embedding's), float32 otherwise."""
        indices = index_model_inputs([step.node for step in self.plan.steps], self.plan.trace.inputs)
        return "int32" if source in indices else "float32"


def _model_name(file: str) -> str:
    """The model's Keras name, from the spec's file name: 'configs/resnet50.yaml' → 'resnet50'."""
    import re

    stem = re.sub(r"\.(ya?ml)$", "", file.replace("\\", "/").rsplit("/", 1)[-1])
    return re.sub(r"\W", "_", stem).strip("_") or "model"


def _relative(path: str, parent: str) -> str:
    return path[len(parent) + 1 :] if parent else path


class _scopes:
    """Nested keras.name_scope contexts for path segments ('rest.0' written 'rest_0')."""

    def __init__(self, segments: list[str]):
        self.contexts = [keras.name_scope(keras_name(s)) for s in segments]

    def __enter__(self):
        for context in self.contexts:
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in reversed(self.contexts):
            context.__exit__(*exc)
