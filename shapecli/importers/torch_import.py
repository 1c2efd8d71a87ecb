"""`shapecli import torch MODULE:CALLABLE`: a PyTorch model → a spec.

    instantiate   import MODULE, call CALLABLE(**kwargs): an nn.Module
    trace         torch.fx with a tracer whose leaves are the modules of the table
                  (torch_modules.py) and torch.nn's other modules; the rest is traced through
    run           with --input, the traced graph runs on zeros: every node's shape
    convert       fx nodes → ImportedGraph: call_module by the module table, call_function
                  and call_method by the function table; get_attr (a standalone parameter) and
                  anything else without a table entry is a Problem
    write         spec_writer: module scopes → blocks, parameter names = state_dict keys
    verify        the written spec is loaded and inferred at --input: its parameter and buffer
                  names and shapes must equal the state_dict, each layer's output shape the
                  one torch computed, its totals the model's; any difference is a Problem

Any Problem fails the import (UnmappableModel, every problem listed): never a
different spec. Errors in the user's code (import, call, tracing, running)
become ImportFailure with the place in that code.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import traceback
from typing import NamedTuple

from .. import __version__
from ..dims import format_shape, is_known
from ..errors import ShapecliError, did_you_mean
from .graph import ImportedGraph, Problem, Scope, UnmappableModel, Value
from .spec_writer import write_spec


class ImportFailure(ShapecliError):
    """The model could not be made, traced or run; the message says where in the user's code."""


class ImportedSpec(NamedTuple):
    """The spec text, and what was checked (a line for the user)."""

    text: str
    summary: str


def import_torch(target: str, kwargs_text: str | None, given: list[tuple[str | None, tuple]]) -> ImportedSpec:
    """Import the model MODULE:CALLABLE(**kwargs) as spec text.

    `given` are the --input shapes ([(name or None, shape)]); with them the model
    runs once and the spec is checked against it. Raises ImportFailure or
    UnmappableModel.
    """
    kwargs = _parse_kwargs(kwargs_text)
    module = _instantiate(target, kwargs)
    from . import torch_modules

    rules = torch_modules.Rules()
    signature = _forward_parameters(module, target)
    inputs = _input_names(signature, given, target)
    gm, tracer = _trace(module, target, rules, signature, inputs)
    shapes = _concrete_shapes(given, inputs)
    values = _run(gm, module, target, shapes) if shapes else {}
    source = target + (f" {json.dumps(kwargs, sort_keys=True)}" if kwargs else "")
    graph = _Converter(gm, module, rules, tracer.calls, values, source, inputs).convert()
    for name in inputs:
        graph.inputs[name] = (None,) * len(shapes[name]) if name in shapes else None
        if name in shapes:
            graph.check_inputs[name] = "x".join(map(str, shapes[name]))
    problems = graph.problems + _coverage(module, graph, gm)
    if not shapes and (len(inputs) != 1 or inputs[0] != "x"):
        problems.append(
            Problem(
                "the inputs",
                f"{', '.join(inputs)} need --input NAME=SHAPE: a spec declares each named input with its rank",
            )
        )
    if problems:
        raise _unmappable(target, problems)
    graph.header = _header(target, kwargs, module, given, shapes, inputs)
    written = write_spec(graph)
    if written.problems:
        raise _unmappable(target, written.problems)
    if not shapes:
        return ImportedSpec(written.text, "not checked against the model: give --input to run it and compare")
    problems, summary = _verify(written.text, graph, written.paths, module, shapes)
    if problems:
        raise _unmappable(target, problems, verify=True)
    return ImportedSpec(written.text, summary)


def _unmappable(target: str, problems: list[Problem], verify: bool = False) -> UnmappableModel:
    problems = list(dict.fromkeys(problems))
    count = f"{len(problems)} part{'s' if len(problems) > 1 else ''}"
    if verify:
        return UnmappableModel(
            f"the spec written for {target} disagrees with the model in {count} (a bug in shapecli's import; "
            "please report it)",
            problems,
        )
    verb = "have" if len(problems) > 1 else "has"
    return UnmappableModel(f"cannot import {target}: {count} of the model {verb} no spec equivalent", problems)


# -- making the model -------------------------------------------------------------


def _parse_kwargs(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        kwargs = json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFailure(f"--kwargs is not valid JSON (column {e.colno}: {e.msg}): {text}") from None
    if not isinstance(kwargs, dict):
        raise ImportFailure(f"--kwargs must be a JSON object such as '{{\"num_classes\": 10}}', received {text}")
    return kwargs


def _instantiate(target: str, kwargs: dict):
    """Import MODULE and call CALLABLE(**kwargs) (or take it, if it is a module instance)."""
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise ImportFailure(f"expected MODULE:CALLABLE such as torchvision.models:resnet18, received '{target}'")
    try:
        import torch
    except ImportError:
        raise ImportFailure("shapecli import torch needs PyTorch: pip install 'shapecli[torch]'") from None
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        imported = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise ImportFailure(f"cannot import '{module_name}': no module named '{e.name}'") from None
        raise ImportFailure(f"importing '{module_name}' failed: {_failure(e)}") from None
    except Exception as e:
        raise ImportFailure(f"importing '{module_name}' failed: {_failure(e)}") from None
    found = imported
    for part in attribute.split("."):
        if not hasattr(found, part):
            names = [n for n in dir(found) if not n.startswith("_")]
            hint = did_you_mean(part, names)
            raise ImportFailure(f"'{module_name}' has no attribute '{attribute}'" + (f" ({hint})" if hint else ""))
        found = getattr(found, part)
    if isinstance(found, torch.nn.Module):
        if kwargs:
            raise ImportFailure(f"{target} is a module instance already; --kwargs applies to a callable")
        return found
    if not callable(found):
        raise ImportFailure(f"{target} is {type(found).__name__}, neither a callable nor an nn.Module")
    try:
        model = found(**kwargs)
    except Exception as e:
        raise ImportFailure(f"calling {target}(**{json.dumps(kwargs)}) failed: {_failure(e)}") from None
    if not isinstance(model, torch.nn.Module):
        raise ImportFailure(f"{target}(…) returned {type(model).__name__}, not a torch.nn.Module")
    return model


def _skipped_folders(torch) -> tuple[str, ...]:
    """Folders whose frames are not the user's code: torch's and shapecli's."""
    return tuple(os.path.dirname(path) + os.sep for path in (torch.__file__, os.path.dirname(__file__)))


def _failure(error: BaseException) -> str:
    """'TypeError: message (at file.py:12 in f: code)' — the innermost frame outside torch and shapecli."""
    import torch

    skipped = _skipped_folders(torch)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(skipped)]
    text = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    if frames:
        frame = frames[-1]
        text += f" (at {frame.filename}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()})"
    return text


# -- tracing -----------------------------------------------------------------------


def _forward_parameters(module, target: str) -> list[inspect.Parameter]:
    try:
        parameters = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        raise ImportFailure(f"cannot read the signature of {type(module).__name__}.forward") from None
    variadic = [p.name for p in parameters if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if variadic:
        raise ImportFailure(
            f"{type(module).__name__}.forward takes *{variadic[0]}; torch.fx needs named parameters "
            f"(import a module whose forward names its inputs)"
        )
    return parameters


def _input_names(parameters, given, target: str) -> list[str]:
    """The model's inputs: the forward parameters without defaults, and those --input names."""
    required = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    named = [name for name, _ in given if name is not None]
    known = [p.name for p in parameters]
    for name in named:
        if name not in known:
            hint = did_you_mean(name, known)
            raise ImportFailure(
                f"--input {name}=…: {target}'s forward has no parameter '{name}' "
                f"(it takes {', '.join(known) or 'nothing'})" + (f"; {hint}" if hint else "")
            )
    unnamed = [shape for name, shape in given if name is None]
    if unnamed and (len(given) > 1 or len(required) != 1):
        raise ImportFailure(
            f"the forward takes {', '.join(required) or 'no required input'}: name each input, "
            f"--input {required[0] if required else 'x'}=SHAPE"
        )
    return required + [n for n in named if n not in required]


def _concrete_shapes(given, inputs: list[str]) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for name, shape in given:
        name = name if name is not None else inputs[0]
        if not all(is_known(d) and isinstance(d, int) for d in shape):
            raise ImportFailure(
                f"--input {name}={format_shape(shape)}: import runs the model once, so every size must be a number"
            )
        shapes[name] = tuple(shape)
    return shapes


def _trace(module, target: str, rules, parameters, inputs: list[str]):
    import torch.fx as fx

    concrete = {p.name: p.default for p in parameters if p.name not in inputs}
    tracer = _make_tracer(rules)
    try:
        graph = tracer.trace(module, concrete_args=concrete or None)
    except Exception as e:
        hint = ""
        if type(e).__name__ == "TraceError" or "symbolically traced variables" in str(e):
            hint = (
                "; torch.fx follows Python code once, with placeholder tensors: an `if` or loop on a tensor's "
                "value (data-dependent control flow) cannot be traced — rewrite it without the branch, or "
                "import a model without it"
            )
        if "not installed as a submodule" in str(e):
            hint = "; keep submodules as attributes, or in an nn.ModuleList or nn.ModuleDict, not in a plain list"
        raise ImportFailure(f"tracing {target} with torch.fx failed: {_failure(e)}{hint}") from None
    return fx.GraphModule(tracer.root, graph), tracer


def _make_tracer(rules):
    """A torch.fx Tracer: the table's modules (and torch.nn's others) are leaves; it records, for each
    call of a traced-through module, which argument each input was and what it returned."""
    import torch.fx as fx

    from .torch_modules import is_container

    class Tracer(fx.Tracer):
        def __init__(self):
            super().__init__()
            self.record_stack_traces = True
            self.calls: dict[str, tuple[dict, object]] = {}

        def is_leaf_module(self, m, module_qualified_name: str) -> bool:
            if rules.for_module(m) is not None:
                return True
            if is_container(m):
                return False
            return m.__module__.startswith(("torch.nn", "torch.ao.nn"))

        def call_module(self, m, forward, args, kwargs):
            path = self.path_of_module(m)
            calls = self.num_calls.get(path, 0)
            key = f"{path}@{calls}" if calls else path
            result = super().call_module(m, forward, args, kwargs)
            if not self.is_leaf_module(m, path):
                names = {}
                try:
                    bound = inspect.signature(m.forward).bind(*args, **kwargs)
                    names = {v.node: k for k, v in bound.arguments.items() if isinstance(v, fx.Proxy)}
                except (TypeError, ValueError):
                    pass
                self.calls[key] = (names, result)
            return result

    return Tracer()


def _run(gm, module, target: str, shapes: dict) -> dict:
    """Run the traced graph on zeros; every node's result summarized (tensor → shape)."""
    import torch
    import torch.fx as fx

    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    arguments = []
    for node in placeholders:
        name = _placeholder_name(node)
        if name not in shapes:
            continue
        dtype = torch.long if _feeds_embedding(gm, node) else torch.float32
        arguments.append(torch.zeros(shapes[name], dtype=dtype))
    values: dict = {}

    class Recorder(fx.Interpreter):
        def run_node(self, n):
            result = super().run_node(n)
            values[n] = _summary(result)
            return result

    gm.eval()
    try:
        with torch.no_grad():
            Recorder(gm).run(*arguments)
    except Exception as e:
        shown = ", ".join(f"{n}={'x'.join(map(str, s))}" for n, s in shapes.items())
        raise ImportFailure(f"running {target} on zeros ({shown}) failed: {_failure(e)}") from None
    return values


def _placeholder_name(node) -> str:
    return node.target.lstrip("*")


def _feeds_embedding(gm, node) -> bool:
    import torch

    for user in node.users:
        if user.op == "call_module" and isinstance(gm.get_submodule(user.target), torch.nn.Embedding):
            return True
        if user.op == "call_function" and user.target is torch.nn.functional.embedding:
            return True
    return False


def _summary(result):
    """A node's result as plain data: a tensor → its shape (tuple); a tuple → a tuple of summaries."""
    import torch

    if isinstance(result, torch.Tensor):
        return _Shape(tuple(result.shape))
    if isinstance(result, torch.Size):
        return tuple(result)
    if isinstance(result, (int, float, bool)) or result is None:
        return result
    if isinstance(result, (tuple, list)):
        return tuple(_summary(r) for r in result)
    return None


_STAND_IN = "<a value that could not be mapped>"


class _Shape(tuple):
    """A tensor's shape (distinct from a tuple of sizes)."""


# -- converting --------------------------------------------------------------------


class _Converter:
    """fx graph → ImportedGraph (see the module doc)."""

    def __init__(self, gm, module, rules, calls, values, source: str, inputs: list[str]):
        from .torch_functions import FUNCTIONS, METHODS

        self.gm, self.module, self.rules, self.calls, self.values = gm, module, rules, calls, values
        self.functions, self.methods = FUNCTIONS, METHODS
        self.graph = ImportedGraph(source, "torch")
        self.input_names = inputs
        self.env: dict = {}
        self.first_op: dict[str, int] = {}
        self.repeated: set[str] = set()
        self.node = None
        self.node_ops: list[int] = []
        self.probing = False

    def convert(self) -> ImportedGraph:
        from .torch_functions import FAILED, Unmappable
        from .torch_modules import Refused

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
        from .torch_functions import IGNORED, Tensor

        name = _placeholder_name(node)
        if name not in self.input_names:
            return IGNORED
        shape = self.values.get(node)
        return Tensor(Value(name), tuple(shape) if shape is not None else None)

    def do_get_attr(self, node):
        from .torch_functions import Unmappable

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
        from .torch_functions import FAILED, Unmappable
        from .torch_modules import owns_state

        module = self.module.get_submodule(node.target)
        found = self.rules.for_module(module)
        if found is None:
            raise Unmappable(f"no mapping for {_class_name(module)}: no shapecli layer type does what it does")
        class_name, rule = found
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
        from .torch_functions import Unmappable

        handler = self.functions.get(node.target)
        if handler is None and isinstance(node.target, type) and issubclass(node.target, tuple):
            args, kwargs, _ = self.mapped(node)
            return tuple(args) + tuple(kwargs.values())
        if handler is None and getattr(node.target, "__name__", "") == "_assert_is_none":
            from .torch_functions import IGNORED

            return IGNORED
        if handler is None:
            raise Unmappable(f"no mapping for the function {_function_name(node.target)}")
        return self.call(node, handler)

    def do_call_method(self, node):
        from .torch_functions import Unmappable

        handler = self.methods.get(node.target)
        if handler is None:
            raise Unmappable(f"no mapping for the tensor method .{node.target}()")
        return self.call(node, handler)

    def do_output(self, node):
        from .torch_functions import FAILED, IGNORED, Tensor, Unmappable

        args, _, _ = self.mapped(node)
        for value in _flatten(args[0]):
            if isinstance(value, Tensor):
                self.graph.outputs.append(value.value)
            elif value is not FAILED and value is not IGNORED and value is not None:
                raise Unmappable(f"the model returns {type(value).__name__}, not a tensor")

    # -- helpers --

    def call(self, node, handler):
        from .torch_functions import FAILED, Tensor

        args, kwargs, failed = self.mapped(node)
        self.probing = failed
        try:
            result = handler(self, args, kwargs)
        finally:
            self.probing = False
        if failed:
            from .torch_functions import Parts

            holds_tensors = any(isinstance(v, (Tensor, Parts)) for v in _flatten(result))
            return FAILED if holds_tensors else result
        shape = self.values.get(node)
        made_here = isinstance(result, Tensor) and self.node_ops and result.value == Value(self.node_ops[-1])
        if made_here and isinstance(shape, _Shape):
            self.graph.ops[self.node_ops[-1]].shapes = [tuple(shape)]
            return Tensor(result.value, tuple(shape))
        return result

    def layer(self, type: str, args: dict, inputs: list, stem: str | None = None):
        """Add a layer for the node being converted (the handlers' one way to add layers)."""
        from .torch_functions import Tensor

        if self.probing:
            return Tensor(Value(_STAND_IN), None)
        scope, _ = self.place(self.node)
        op = self.graph.add_op(scope, type, args, [t.value for t in inputs], self.origin(self.node), stem=stem)
        self.node_ops.append(op.id)
        return Tensor(Value(op.id), None)

    def current_shape(self):
        shape = self.values.get(self.node)
        return tuple(shape) if isinstance(shape, _Shape) else None

    def mapped(self, node):
        """The node's arguments with fx nodes replaced by their values, and whether one of them failed.

        A failed tensor is replaced by a stand-in of its shape, so that the call is still checked
        (and reported when it cannot be mapped either), without adding layers.
        """
        import torch.fx as fx

        from .torch_functions import FAILED, Dim, Tensor

        failed = False

        def value_of(argument):
            nonlocal failed
            value = self.env[argument]
            if value is FAILED:
                failed = True
                shape = self.values.get(argument)
                if type(shape) is int:
                    return Dim(shape)
                return Tensor(Value(_STAND_IN), tuple(shape) if isinstance(shape, _Shape) else None)
            return value

        args, kwargs = fx.node.map_arg(node.args, value_of), fx.node.map_arg(node.kwargs, value_of)
        return args, kwargs, failed

    def module_inputs(self, module, rule, args, kwargs, spec_args) -> list:
        """The tensors a module call passes as the layer's inputs; other tensor arguments are refused."""
        from .torch_functions import Tensor, Unmappable
        from .torch_modules import Refused

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
        from .torch_functions import Tensor

        def build(part, shape):
            if isinstance(part, int):
                shape_tuple = tuple(shape) if isinstance(shape, _Shape) else None
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
        from .torch_functions import Unmappable
        from .torch_modules import is_container

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
                f"module '{module_path}' ({_class_name(module)})",
                "runs more than once; a spec applies a single layer again (share:), not a whole block",
            )
        found = self.graph.scope(
            scope, key, parts[-1], type(module).__name__, _class_name(module), module_path, is_container(module)
        )
        return found, module_path

    def record_scope_io(self) -> None:
        """Name each traced-through module's inputs after its forward's parameters; order its outputs."""
        from .torch_functions import Tensor

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
            return f"module '{node.target}' ({_class_name(module)})"
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
    import torch

    skipped = _skipped_folders(torch)
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


def _class_name(module) -> str:
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
    from .torch_functions import Dim, Parts, Sizes, Tensor

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


# -- coverage and verification ---------------------------------------------------------


def _coverage(module, graph: ImportedGraph, gm) -> list[Problem]:
    """Parameters and buffers that no layer of the spec holds: their module never runs in the forward."""
    problems = []
    unused: dict[str, list[str]] = {}
    leaves = {n.target for n in gm.graph.nodes if n.op == "call_module"}
    attributes = {n.target for n in gm.graph.nodes if n.op == "get_attr"}
    for key in module.state_dict():
        owner, _, _ = key.rpartition(".")
        parts = owner.split(".") if owner else []
        inside_leaf = any(".".join(parts[:i]) in leaves for i in range(1, len(parts) + 1))
        if not inside_leaf and key not in attributes:
            unused.setdefault(owner, []).append(key)
    for owner, keys in unused.items():
        where = f"module '{owner}' ({_class_name(module.get_submodule(owner))})" if owner else "the model itself"
        shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
        problems.append(
            Problem(where, f"holds {shown}, which the traced forward never uses; a spec has only the layers that run")
        )
    return problems


def _header(target, kwargs, module, given, shapes, inputs) -> list[str]:
    import torch

    params = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    command = f"shapecli import torch {target}"
    if kwargs:
        command += f" --kwargs '{json.dumps(kwargs)}'"
    for name, shape in shapes.items():
        shown = "x".join(map(str, shape))
        command += f" --input {shown}" if len(inputs) == 1 and name == inputs[0] else f" --input {name}={shown}"
    lines = [
        f"Imported from {target} ({_class_name(module)}) by shapecli {__version__} with torch {torch.__version__}:",
        f"  {command}",
        f"{params:,} parameters, {buffers:,} buffer elements.",
    ]
    return lines


def _verify(text, graph, paths, module, shapes) -> tuple[list[Problem], str]:
    """Load and infer the written spec at --input; compare with the model (see the module doc)."""
    from ..infer import infer
    from ..spec import load_model

    model = load_model(text, "<imported spec>", "torch")
    trace = infer(model, list(shapes.items()))
    problems = [Problem(f"layer '{e.path}'", e.message) for e in trace.errors]
    spec_params = {}
    for layer in trace.layers:
        for p in layer.params:
            if p.shared_with is None:
                spec_params[p.name] = (tuple(p.after) if p.after is not None else None, p.buffer)
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    for name in expected.keys() - spec_params.keys():
        problems.append(Problem(f"'{name}'", f"is in the model's state_dict {expected[name]} but not in the spec"))
    for name in spec_params.keys() - expected.keys():
        problems.append(
            Problem(f"'{name}'", f"is in the spec {spec_params[name][0]} but not in the model's state_dict")
        )
    for name in expected.keys() & spec_params.keys():
        if expected[name] != spec_params[name][0]:
            problems.append(
                Problem(f"'{name}'", f"has shape {expected[name]} in the model, {spec_params[name][0]} in the spec")
            )
    by_path = {layer.path: layer for layer in trace.layers}
    for op in graph.ops:
        layer = by_path.get(paths[op.id])
        if op.shapes is None or layer is None or layer.state != "ok":
            continue
        produced = list(layer.output_shapes.values()) if layer.output_shapes else [layer.output_shape]
        for index, shape in enumerate(op.shapes):
            if shape is not None and index < len(produced) and tuple(produced[index]) != tuple(shape):
                problems.append(
                    Problem(
                        f"layer '{paths[op.id]}' ({op.origin})",
                        f"output {index}: torch {shape}, spec {tuple(produced[index])}",
                    )
                )
    params = sum(p.numel() for p in module.parameters())
    buffers = {k for k, _ in module.named_buffers()} & expected.keys()
    if trace.totals.params != params and not problems:
        problems.append(
            Problem("the totals", f"the spec counts {trace.totals.params:,} parameters, the model {params:,}")
        )
    outputs = ", ".join(format_shape(s) for s in trace.outputs.values())
    summary = (
        f"checked at {', '.join(f'{n}={chr(120).join(map(str, s))}' for n, s in shapes.items())}: "
        f"{params:,} parameters, {len(buffers)} buffers, {len(expected)} state_dict entries and "
        f"{sum(1 for op in graph.ops if op.shapes)} layer output shapes equal the model's; output {outputs}"
    )
    return problems, summary
