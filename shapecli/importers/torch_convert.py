"""The torch importer's converter: a traced fx graph → ImportedGraph.

`Converter` walks the fx nodes in order: placeholders are the model's inputs,
`call_module` nodes become layers through the module table (torch_modules.py),
`call_function` / `call_method` nodes through the function table
(torch_functions.py), `get_attr` nodes (standalone parameters) are problems,
the output node names the model's outputs. Each layer goes into the scope of
the module whose forward ran it (fx's nn_module_stack), which the spec writer
turns into a block use. A call that cannot be mapped is a problem; calls that
take its result are still checked (on a stand-in of its shape) so that every
unmappable part is reported, not only the first.

Only `shapecli import torch` imports this module (and with it torch).
"""

from __future__ import annotations

import inspect
import os
import torch
import torch.fx as fx

from .graph import ImportedGraph, Scope, Value
from .torch_functions import FAILED, FUNCTIONS, IGNORED, METHODS, Dim, Parts, Sizes, Tensor, Unmappable
from .torch_import import skipped_folders
from .torch_modules import Refused, is_container, owns_state


def placeholder_name(node) -> str:
    """The forward parameter a placeholder node stands for."""
    return node.target.lstrip("*")


def summary(result):
    """A node's result as plain data: a tensor → its shape (tuple); a tuple → a tuple of summaries."""
    if isinstance(result, torch.Tensor):
        return Shape(tuple(result.shape))
    if isinstance(result, torch.Size):
        return tuple(result)
    if isinstance(result, (int, float, bool)) or result is None:
        return result
    if isinstance(result, (tuple, list)):
        return tuple(summary(r) for r in result)
    return None


_STAND_IN = "<a value that could not be mapped>"


class Shape(tuple):
    """A tensor's shape (distinct from a tuple of sizes)."""


# -- converting --------------------------------------------------------------------


class Converter:
    """fx graph → ImportedGraph (see the module doc)."""

    def __init__(self, gm, module, rules, calls, values, source: str, inputs: list[str]):
        self.gm, self.module, self.rules, self.calls, self.values = gm, module, rules, calls, values
        self.graph = ImportedGraph(source, "torch")
        self.input_names = inputs
        self.env: dict = {}
        self.first_op: dict[str, int] = {}
        self.repeated: set[str] = set()
        self.node = None
        self.node_ops: list[int] = []
        self.probing = False

    def convert(self) -> ImportedGraph:
        for node in self.gm.graph.nodes:
            self.node, self.node_ops = node, []
            try:
                value = getattr(self, "do_" + node.op)(node)
            except (Unmappable, Refused) as e:
                self.graph.problem(self.origin(node), str(e))
                value = FAILED
            self.env[node] = value
        self.record_scope_io()
        return self.graph

    # -- per node kind --

    def do_placeholder(self, node):
        name = placeholder_name(node)
        if name not in self.input_names:
            return IGNORED
        shape = self.values.get(node)
        return Tensor(Value(name), tuple(shape) if shape is not None else None)

    def do_get_attr(self, node):
        value = self.gm
        for part in node.target.split("."):
            value = getattr(value, part)
        kind = "tensor attribute"
        if node.target in dict(self.module.named_parameters()):
            kind = "parameter"
        elif node.target in dict(self.module.named_buffers()):
            kind = "buffer"
        shape = tuple(getattr(value, "shape", ()))
        raise Unmappable(
            f"a standalone {kind} of shape {shape}, used directly by the forward; the spec language has no "
            "Parameter layer type yet"
        )

    def do_call_module(self, node):
        module = self.module.get_submodule(node.target)
        found = self.rules.for_module(module)
        if found is None:
            raise Unmappable(f"no mapping for {class_name(module)}: no shapecli layer type does what it does")
        _, rule = found
        if isinstance(rule, str):
            raise Unmappable(rule)
        args, kwargs, failed = self.mapped(node)
        spec_args = rule.args(module)
        tensors = self.module_inputs(module, rule, args, kwargs, spec_args)
        if failed:
            return FAILED
        scope, name = self.place(node)
        first = self.first_op.get(node.target)
        sources = [t.value for t in tensors]
        if first is None:
            op = self.graph.add_op(scope, rule.layer, spec_args, sources, self.origin(node), name=name)
            op.owns_params = owns_state(module)
            self.first_op[node.target] = op.id
        else:
            op = self.graph.add_op(scope, rule.layer, spec_args, sources, self.origin(node), stem=name)
            if owns_state(module) or self.graph.ops[first].scope is scope:
                op.share = first
        return self.results(op, rule.results, self.values.get(node))

    def do_call_function(self, node):
        handler = FUNCTIONS.get(node.target)
        if handler is None and isinstance(node.target, type) and issubclass(node.target, tuple):
            args, kwargs, _ = self.mapped(node)
            return tuple(args) + tuple(kwargs.values())
        if handler is None and getattr(node.target, "__name__", "") == "_assert_is_none":
            return IGNORED
        if handler is None:
            raise Unmappable(f"no mapping for the function {_function_name(node.target)}")
        return self.call(node, handler)

    def do_call_method(self, node):
        handler = METHODS.get(node.target)
        if handler is None:
            raise Unmappable(f"no mapping for the tensor method .{node.target}()")
        return self.call(node, handler)

    def do_output(self, node):
        args, _, _ = self.mapped(node)
        for value in _flatten(args[0]):
            if isinstance(value, Tensor):
                self.graph.outputs.append(value.value)
            elif value is not FAILED and value is not IGNORED and value is not None:
                raise Unmappable(f"the model returns {type(value).__name__}, not a tensor")

    # -- helpers --

    def call(self, node, handler):
        args, kwargs, failed = self.mapped(node)
        self.probing = failed
        try:
            result = handler(self, args, kwargs)
        finally:
            self.probing = False
        if failed:
            holds_tensors = any(isinstance(v, (Tensor, Parts)) for v in _flatten(result))
            return FAILED if holds_tensors else result
        shape = self.values.get(node)
        made_here = isinstance(result, Tensor) and self.node_ops and result.value == Value(self.node_ops[-1])
        if made_here and isinstance(shape, Shape):
            self.graph.ops[self.node_ops[-1]].shapes = [tuple(shape)]
            return Tensor(result.value, tuple(shape))
        return result

    def layer(self, type: str, args: dict, inputs: list, stem: str | None = None):
        """Add a layer for the node being converted (the handlers' one way to add layers)."""
        if self.probing:
            return Tensor(Value(_STAND_IN), None)
        scope, _ = self.place(self.node)
        op = self.graph.add_op(scope, type, args, [t.value for t in inputs], self.origin(self.node), stem=stem)
        self.node_ops.append(op.id)
        return Tensor(Value(op.id), None)

    def current_shape(self):
        shape = self.values.get(self.node)
        return tuple(shape) if isinstance(shape, Shape) else None

    def mapped(self, node):
        """The node's arguments with fx nodes replaced by their values, and whether one of them failed.

        A failed tensor is replaced by a stand-in of its shape, so that the call is still checked
        (and reported when it cannot be mapped either), without adding layers.
        """

        failed = False

        def value_of(argument):
            nonlocal failed
            value = self.env[argument]
            if value is FAILED:
                failed = True
                shape = self.values.get(argument)
                if type(shape) is int:
                    return Dim(shape)
                return Tensor(Value(_STAND_IN), tuple(shape) if isinstance(shape, Shape) else None)
            return value

        args, kwargs = fx.node.map_arg(node.args, value_of), fx.node.map_arg(node.kwargs, value_of)
        return args, kwargs, failed

    def module_inputs(self, module, rule, args, kwargs, spec_args) -> list:
        """The tensors a module call passes as the layer's inputs; other tensor arguments are refused."""
        signature = inspect.signature(module.forward)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise Unmappable(f"is called with arguments its forward does not take ({e})") from None
        bound.apply_defaults()
        names = list(bound.arguments)
        tensors = [bound.arguments[name] for name in names[: rule.inputs]]
        options = {name: bound.arguments[name] for name in names[rule.inputs :]}
        if rule.call is not None:
            try:
                spec_args.update(rule.call(options))
            except Refused as e:
                raise Unmappable(str(e)) from None
        else:
            for name, value in options.items():
                if value is not signature.parameters[name].default and value != signature.parameters[name].default:
                    raise Unmappable(
                        f"is called with {name}={_show(value)}; the layer type takes only its input tensor(s)"
                    )
        for name, value in zip(names, tensors):
            if not isinstance(value, Tensor):
                raise Unmappable(f"receives {_show(value)} as {name}, not a tensor of the model")
        return tensors

    def results(self, op, structure, shapes):
        """The module's return value as Tensors of the op's outputs (`structure`: see ModuleRule.results)."""

        def build(part, shape):
            if isinstance(part, int):
                shape_tuple = tuple(shape) if isinstance(shape, Shape) else None
                return Tensor(Value(op.id, part), shape_tuple)
            return tuple(build(p, shape[i] if isinstance(shape, tuple) else None) for i, p in enumerate(part))

        if structure is None:
            value = build(0, shapes)
        else:
            value = build(structure, shapes)
        flat = [t for t in _flatten(value) if isinstance(t, Tensor)]
        if all(t.shape is not None for t in flat):
            op.shapes = [None] * (max(t.value.index for t in flat) + 1)
            for t in flat:
                op.shapes[t.value.index] = t.shape
        return value

    def place(self, node) -> tuple[Scope, str | None]:
        """The scope a node's layer belongs in, and (for a module call) its name there."""
        stack = list((node.meta.get("nn_module_stack") or {}).items())
        name = None
        if node.op == "call_module":
            stack = stack[:-1]
        scope, path = self.graph.root, ""
        for key, (module_path, module_type) in stack:
            scope, path = self.enter(scope, path, key, module_path, module_type)
        if node.op == "call_module":
            target = node.target
            relative = target[len(path) + 1 :] if path else target
            parts = relative.split(".")
            for part in parts[:-1]:
                scope, path = self.enter(
                    scope, path, ("virtual", scope.key, _join(path, part)), _join(path, part), None
                )
            name = parts[-1]
        return scope, name

    def enter(self, scope: Scope, path: str, key, module_path: str, module_type) -> tuple[Scope, str]:
        if path and not module_path.startswith(path + "."):
            raise Unmappable(f"module '{module_path}' is called from '{path}', which does not hold it")
        relative = module_path[len(path) + 1 :] if path else module_path
        parts = relative.split(".")
        for part in parts[:-1]:
            inner = _join(path, part)
            scope, path = self.enter(scope, path, ("virtual", scope.key, inner), inner, None)
        module = self.module.get_submodule(module_path)
        if isinstance(key, str) and "@" in key and module_path not in self.repeated:
            self.repeated.add(module_path)
            self.graph.problem(
                f"module '{module_path}' ({class_name(module)})",
                "runs more than once; a spec applies a single layer again (share:), not a whole block",
            )
        found = self.graph.scope(
            scope, key, parts[-1], type(module).__name__, class_name(module), module_path, is_container(module)
        )
        return found, module_path

    def record_scope_io(self) -> None:
        """Name each traced-through module's inputs after its forward's parameters; order its outputs."""
        for key, (names, result) in self.calls.items():
            scope = self.graph._scopes.get(key)
            if scope is None:
                continue
            for node, name in names.items():
                value = self.env.get(node)
                if isinstance(value, Tensor):
                    scope.input_names.setdefault(value.value, name)
            for item in _flatten(result):
                value = self.env.get(getattr(item, "node", None))
                if isinstance(value, Tensor):
                    scope.output_values.append(value.value)

    def origin(self, node) -> str:
        """Where a node comes from, as messages name it."""
        if node.op == "call_module":
            module = self.module.get_submodule(node.target)
            return f"module '{node.target}' ({class_name(module)})"
        stack = node.meta.get("nn_module_stack") or {}
        inside = f" in {type(self.module).__name__}.forward"
        if stack:
            path, cls = list(stack.values())[-1]
            inside = f" in '{path}' ({cls.__name__}.forward)"
        what = {
            "call_function": f"{_function_name(node.target)}()",
            "call_method": f"Tensor.{node.target}()",
            "output": "the model's output",
            "placeholder": f"input '{node.target}'",
            "get_attr": f"get_attr self.{node.target}",
        }[node.op]
        return f"{what}{inside}{_user_line(node)}"


def _user_line(node) -> str:
    """' at models.py:42: y = torch.stack(…)' — the model's line that made the node, when recorded."""

    skipped = skipped_folders(torch)
    lines = [line.strip() for line in (node.meta.get("stack_trace") or "").strip().splitlines()]
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].startswith('File "'):
            continue
        try:
            file = lines[i].split('"')[1]
            number = lines[i].split("line ")[1].split(",")[0]
        except IndexError:
            continue
        if file.startswith(skipped):
            continue
        code = lines[i + 1] if i + 1 < len(lines) and not lines[i + 1].startswith('File "') else ""
        if file.startswith(os.getcwd() + os.sep):
            file = os.path.relpath(file)
        return f" ({file}:{number}" + (f": `{code}`)" if code else ")")
    return ""


def class_name(module) -> str:
    cls = type(module)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name.startswith("torch.nn.modules."):
        return "torch.nn." + cls.__qualname__
    return name


def _function_name(function) -> str:
    module = getattr(function, "__module__", None) or ""
    name = getattr(function, "__name__", repr(function))
    module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional", "builtins": ""}.get(module, module)
    if module.startswith("torch._C") or module == "torch.functional":
        module = "torch"
    return f"{module}.{name}" if module else name


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _flatten(value):
    """The leaves of nested tuples, lists and dicts (the importer's values are leaves)."""

    if isinstance(value, (Tensor, Dim, Sizes, Parts)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _flatten(v)
    else:
        yield value
