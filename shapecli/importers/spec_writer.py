"""ImportedGraph → spec text.

Scopes (the model's modules) become block uses, so that each layer's path —
and with it each parameter name — follows the module hierarchy:
`layer1/0/conv1` gives `layer1.0.conv1.weight` under the torch convention.
Then, bottom-up:

  * scopes with the same structure share one block definition; arguments that
    differ between them become block parameters (`$out_channels`);
  * a scope that is nothing but a chain of equal children named 0 … n-1 (a
    Sequential of identical blocks) is written as its child with `repeat: n`,
    whose copies are named `name.0 … name.n-1` — the same parameter names.

Plain containers that are never called as a whole (a ModuleList iterated in a
forward) are scopes too; operations without parameters that the forward runs
between their members are moved into them, so that each block use is one
piece of the graph. Anything else that cannot be written is a Problem.
"""

from __future__ import annotations

import json
import re

from ..records import NamedTuple
from ..registry import canonical_arg, lookup, make_config
from .graph import ImportedGraph, Op, Problem, Scope, Value

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z|[1-9][0-9]*(x[1-9][0-9]*)+\Z")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


class WrittenSpec(NamedTuple):
    """The spec text, the path of each op's layer in it (op id → 'layer1.0/conv1'), and problems found."""

    text: str
    paths: dict[int, str]
    problems: list[Problem]


def write_spec(graph: ImportedGraph) -> WrittenSpec:
    """Write `graph` as spec text (problems found on the way are returned, not raised)."""
    return _Writer(graph).write()


class _Entry:
    """One item of a `layers:` list before it is written."""

    __slots__ = ("name", "type", "args", "sources", "share", "repeat", "block", "outputs", "comment")

    def __init__(self, name: str, type: str, args: dict, sources: list[str]):
        self.name, self.type, self.args, self.sources = name, type, dict(args), sources
        self.share: str | None = None
        self.repeat: int | None = None
        self.block: _Def | None = None
        """The block definition a block use refers to."""
        self.outputs = 1
        """How many outputs its block has (1 for a layer: only its first output chains)."""
        self.comment = ""


class _Def:
    """A block definition for one scope: inputs, entries, outputs (before grouping)."""

    __slots__ = ("scope", "inputs", "entries", "outputs", "name", "params", "values", "group")

    def __init__(self, scope: Scope, inputs: list[str], entries: list[_Entry], outputs: list[str]):
        self.scope, self.inputs, self.entries, self.outputs = scope, inputs, entries, outputs
        self.name = ""
        self.params: dict[str, str] = {}
        """Parameter name → kind ('int', 'list', …) of the shared definition."""
        self.values: dict[str, object] = {}
        """This use's value of each parameter."""
        self.group: _Def | None = None
        """The definition that is written for this scope (itself, or an equal one)."""

    def structure(self) -> tuple:
        """What must be equal for two scopes to share a definition (argument values aside)."""
        entries = tuple(
            (e.name, e.type if e.block is None else id(e.block), e.share, e.repeat, tuple(e.sources))
            for e in self.entries
        )
        kind = "generic" if self.scope.generic else self.scope.origin
        return (kind, tuple(self.inputs), tuple(self.outputs), entries)


class _Writer:
    def __init__(self, graph: ImportedGraph):
        self.graph = graph
        self.problems: list[Problem] = []
        self.consumers: list[list[int]] = [[] for _ in graph.ops]
        for op in graph.ops:
            for source in op.sources:
                if isinstance(source.producer, int):
                    self.consumers[source.producer].append(op.id)
        self.names: dict[int, str] = {}
        self.defs: dict[Scope, _Def] = {}
        self.collapsed: set[Scope] = set()
        self.block_names: dict[int, str] = {}

    def write(self) -> WrittenSpec:
        self.make_convex()
        self.hoist_merges()
        chains = {op.id: op.scope.chain() for op in self.graph.ops}
        children, items = self.tree(chains)
        self.scope_io(chains)
        self.name_ops(items)
        heights = _heights(self.graph.root, children)
        taken_blocks: set[str] = set()
        for height in sorted({h for s, h in heights.items() if s is not self.graph.root}):
            level = [s for s in heights if heights[s] == height and s is not self.graph.root]
            groups: dict[tuple, list[_Def]] = {}
            for scope in level:
                definition = self.defs[scope] = self.make_def(scope, items.get(scope, []))
                if self.collapsible(definition):
                    self.collapsed.add(scope)
                else:
                    groups.setdefault(definition.structure(), []).append(definition)
            for members in groups.values():
                members[0].name = self.block_name(members[0].scope, taken_blocks)
                self.parametrize(members)
        root = self.defs[self.graph.root] = self.make_def(self.graph.root, items.get(self.graph.root, []))
        text = self.render(root, [s for s in heights if s is not self.graph.root])
        return WrittenSpec(text, self.paths(), self.problems)

    # -- scopes -------------------------------------------------------------

    def make_convex(self) -> None:
        """Move parameter-free ops that lie between members of a scope into it (see the module doc)."""
        ops = self.graph.ops
        scopes = {s for op in ops for s in op.scope.chain()}
        for scope in sorted(scopes, key=lambda s: len(s.chain())):
            members = {op.id for op in ops if scope in op.scope.chain()}
            low, high = min(members), max(members)
            after = set(members)
            for op in ops[low : high + 1]:
                if any(isinstance(s.producer, int) and s.producer in after for s in op.sources):
                    after.add(op.id)
            before = set(members)
            for op in reversed(ops[low : high + 1]):
                if any(c in before for c in self.consumers[op.id]):
                    before.add(op.id)
            around = {self.graph.root, *scope.chain()} - {scope}
            for op_id in sorted((after & before) - members):
                op = ops[op_id]
                if op.owns_params or op.scope not in around:
                    self.problems.append(
                        Problem(
                            op.origin,
                            f"runs between the parts of '{scope.path}', which therefore cannot be one block "
                            "(the spec names parameters after the module that holds them)",
                        )
                    )
                    continue
                op.scope = scope
                if op.name is not None:
                    op.name, op.stem = None, op.name

    def hoist_merges(self) -> None:
        """Move a parameter-free op that alone takes a scope's several inputs out, in front of the scope.

        DenseNet's layers concatenate their inputs first: with the concatenation
        outside, every such layer takes one input and all share one block.
        """
        ops = self.graph.ops
        changed = True
        while changed:
            changed = False
            inside: dict[Scope, set[int]] = {}
            for op in ops:
                for scope in op.scope.chain():
                    inside.setdefault(scope, set()).add(op.id)
            for scope in sorted(inside, key=lambda s: -len(s.chain())):
                members = inside[scope]
                users = {
                    op_id
                    for op_id in members
                    for s in ops[op_id].sources
                    if not (isinstance(s.producer, int) and s.producer in members)
                }
                if len(users) != 1:
                    continue
                op = ops[users.pop()]
                external = {s for s in op.sources if not (isinstance(s.producer, int) and s.producer in members)}
                if (
                    op.scope is not scope
                    or op.owns_params
                    or len(external) < 2
                    or len(external) != len(set(op.sources))
                ):
                    continue
                op.scope = scope.parent
                if op.name is not None:
                    op.name, op.stem = None, op.name
                changed = True
                break

    def tree(self, chains):
        """Each scope's child scopes and its items (ops and child scopes), in graph order."""
        children: dict[Scope, list[Scope]] = {self.graph.root: []}
        first: dict[Scope, int] = {}
        for op in self.graph.ops:
            parent = self.graph.root
            for scope in chains[op.id]:
                if scope not in children:
                    children[scope] = []
                    children[parent].append(scope)
                first.setdefault(scope, op.id)
                parent = scope
        items: dict[Scope, list] = {}
        for op in self.graph.ops:
            items.setdefault(op.scope, []).append(op)
        for scope, kids in children.items():
            items.setdefault(scope, []).extend(kids)
            items[scope].sort(key=lambda item: item.id if isinstance(item, Op) else first[item])
        return children, items

    def scope_io(self, chains) -> None:
        """Each scope's inputs (values from outside used inside) and outputs (used outside, or model outputs)."""
        self.inputs: dict[Scope, list[Value]] = {}
        self.outputs: dict[Scope, list[Value]] = {}

        def add(table, scope, value):
            values = table.setdefault(scope, [])
            if value not in values:
                values.append(value)

        for op in self.graph.ops:
            mine = chains[op.id]
            for source in op.sources:
                theirs = chains[source.producer] if isinstance(source.producer, int) else []
                for scope in mine:
                    if scope not in theirs:
                        add(self.inputs, scope, source)
                for scope in theirs:
                    if scope not in mine:
                        add(self.outputs, scope, source)
        for value in self.graph.outputs:
            for scope in chains[value.producer] if isinstance(value.producer, int) else []:
                add(self.outputs, scope, value)
        for scope, values in self.inputs.items():
            known = list(scope.input_names)
            values.sort(key=lambda v: known.index(v) if v in known else len(known))
        for scope, values in self.outputs.items():
            values.sort(key=lambda v: scope.output_values.index(v) if v in scope.output_values else 1 << 30)

    def name_ops(self, items) -> None:
        """Fixed names stay; the other ops get their stem, numbered when taken."""
        for scope, members in items.items():
            taken = {m.name for m in members if isinstance(m, Scope)}
            taken |= {m.name for m in members if isinstance(m, Op) and m.name is not None}
            for name in sorted(taken):
                if not _NAME.match(name):
                    self.problems.append(
                        Problem(
                            f"'{_join(scope.path, name)}'",
                            f"the name '{name}' is not a valid layer name (letters, digits, '_' and '-')",
                        )
                    )
            counters: dict[str, int] = {}
            for member in members:
                if not isinstance(member, Op):
                    continue
                if member.name is not None:
                    self.names[member.id] = member.name
                    continue
                stem = _safe_stem(member.stem)
                while True:
                    n = counters.get(stem, 0)
                    counters[stem] = n + 1
                    name = stem if n == 0 else f"{stem}_{n}"
                    if name not in taken:
                        break
                taken.add(name)
                self.names[member.id] = name

    # -- definitions --------------------------------------------------------

    def make_def(self, scope: Scope, members: list) -> _Def:
        inputs = self.inputs.get(scope, [])
        input_names = self.input_names(scope, inputs, members)
        local = dict(zip(inputs, input_names))
        entries: list[_Entry] = []
        for member in members:
            if isinstance(member, Op):
                entries.append(self.op_entry(scope, member, local))
            else:
                entries.append(self.use_entry(scope, member, local))
        outputs = [self.ref(scope, v, local) for v in self.outputs.get(scope, [])]
        if scope is self.graph.root:
            outputs = [self.ref(scope, v, local) for v in self.graph.outputs]
        return _Def(scope, input_names, entries, outputs)

    def input_names(self, scope: Scope, inputs: list[Value], members) -> list[str]:
        if scope is self.graph.root:
            return list(self.graph.inputs)
        taken = {self.names[m.id] if isinstance(m, Op) else m.name for m in members}
        names = []
        for value in inputs:
            name = None if scope.generic else scope.input_names.get(value)
            if name is None or name in taken or name in names or not _IDENTIFIER.match(name):
                base, n = "x", 0
                name = base
                while name in taken or name in names:
                    n += 1
                    name = f"{base}{n}"
            names.append(name)
        return names

    def op_entry(self, scope: Scope, op: Op, local) -> _Entry:
        entry = _Entry(self.names[op.id], op.type, op.args, [self.ref(scope, s, local) for s in op.sources])
        if op.share is not None:
            owner = self.graph.ops[op.share]
            if owner.scope is not scope:
                self.problems.append(
                    Problem(
                        op.origin,
                        f"applies '{owner.origin}' again from another module; only layers of one block can share",
                    )
                )
            entry.share = self.names[owner.id]
        return entry

    def use_entry(self, scope: Scope, child: Scope, local) -> _Entry:
        """The entry that uses a child scope: its block with this use's values, or its repeated child."""
        definition = self.defs[child]
        sources = [self.ref(scope, v, local) for v in self.inputs.get(child, [])]
        if child in self.collapsed:
            first = definition.entries[0]
            entry = _Entry(child.name, first.type, first.args, sources)
            entry.block, entry.repeat = first.block, len(definition.entries)
            return entry
        entry = _Entry(child.name, "", definition.values, sources)
        entry.block = definition.group
        entry.outputs = len(definition.outputs)
        return entry

    def ref(self, scope: Scope, value: Value, local) -> str:
        """How a value is named from inside `scope`."""
        if value in local:
            return local[value]
        if isinstance(value.producer, str):
            return value.producer
        op = self.graph.ops[value.producer]
        chain = op.scope.chain()
        depth = len(scope.chain())
        if op.scope is scope:
            name = self.names[op.id]
            return name if value.index == 0 else f"{name}/{self.output_name(op, value.index)}"
        child = chain[depth]
        outputs = self.outputs[child]
        if len(outputs) == 1 or child in self.collapsed:
            return child.name
        return f"{child.name}/{self.defs[child].outputs[outputs.index(value)]}"

    def output_name(self, op: Op, index: int) -> str:
        layer = lookup(op.type)
        cfg = make_config(layer, op.args, self.graph.convention, lambda key, value=True: None)
        return layer.output_names(cfg)[index]

    def collapsible(self, definition: _Def) -> bool:
        """A chain of ≥ 2 equal children named 0 … n-1 between one input and one output."""
        entries = definition.entries
        if len(entries) < 2 or len(definition.inputs) != 1 or len(definition.outputs) != 1:
            return False
        first = entries[0]
        previous = definition.inputs[0]
        for i, entry in enumerate(entries):
            same = entry.type == first.type and entry.args == first.args and entry.block is first.block
            if entry.name != str(i) or not same or entry.share or entry.repeat or entry.sources != [previous]:
                return False
            if entry.block is not None and (len(entry.block.inputs) != 1 or entry.outputs != 1):
                return False
            if entry.block is None and lookup(entry.type).min_inputs != 1:
                return False
            previous = entry.name
        return definition.outputs == [previous]

    # -- grouping -------------------------------------------------------------

    def parametrize(self, members: list[_Def]) -> None:
        head = members[0]
        positions: list[tuple[int, str]] = []
        for i in range(len(head.entries)):
            keys: list[str] = []
            for member in members:
                keys += [k for k in member.entries[i].args if k not in keys]
            positions += [(i, k) for k in keys]
        vectors: dict[tuple, list[tuple[int, str]]] = {}
        for position in positions:
            values = tuple(_freeze(self.arg_value(m.entries[position[0]], position[1], members)) for m in members)
            if len(set(values)) > 1:
                vectors.setdefault(values, []).append(position)
        used: set[str] = set()
        for positions_sharing in vectors.values():
            i, key = positions_sharing[0]
            name = _param_name(key, head.entries[i].name, used)
            used.add(name)
            values = [self.arg_value(m.entries[i], key, members) for m in members]
            head.params[name] = _kind(values)
            for member, value in zip(members, values):
                member.values[name] = value
            for i, key in positions_sharing:
                head.entries[i].args[key] = f"${name}"
        for member in members:
            member.group = head

    def arg_value(self, entry: _Entry, key: str, members: list[_Def]):
        """An argument's value in one scope; an argument that scope leaves out has its default."""
        if key in entry.args:
            return entry.args[key]
        layer = lookup(entry.type) if entry.block is None else None
        canonical = canonical_arg(layer, key) if layer is not None else None
        if canonical is None:
            return None
        default = layer.args[canonical].default
        if hasattr(default, "pick"):
            default = default.pick(self.graph.convention)
        if isinstance(default, tuple):
            default = list(default)
        return 0 if default == "valid" else default

    def block_name(self, scope: Scope, taken: set[str]) -> str:
        if scope.generic:
            parts = scope.path.split(".")
            named = [i for i, part in enumerate(parts) if not part.isdigit()]
            start = named[-1] if named else 0
            base = "".join(part[:1].upper() + part[1:] for p in parts[start:] for part in re.split(r"[_-]", p))
        else:
            base = scope.kind
        base = re.sub(r"[^A-Za-z0-9_]", "_", base).lstrip("_") or "Block"
        if not base[0].isalpha():
            base = "Block" + base
        if lookup(base) is not None:
            base += "Block"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        return name

    # -- text -----------------------------------------------------------------

    def render(self, root: _Def, scopes: list[Scope]) -> str:
        lines = [f"# {line}" if line else "#" for line in self.graph.header]
        written = [self.defs[s] for s in scopes if s not in self.collapsed and self.defs[s].group is self.defs[s]]
        if written:
            lines.append("blocks:")
            for definition in written:
                lines += self.render_def(definition)
        if self.graph.inputs and list(self.graph.inputs) != ["x"]:
            lines.append("inputs:")
            for name, shape in self.graph.inputs.items():
                lines.append(f"  {_scalar(name)}: {_flow(list(shape or ()))}")
        if self.graph.check_inputs:
            shapes = ", ".join(f"{_scalar(n)}: {_flow(s)}" for n, s in self.graph.check_inputs.items())
            convention = "" if self.graph.convention == "torch" else f", convention: {self.graph.convention}"
            lines.append(f"check: {{inputs: {{{shapes}}}{convention}}}")
        lines.append("layers:")
        lines += self.render_entries(root, "  ")
        if root.outputs and (len(root.outputs) > 1 or root.outputs[0] != _last_ref(root)):
            lines.append(f"outputs: {_flow(root.outputs)}")
        return "\n".join(lines) + "\n"

    def render_def(self, definition: _Def) -> list[str]:
        lines = [f"  {definition.name}:" + (f"  # {definition.scope.origin}" if definition.scope.origin else "")]
        if definition.params:
            lines.append(f"    params: {{{', '.join(f'{k}: {v}' for k, v in definition.params.items())}}}")
        if definition.inputs != ["x"]:
            lines.append(f"    inputs: {_flow(definition.inputs)}")
        lines.append("    layers:")
        lines += self.render_entries(definition, "      ")
        if len(definition.outputs) > 1 or definition.outputs[0] != _last_ref(definition):
            lines.append(f"    outputs: {_flow(definition.outputs)}")
        return lines

    def render_entries(self, definition: _Def, indent: str) -> list[str]:
        lines = []
        previous = definition.inputs[0] if len(definition.inputs) == 1 else None
        for entry in definition.entries:
            fields = [("name", entry.name)]
            if entry.share is not None:
                fields.append(("share", entry.share))
            elif entry.block is not None:
                fields.append(("type", entry.block.name))
                fields += list(entry.args.items())
            else:
                fields.append(("type", entry.type))
                fields += list(entry.args.items())
            if entry.repeat:
                fields.append(("repeat", entry.repeat))
            if previous is None or entry.sources != [previous]:
                source = entry.sources[0] if len(entry.sources) == 1 else entry.sources
                fields.append(("from", source))
            text = ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in fields)
            lines.append(f"{indent}- {{{text}}}" + (f"  # {entry.comment}" if entry.comment else ""))
            previous = entry.name
        return lines

    def paths(self) -> dict[int, str]:
        """Each op's layer path in the written spec."""
        prefixes: dict[Scope, str] = {self.graph.root: ""}
        paths: dict[int, str] = {}

        def prefix(scope: Scope) -> str:
            if scope not in prefixes:
                outer = prefix(scope.parent)
                if scope.parent in self.collapsed:
                    prefixes[scope] = f"{outer[:-1]}.{scope.name}/"
                else:
                    prefixes[scope] = f"{outer}{scope.name}/"
            return prefixes[scope]

        for op in self.graph.ops:
            head = prefix(op.scope)
            name = self.names[op.id]
            paths[op.id] = f"{head[:-1]}.{name}" if op.scope in self.collapsed else head + name
        return paths


def _heights(root: Scope, children) -> dict[Scope, int]:
    """Each scope's height: 0 without child scopes, else one more than its tallest child (post-order)."""
    heights: dict[Scope, int] = {}

    def visit(scope: Scope) -> int:
        heights_below = [visit(child) for child in children[scope]]
        heights[scope] = 1 + max(heights_below) if heights_below else 0
        return heights[scope]

    visit(root)
    return heights


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _safe_stem(stem: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_]", "_", stem).strip("_") or "layer"
    return stem


def _last_ref(definition: _Def) -> str | None:
    return definition.entries[-1].name if definition.entries else None


def _param_name(key: str, entry_name: str, used: set[str]) -> str:
    for candidate in (key, f"{entry_name}_{key}"):
        if _IDENTIFIER.match(candidate) and candidate not in used:
            return candidate
    n = 2
    while f"{key}_{n}" in used:
        n += 1
    return f"{key}_{n}"


def _kind(values: list) -> str:
    types = {type(v) for v in values}
    for python, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (list, "list")):
        if types == {python}:
            return kind
    return "any"


def _freeze(value):
    if isinstance(value, list):
        return ("list", tuple(_freeze(v) for v in value))
    return (type(value).__name__, value)


def _scalar(value) -> str:
    """A YAML scalar that reads back as `value`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}[repr(value)]
        return repr(value)
    text = str(value)
    if text.startswith("$") and _IDENTIFIER.match(text[1:]):
        return text
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(value) -> str:
    """A value in YAML flow style: scalars, [lists]."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)
