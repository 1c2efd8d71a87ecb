"""A plan → standalone Keras source: a `keras.layers.Layer` class per block (shared by its
uses, sizes that differ become constructor parameters) whose `__init__` creates the layers
and whose `call` follows the block's graph, and a `keras.Model` class for the model that
builds Keras' functional graph in its `__init__`.

Weight paths follow the layers' names as in the builder (shapecli.keras_build): a block
use is a Layer named by its path segment, its layers are built inside it, so a weight's
path is the keras-convention name ('.' of a repeat copy written '_').
"""

from __future__ import annotations

import re

from .backends.keras import LAYER_ATTRIBUTES
from .export import (
    INDENT,
    Applied,
    Call,
    ClassPlan,
    Comprehension,
    GraphWalk,
    Holes,
    Items,
    Keyword,
    Names,
    arguments,
    child_call,
    class_name,
    construct_call,
    expression,
    flat,
    group_classes,
    grouped,
    identifier,
    alike,
    layout,
    literal,
    parent_path,
    relative,
    safe_text,
    scopes_innermost_first,
    stem,
    unit_inputs,
    unit_output,
    unit_path,
)
from .plan import Construct, Plan, Scope, Step, call_text, located, target_text
from .registry import index_model_inputs
from .spec import NodeOutput

_IMPORTS = (("keras", "import keras"), ("layers", "from keras import layers, ops"))
_MODULE = "\x00M\x00"


def render(plan: Plan, header: str) -> str:
    """The exported source of a plan."""
    _check_runs_as_units(plan)
    writer = _Writer(plan)
    names = Names({"keras", "layers", "ops"})
    root_name = class_name(stem(plan.file))
    names.taken.add(root_name)
    classes = group_classes(scopes_innermost_first(plan), writer.body, names)
    classes[""].name = root_name
    texts, seen = [], set()
    for scope in scopes_innermost_first(plan):
        group = classes[scope.path]
        if id(group) not in seen:
            seen.add(id(group))
            texts.append(writer.class_text(group, classes))
    body = "\n\n\n".join(texts)
    imports = ["import keras"]
    used = sorted({m for m in ("layers", "ops") if re.search(rf"\b{m}\.", body)})
    if used:
        imports.append(f"from keras import {', '.join(used)}")
    return header + "\n\n" + "\n".join(imports) + "\n\n\n" + body + "\n"


def _check_runs_as_units(plan: Plan) -> None:
    """Each block use must run as one call (not interleaved with the layers around it)."""
    for path, scope in plan.scopes.items():
        if path and scope not in plan.scopes[parent_path(path)].units:
            node = plan.steps[scope.first].node
            raise located(
                f"Keras export writes each block use as one layer, but the layers of '{path}' interleave with "
                "others (a block input comes from a layer that needs the block's own output)",
                plan.model,
                node,
                hint="build it with shapecli.build_keras instead, or reorder the block's inputs",
            )


def keras_name(segment: str) -> str:
    return segment.replace(".", "_")


class _Writer(GraphWalk):
    def class_text(self, group: ClassPlan, classes: dict) -> str:
        scope = group.scopes[0]
        holes = Holes(group.decide)
        body = self.body(scope, holes, classes)
        params = ["self", *(f"{name}: {annotation}" for name, annotation in group.params), "**kwargs"]
        signature = layout(Call("def __init__", params, ":"), INDENT)
        if scope.path:
            uses = len(group.scopes)
            doc = f"Block {scope.block} ({uses} use{'s' if uses > 1 else ''} in the spec)."
            lines = [f"class {group.name}(layers.Layer):", f'{INDENT}"""{safe_text(doc)}"""', "", *signature]
            lines.append(f"{INDENT * 2}super().__init__(**kwargs)")
        else:
            doc = f"The model of {self.plan.file}."
            lines = [f"class {group.name}(keras.Model):", f'{INDENT}"""{safe_text(doc)}"""', "", *signature]
        return "\n".join(lines) + "\n" + body

    def body(self, scope: Scope, holes: Holes, classes: dict) -> str:
        if scope.path:
            return self.layer_body(scope, holes, classes)
        return self.model_body(scope, holes, classes)

    # -- a block: a Layer subclass --------------------------------------------------------

    def layer_body(self, scope: Scope, holes: Holes, classes: dict) -> str:
        indent = INDENT * 2
        attributes = self.attributes(scope)
        init: list[str] = []
        for base, items in grouped(self.members[scope.path]):
            target = f"self.{attributes[base]}"
            if len(items) == 1 and "." not in items[0].rel:
                node = self.creation(items[0], holes, classes, literal(keras_name(base)))
                if node is not None:
                    init += layout(node, indent, f"{target} = ")
            else:
                init += self.copies(target, base, items, holes, classes, indent)
        names = Names({"self", "keras", "layers", "ops"})
        values: dict = {}
        params = []
        for name, source in scope.inputs:
            values[source] = names.fresh(name)
            params.append(values[source])
        lines = layout(Call("def call", ["self", *params], ":"), INDENT)
        lines += self.graph(scope, values, names, indent, lambda rel: _access(rel, attributes))
        lines.append(f"{indent}return {', '.join(values[s] for s in scope.outputs)}")
        return "\n".join(init) + "\n\n" + "\n".join(lines)

    def attributes(self, scope: Scope) -> dict[str, str]:
        """An attribute name for each member name: its identifier, or with '_' added where
        Keras' Layer has an attribute of that name (the layer keeps its name)."""
        taken: set[str] = set()
        result = {}
        for base, _ in grouped(self.members[scope.path]):
            name = identifier(base)
            while name in LAYER_ATTRIBUTES or name in taken:
                name += "_"
            taken.add(name)
            result[base] = name
        return result

    def copies(self, target: str, base: str, items: list, holes: Holes, classes: dict, indent: str) -> list[str]:
        """A repeat's copies as a list attribute: a comprehension when they are alike, the
        first and then a comprehension when only the first differs, else each one."""
        form = alike([self._scratch(item, classes) for item in items])
        name = f'f"{keras_name(base)}_{{i}}"'
        if form == "all":
            element = self.creation(items[0], holes, classes, name, base)
            count = holes.value((base, f"{base}_count"), len(items))
            return layout(Comprehension(element, count, "i"), indent, f"{target} = ")
        if form == "first":
            first = self.creation(items[0], holes, classes, literal(keras_name(items[0].rel)), f"{base}.0")
            element = self.creation(items[1], holes, classes, name, base)
            count = holes.value((base, f"{base}_count"), len(items))
            lines = layout(Items("[", [first], "]"), indent, f"{target} = ")
            return lines + layout(Call(f"{target}.extend", [Comprehension(element, f"1, {count}", "i")]), indent)
        return layout(
            Items("[", [self.creation(i, holes, classes, literal(keras_name(i.rel))) for i in items], "]"),
            indent,
            f"{target} = ",
        )

    def _scratch(self, member, classes: dict):
        holes = Holes()
        node = self.creation(member, holes, classes, "name", member.rel.split(".")[0])
        return flat(node) if node is not None else "", [value for _, value, _ in holes.values]

    def creation(self, member, holes: Holes, classes: dict, name: str, key: str | None = None):
        """The call creating a member (a layer, or a block's Layer), named `name` (source text)."""
        key = key or member.rel
        if member.scope is not None:
            return child_call(holes, classes, member.scope, key, [Keyword("name", name)])
        step = member.step
        if step.make is None or not isinstance(step.make, Construct):
            return None
        return construct_call(step.make, (identifier(key),), holes, [Keyword("name", name)])

    # -- the model: a functional keras.Model ----------------------------------------------

    def model_body(self, scope: Scope, holes: Holes, classes: dict) -> str:
        indent = INDENT * 2
        names = Names({"self", "keras", "layers", "ops", "kwargs"})
        values: dict = {}
        lines = []
        for name, source in scope.inputs:
            var = names.fresh(name)
            values[source] = var
            args = [Keyword("batch_shape", literal(self.shape_of(source))), Keyword("name", literal(name))]
            if self.reads_indices(source):
                args.append(Keyword("dtype", literal("int32")))
            lines += layout(Call("keras.Input", args), indent, f"{var} = ")
        shared = {self.plan.steps[s.node.owner].node.path for s in self.plan.steps if s.node.owner is not None}
        created: dict[str, str] = {}
        members = {m.rel: m for m in self.members[""]}

        def module(path: str):
            if path in created:
                return created[path]
            member = members[path]
            node = self.creation(member, holes, classes, literal(keras_name(path)))
            if path in shared:
                var = names.fresh(f"{path}_layer")
                lines.extend(layout(node, indent, f"{var} = "))
                created[path] = var
                return var
            return node

        lines += self.graph(scope, values, names, indent, module, holes, classes)
        inputs = [values[source] for _, source in scope.inputs]
        outputs = [values[source] for source in scope.outputs]
        call = Call(
            "super().__init__",
            [
                Keyword("inputs", inputs[0] if len(inputs) == 1 else flat(Items("[", inputs, "]"))),
                Keyword("outputs", outputs[0] if len(outputs) == 1 else flat(Items("[", outputs, "]"))),
                "**kwargs",
            ],
        )
        lines += layout(call, indent)
        return "\n".join(lines)

    def shape_of(self, source) -> tuple:
        shape = self.plan.trace.inputs[source]
        return tuple(d if isinstance(d, int) else None for d in shape)

    def reads_indices(self, source) -> bool:
        return source in index_model_inputs([s.node for s in self.plan.steps], self.plan.trace.inputs)

    # -- the graph: call (a block) or the functional wiring (the model) ------------------

    def graph(self, scope: Scope, values: dict, names: Names, indent: str, module, holes=None, classes=None) -> list:
        """Statements running the scope's units; `module(rel)` gives the layer at a relative
        path: an attribute access in a block, a creation (or a variable) in the model."""
        lines: list[str] = []
        units = list(scope.units)
        i = 0
        while i < len(units):
            run = self.chain(units, i, scope)
            if run:
                lines += self.loop(units[i : i + run], scope, values, names, indent, module, holes, classes)
                i += run
                continue
            unit = units[i]
            rel = relative(unit_path(unit), scope.path)
            word = identifier(rel.replace("/", "_"))
            if isinstance(unit, Scope):
                targets = self.targets(unit, word, names, values)
                lines += layout(_apply(module(rel), [values[s] for s in unit_inputs(unit)]), indent, f"{targets} = ")
            else:
                lines += self.step(unit, rel, word, values, names, indent, module)
            i += 1
        return lines

    def targets(self, unit: Scope, word: str, names: Names, values: dict) -> str:
        targets = []
        for source in unit.outputs:
            if len(unit.outputs) == 1:
                target = names.fresh(word)
            else:
                inner = self.plan.steps[source.node].node
                target = names.fresh(f"{word}_{relative(inner.path, unit.path).replace('/', '_')}")
            values[source] = target
            targets.append(target)
        return ", ".join(targets)

    def step(self, step: Step, rel: str, word: str, values: dict, names: Names, indent: str, module) -> list:
        node = step.node
        owner = step if step.make is not None else self.plan.steps[node.owner]
        make = owner.make
        rel = relative(owner.node.path, parent_path(node.path)) if owner is not step else rel
        outputs = node.layer.output_names(node.cfg)
        targets = [names.fresh(word if i == 0 else f"{word}_{name}") for i, name in enumerate(outputs)]
        for i, target in enumerate(targets):
            values[NodeOutput(node.id, i)] = target
        args = [values[source] for source in node.sources]
        call = _call_node(make, module(rel) if isinstance(make, Construct) else None, args)
        return layout(call, indent, f"{target_text(make, targets)} = ")

    def loop(self, run: list, scope: Scope, values: dict, names: Names, indent: str, module, holes, classes) -> list:
        base = relative(unit_path(run[0]), scope.path).split(".")[0]
        var = names.fresh(base)
        lines = [f"{indent}{var} = {values[unit_inputs(run[0])[0]]}"]
        if scope.path:  # a block: the copies are a list attribute
            item = names.fresh("block" if isinstance(run[0], Scope) else "layer")
            lines.append(f"{indent}for {item} in self.{self.attributes(scope)[base]}:")
            layer = item
        else:  # the model: create each copy in the loop
            member = next(m for m in self.members[""] if m.rel == f"{base}.0")
            lines.append(f"{indent}for i in range({holes.value((base, f'{base}_count'), len(run))}):")
            layer = self.creation(member, holes, classes, f'f"{keras_name(base)}_{{i}}"', base)
        if isinstance(run[0], Scope):
            call = _apply(layer, [var])
        else:
            call = _call_node(run[0].make, layer, [var])
        lines += layout(call, indent + INDENT, f"{var} = ")
        values[unit_output(run[-1])] = var
        return lines


def _apply(layer, args: list):
    return Call(layer, args) if isinstance(layer, str) else Applied(layer, args)


def _call_node(make, layer, args: list):
    """The layout node of a step's call: the layer (text or a creation node) applied as the
    template says, or the template's expression."""
    if not isinstance(make, Construct):
        return expression(call_text(make, "", args))
    text = call_text(make, _MODULE, args)
    if text.startswith(_MODULE + "(") and text.endswith(")"):
        return _apply(layer, arguments(text[len(_MODULE) + 1 : -1]))
    return expression(text.replace(_MODULE, flat(layer)))


def _access(rel: str, attributes: dict[str, str]) -> str:
    """`self.…` for a member of a block: 'conv1' → 'self.conv1', 'rest.0' → 'self.rest[0]'."""
    name, _, index = rel.partition(".")
    text = f"self.{attributes[name]}"
    return f"{text}[{index}]" if index else text
