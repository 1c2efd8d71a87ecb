"""A plan → standalone PyTorch source: a class per block (shared by its uses, sizes that
differ become constructor parameters) and one for the model, whose `__init__` creates the
torch.nn layers and whose `forward` follows the graph.

The module names and the calls are those of the builder (shapecli.torch_build): the same
backend table gives each layer's class, keyword arguments and call template, so the
exported model has the builder's state_dict keys and shapes and computes the same outputs.
A repeated layer or block is an nn.ModuleList, run by a loop where its copies form a chain.
"""

from __future__ import annotations

import re

from .backends.torch import TIE_TRANSPOSED
from .export import (
    INDENT,
    Call,
    ClassPlan,
    Comprehension,
    Holes,
    Items,
    Names,
    GraphWalk,
    Member,
    class_name,
    construct_call,
    expression,
    child_call,
    flat,
    group_classes,
    identifier,
    is_attribute,
    alike,
    layout,
    literal,
    minus_one,
    safe_text,
    grouped,
    parent_path,
    relative,
    scopes_innermost_first,
    stem,
    unit_inputs,
    unit_output,
)
from .plan import Construct, Plan, Scope, Step, call_text, target_text
from .spec import NodeOutput

_IMPORTS = (("torch", "import torch"), ("F", "import torch.nn.functional as F"), ("nn", "from torch import nn"))


def render(plan: Plan, header: str) -> str:
    """The exported source of a plan."""
    writer = _Writer(plan)
    names = Names({"torch", "nn", "F", "tie_transposed"})
    root_name = class_name(stem(plan.file))
    names.taken.add(root_name)
    classes = group_classes(scopes_innermost_first(plan), writer.body, names)
    classes[""].name = root_name
    texts, seen = [], set()
    for scope in scopes_innermost_first(plan):
        group = classes[scope.path]
        if id(group) in seen:
            continue
        seen.add(id(group))
        texts.append(writer.class_text(group, classes))
    body = "\n\n\n".join(texts)
    if writer.tie_transposed:
        body = TIE_TRANSPOSED.strip() + "\n\n\n" + body
    imports = [line for name, line in _IMPORTS if re.search(rf"\b{name}\.", body) or name == "nn"]
    return header + "\n\n" + "\n".join(imports) + "\n\n\n" + body + "\n"


class _Writer(GraphWalk):
    def __init__(self, plan: Plan):
        super().__init__(plan)
        self.tie_transposed = False

    # -- a class ------------------------------------------------------------------------

    def class_text(self, group: ClassPlan, classes: dict) -> str:
        scope = group.scopes[0]
        holes = Holes(group.decide)
        body = self.body(scope, holes, classes)
        if scope.path:
            uses = len(group.scopes)
            doc = f"Block {scope.block} ({uses} use{'s' if uses > 1 else ''} in the spec)."
        else:
            doc = f"The model of {self.plan.file}."
        params = ["self", *(f"{name}: {annotation}" for name, annotation in group.params)]
        signature = layout(Call("def __init__", params, ":"), INDENT)
        lines = [f"class {group.name}(nn.Module):", f'{INDENT}"""{safe_text(doc)}"""', "", *signature]
        lines.append(f"{INDENT * 2}super().__init__()")
        return "\n".join(lines) + "\n" + body

    def body(self, scope: Scope, holes: Holes, classes: dict) -> str:
        """The statements of __init__ after super().__init__(), and forward."""
        init: list[str] = []
        ties: list[str] = []
        indent = INDENT * 2
        for base, items in grouped(self.members[scope.path]):
            if len(items) == 1 and "." not in items[0].rel:
                member = items[0]
                init += self.create(member, base, holes, classes, indent)
            else:
                init += self.module_list(base, items, holes, classes, indent)
        for member in self.members[scope.path]:
            if member.step is not None:
                ties += self.ties(member, scope, holes, indent)
        forward = self.forward(scope)
        return "\n".join(init + ties) + "\n\n" + forward

    def create(self, member: Member, base: str, holes: Holes, classes: dict, indent: str) -> list[str]:
        step = member.step
        if step is not None and step.make is None:
            owner = self.plan.steps[step.node.owner]
            return _assign(base, _access(relative(owner.node.path, parent_path(step.node.path))), indent)
        if step is not None and not isinstance(step.make, Construct):
            return []
        if step is not None and step.make.cls == "torch.zeros":  # a Buffer layer
            call = Call("self.register_buffer", [literal(base), self.construct_call(member, holes, classes)])
            return layout(call, indent)
        lines = _assign(base, self.construct_call(member, holes, classes), indent)
        if step is not None:
            for name, shape in step.make.params.items():
                value = holes.value((member.rel, name), tuple(shape))
                call = Call(
                    f"{_access(member.rel)}.register_parameter", [literal(name), f"nn.Parameter(torch.zeros({value}))"]
                )
                lines += layout(call, indent)
        return lines

    def construct_call(self, member: Member, holes: Holes, classes: dict, key: str | None = None):
        """The call creating a member; its values are recorded under `key` (default: its name)."""
        key = key or member.rel
        if member.scope is not None:
            return child_call(holes, classes, member.scope, key)
        return construct_call(member.step.make, (identifier(key),), holes)

    def module_list(self, base: str, items: list[Member], holes: Holes, classes: dict, indent: str) -> list[str]:
        """A repeat's copies as an nn.ModuleList: a comprehension when they are alike, the
        first and then a comprehension when only the first differs, else each one. Copies
        numbered from K > 0 (`repeat: {start: K}`) follow K `nn.Identity()` placeholders, which
        hold no tensors, so that the state_dict keys keep the copies' numbers (`rest.1…`)."""
        start = _first_index(items[0].rel)
        form = alike([self._scratch(item, classes) for item in items])
        if form == "all":
            element = self.construct_call(items[0], holes, classes, base)
            count = holes.value((base, f"{base}_count"), len(items))
            parts = [Comprehension(element, count)]
        elif form == "first":
            first = self.construct_call(items[0], holes, classes, f"{base}.{start}")
            element = self.construct_call(items[1], holes, classes, base)
            count = minus_one(holes.value((base, f"{base}_count"), len(items)))
            parts = [Items("[", [first], "]"), Comprehension(element, count)]
        else:
            parts = [Items("[", [self.construct_call(i, holes, classes) for i in items], "]")]
        if start:
            parts.insert(0, expression(f"[nn.Identity()] * {start}"))
        lines = _assign(base, Call("nn.ModuleList", [parts[0]]), indent)
        for part in parts[1:]:
            lines += layout(Call(f"{_access(base)}.extend", [part]), indent)
        return lines

    def _scratch(self, member: Member, classes: dict):
        holes = Holes()
        text = flat(self.construct_call(member, holes, classes))
        return text, [value for _, value, _ in holes.values]

    def ties(self, member: Member, scope: Scope, holes: Holes, indent: str) -> list[str]:
        step = member.step
        if step.node.tie is None:
            return []
        target = self.plan.steps[step.node.tie]
        if target.make is None:
            target = self.plan.steps[target.node.owner]
        mine, theirs = _access(member.rel), _access(relative(target.node.path, scope.path))
        lines = []
        for p, q in zip(step.info.params, target.info.params):
            if tuple(p.after) == tuple(q.after):
                lines.append(f"{indent}{mine}.{_attr_path(p.local)} = {theirs}.{_attr_path(q.local)}")
            else:
                self.tie_transposed = True
                holder, name = _holder(mine, p.local)
                source, source_name = _holder(theirs, q.local)
                call = Call("tie_transposed", [holder, literal(name), source, literal(source_name)])
                lines += layout(call, indent)
        return lines

    # -- forward ------------------------------------------------------------------------

    def forward(self, scope: Scope) -> str:
        names = Names({"self", "torch", "nn", "F", "tie_transposed"})
        values: dict[object, str] = {}
        params = []
        for name, source in scope.inputs:
            values[source] = names.fresh(name)
            params.append(values[source])
        lines = layout(Call("def forward", ["self", *params], ":"), INDENT)
        indent = INDENT * 2
        units = list(scope.units)
        i = 0
        while i < len(units):
            run = self.chain(units, i, scope)
            if run:
                lines += self.loop(units[i : i + run], scope, values, names, indent)
                i += run
                continue
            unit = units[i]
            if isinstance(unit, Scope):
                lines += self.call_scope(unit, scope, values, names, indent)
            else:
                lines += self.call_step(unit, scope, values, names, indent)
            i += 1
        outputs = [values[source] for source in scope.outputs]
        lines.append(f"{indent}return {', '.join(outputs)}")
        return "\n".join(lines)

    def call_step(self, step: Step, scope: Scope, values: dict, names: Names, indent: str) -> list[str]:
        node = step.node
        make = step.make if step.make is not None else self.plan.steps[node.owner].make
        rel = relative(node.path, scope.path)
        args = [values[source] for source in node.sources]
        word = identifier(rel.replace("/", "_"))
        outputs = node.layer.output_names(node.cfg)
        targets = [names.fresh(word if i == 0 else f"{word}_{name}") for i, name in enumerate(outputs)]
        for i, target in enumerate(targets):
            values[NodeOutput(node.id, i)] = target
        call = call_text(make, _access(rel), args)
        post = getattr(make, "post", None)
        if post and not make.unpack:
            return layout(expression(post.format(call)), indent, f"{targets[0]} = ")
        lines = layout(expression(call), indent, f"{target_text(make, targets)} = ")
        if post:
            lines += layout(expression(post.format(targets[0])), indent, f"{targets[0]} = ")
        return lines

    def call_scope(self, unit: Scope, scope: Scope, values: dict, names: Names, indent: str) -> list[str]:
        rel = relative(unit.path, scope.path)
        args = [values[source] for _, source in unit.inputs]
        word = identifier(rel.replace("/", "_"))
        targets = []
        for source in unit.outputs:
            if len(unit.outputs) == 1:
                target = names.fresh(word)
            else:
                inner = self.plan.steps[source.node].node
                suffix = relative(inner.path, unit.path).replace("/", "_")
                target = names.fresh(f"{word}_{suffix}")
            values[source] = target
            targets.append(target)
        return layout(Call(_access(rel), args), indent, f"{', '.join(targets)} = ")

    def loop(self, run: list, scope: Scope, values: dict, names: Names, indent: str) -> list[str]:
        base = relative(run[0].path if isinstance(run[0], Scope) else run[0].node.path, scope.path).split(".")[0]
        var = names.fresh(base)
        item = names.fresh("block" if isinstance(run[0], Scope) else "layer")
        lines = [f"{indent}{var} = {values[unit_inputs(run[0])[0]]}", f"{indent}for {item} in {_access(base)}:"]
        if isinstance(run[0], Scope):
            call = f"{item}({var})"
        else:
            make = run[0].make
            call = call_text(make, item, [var])
            if getattr(make, "post", None):
                call = make.post.format(call)
        lines += layout(expression(call), indent + INDENT, f"{var} = ")
        values[unit_output(run[-1])] = var
        return lines


def _assign(name: str, value, indent: str) -> list[str]:
    """`self.name = value`, or `self.add_module("name", value)` for a name that is no identifier."""
    if is_attribute(name):
        return layout(value, indent, f"self.{name} = ")
    return layout(Call("self.add_module", [literal(name), value]), indent)


def _first_index(rel: str) -> int:
    """The number of a repeat's first copy: 'rest.1' → 1 ('rest.0/conv' → 0)."""
    return int(rel.split("/")[0].partition(".")[2] or 0)


def _access(rel: str) -> str:
    """`self.…` for a path relative to a scope: 'rest.0/conv1' → 'self.rest[0].conv1'."""
    text = "self"
    for part in rel.split("/"):
        name, _, index = part.partition(".")
        text = f"{text}.{name}" if is_attribute(name) else f"getattr({text}, {literal(name)})"
        if index:
            text += f"[{index}]"
    return text


def _attr_path(local: str) -> str:
    return ".".join(local.split("."))


def _holder(module: str, local: str) -> tuple[str, str]:
    *parents, name = local.split(".")
    return ".".join([module, *parents]), name
