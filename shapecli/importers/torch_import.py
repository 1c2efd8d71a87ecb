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

from .. import __version__
from ..dims import format_shape, is_known
from ..errors import did_you_mean
from .graph import ImportedGraph, ImportedSpec, ImportFailure, Problem, UnmappableModel
from .spec_writer import write_spec


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
    from .torch_convert import Converter

    graph = Converter(gm, module, rules, tracer.calls, values, source, inputs).convert()
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


def skipped_folders(torch) -> tuple[str, ...]:
    """Folders whose frames are not the user's code: torch's and shapecli's."""
    return tuple(os.path.dirname(path) + os.sep for path in (torch.__file__, os.path.dirname(__file__)))


def _failure(error: BaseException) -> str:
    """'TypeError: message (at file.py:12 in f: code)' — the innermost frame outside torch and shapecli."""
    import torch

    skipped = skipped_folders(torch)
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

    from .torch_convert import placeholder_name, summary

    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    arguments = []
    for node in placeholders:
        name = placeholder_name(node)
        if name not in shapes:
            continue
        dtype = torch.long if _feeds_embedding(gm, node) else torch.float32
        arguments.append(torch.zeros(shapes[name], dtype=dtype))
    values: dict = {}

    class Recorder(fx.Interpreter):
        def run_node(self, n):
            result = super().run_node(n)
            values[n] = summary(result)
            return result

    gm.eval()
    try:
        with torch.no_grad():
            Recorder(gm).run(*arguments)
    except Exception as e:
        shown = ", ".join(f"{n}={'x'.join(map(str, s))}" for n, s in shapes.items())
        raise ImportFailure(f"running {target} on zeros ({shown}) failed: {_failure(e)}") from None
    return values


def _feeds_embedding(gm, node) -> bool:
    import torch

    for user in node.users:
        if user.op == "call_module" and isinstance(gm.get_submodule(user.target), torch.nn.Embedding):
            return True
        if user.op == "call_function" and user.target is torch.nn.functional.embedding:
            return True
    return False


# -- coverage and verification ---------------------------------------------------------


def _coverage(module, graph: ImportedGraph, gm) -> list[Problem]:
    """Parameters and buffers that no layer of the spec holds: their module never runs in the forward."""
    from .torch_convert import class_name

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
        where = f"module '{owner}' ({class_name(module.get_submodule(owner))})" if owner else "the model itself"
        shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
        problems.append(
            Problem(where, f"holds {shown}, which the traced forward never uses; a spec has only the layers that run")
        )
    return problems


def _header(target, kwargs, module, given, shapes, inputs) -> list[str]:
    import torch

    from .torch_convert import class_name

    params = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    command = f"shapecli import torch {target}"
    if kwargs:
        command += f" --kwargs '{json.dumps(kwargs)}'"
    for name, shape in shapes.items():
        shown = "x".join(map(str, shape))
        command += f" --input {shown}" if len(inputs) == 1 and name == inputs[0] else f" --input {name}={shown}"
    lines = [
        f"Imported from {target} ({class_name(module)}) by shapecli {__version__} with torch {torch.__version__}:",
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
