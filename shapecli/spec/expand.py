"""Expansion: the `layers:` lists of a spec, with its blocks, repeats, shares and ties,
become a flat list of nodes.

A block used as `type` expands in place: its layers get paths `use/…`, `$param`
values are substituted, and `repeat: N` makes copies `use.0 … use.N-1`, each fed
by the one before (N = 0: none, the input passes through). `share: other`
applies another layer (and its parameters) to new inputs; `tie: other` makes a
layer's parameters those of another. Names are looked up in the scope that
writes them (the model or one block copy), before or after their definition.
"""

from __future__ import annotations

from typing import NamedTuple

from ..args import Int
from ..errors import Loc, SpecError, did_you_mean
from ..registry import Layer, all_type_names, canonical_arg, lookup, make_config
from ..yamlsrc import YList, YMap, parse_yaml
from .model import BlockUse, Model, Node, NodeOutput, Repeat, renumber
from .params import block_env, substitute
from .ports import Port, Select, resolve, topological_order
from .schema import (
    LAYER_KEYS,
    LAYER_NAME,
    TOP_KEYS,
    BlockDef,
    block_def,
    check_arity,
    check_keys,
    check_name,
    check_plan,
    expect,
    input_decls,
    names,
    value,
)

MAX_NODES = 250_000
"""Most layers a spec may expand to (after blocks and repeat)."""

MAX_EXPANSION_STEPS = 1_000_000
"""Most layer entries and block copies expanded (bounds specs whose blocks expand to nothing)."""

MAX_BLOCK_DEPTH = 32
"""Deepest nesting of block uses."""


class Scope:
    """The names visible to one list of layers: the model's, or one block copy's.

    `prefix` starts the paths of its layers; `env` holds the block parameters
    for `$name`; `layer_nodes` maps its layer names to node ids (for `share`).
    """

    def __init__(
        self,
        prefix: str,
        ports: dict[str, Port],
        inputs: list[str],
        env: dict | None,
        uses: tuple[BlockUse, ...] = (),
        blocks_open: tuple[str, ...] = (),
    ):
        self.prefix, self.ports, self.inputs, self.env = prefix, ports, inputs, env
        self.uses, self.blocks_open = uses, blocks_open
        self.layer_nodes: dict[str, int] = {}
        self.counters: dict[str, int] = {}


class Entry(NamedTuple):
    """One item of a `layers:` list, checked and named, before expansion."""

    raw: YMap
    name: str
    repeat: int
    layer: type[Layer] | None
    block: BlockDef | None
    type_label: str
    port: Port
    copies: list[Port]


class Builder:
    """Expands one spec into nodes; `build` is the whole job."""

    def __init__(self, convention: str):
        self.convention = convention
        self.nodes: list[Node] = []
        self.node_ports: list[list[Port]] = []
        self.blocks: dict[str, BlockDef] = {}
        self.repeats: list[tuple] = []
        self.steps = 0

    def build(self, text: str, file: str) -> Model:
        """The Model of a spec's text."""
        root = parse_yaml(text)
        expect(root, YMap, "a spec", Loc(1, 1))
        check_keys(root, TOP_KEYS, "top-level key")
        if "layers" not in root:
            raise SpecError("the spec has no 'layers:'", root.loc)
        if "blocks" in root:
            blocks = expect(root["blocks"], YMap, "blocks", root.value_loc("blocks"))
            for name, definition in blocks.items():
                self.blocks[name] = block_def(name, definition, blocks)
        inputs = input_decls(root)
        scope = Scope("", {name: Port(name, decl.loc, name) for name, decl in inputs.items()}, list(inputs), None)
        layers = expect(root["layers"], YList, "layers", root.value_loc("layers"))
        layers_loc = root.value_loc("layers")
        del root["layers"]  # expand() lets go of each layer's YAML once it is expanded
        last = self.expand(scope, layers, layers_loc, consume=True)
        if "outputs" in root:
            named = names(root["outputs"], "outputs", root.value_loc("outputs"))
            outputs = {name: self.lookup(scope, name, loc) for name, loc in named}
        else:
            outputs = {last: scope.ports[last]}
        model = self.finish(file, text, inputs, outputs)
        model.check = check_plan(root)
        return model

    # -- expansion ------------------------------------------------------------

    def expand(self, scope: Scope, layers: YList, loc: Loc, consume: bool = False) -> str:
        """Expand a list of layers into nodes; returns the name of the last one.

        With `consume` (the model's own list, used once), each layer's YAML is let go as
        soon as it is expanded, so a long spec never holds its text's values and its nodes
        in full at the same time.
        """
        if not layers:
            raise SpecError("'layers:' is empty", loc)
        entries: list = self.declare(scope, layers)
        last = entries[-1].name
        if consume:
            layers.clear()
        previous: Port | None = None
        for index, entry in enumerate(entries):
            if consume:
                entries[index] = None
            self.step(entry.raw.loc)
            sources = self.entry_sources(scope, entry, previous)
            if entry.repeat == 0:
                if len(sources) != 1:
                    raise SpecError("a repeated layer must have a single input", entry.raw.key_loc("repeat"))
                entry.port.target = sources[0]  # no copies: the input passes through
            elif entry.block is not None:
                self.expand_block_use(scope, entry, sources)
            else:
                self.expand_layer(scope, entry, sources)
            previous = entry.port
        return last

    def declare(self, scope: Scope, layers: YList) -> list[Entry]:
        """Check each entry, give it a name, and make the ports its names refer to."""
        raws = []
        for item, item_loc in zip(layers, layers.item_locs):
            raw = expect(substitute(item, scope.env, item_loc), YMap, "a layer", item_loc)
            if "name" in raw:
                check_name(raw["name"], "layer name", raw.value_loc("name"), LAYER_NAME)
            raws.append(raw)
        taken = set(scope.ports) | {raw["name"] for raw in raws if "name" in raw}
        entries: list[Entry] = []
        prefixes: dict[str, str] = {}
        for raw in raws:
            layer, block, label = self.entry_type(scope, raw)
            if layer is not None:
                prefix = layer.prefix
            elif block is not None:
                prefix = block.name.lower()
            else:
                prefix = prefixes.get(raw["share"], "shared") if isinstance(raw["share"], str) else "shared"
            name = raw.get("name") or self.auto_name(scope, prefix, taken)
            prefixes[name] = prefix
            if name in scope.ports:
                first = scope.ports[name].loc
                raise SpecError(f"the name '{name}' is already used (line {first.line})", raw.value_loc("name"))
            repeat = 1
            if "repeat" in raw:
                repeat = value(Int(0, MAX_NODES), raw, "repeat")
                if "share" in raw:
                    raise SpecError("a shared layer cannot repeat", raw.key_loc("repeat"))
            full = scope.prefix + name
            copies = [Port(None, raw.loc, f"{full}.{i}") for i in range(repeat)] if "repeat" in raw else []
            port = Port(copies[-1] if copies else None, raw.loc, full)
            scope.ports[name] = port
            for i, copy in enumerate(copies):
                scope.ports[f"{name}.{i}"] = copy
            if block is not None and block.outputs and len(block.outputs) > 1:
                for output, _ in block.outputs:
                    scope.ports[f"{name}/{output}"] = Port(None, raw.loc, f"{full}/{output}")
            entries.append(Entry(raw, name, repeat, layer, block, label, port, copies))
        return entries

    def entry_type(self, scope: Scope, raw: YMap):
        """(layer type, block, label) of an entry; a shared layer's type comes later."""
        if "share" in raw:
            check_keys(raw, ("name", "from", "share"), "key for a shared layer")
            return None, None, ""
        if "type" not in raw:
            raise SpecError("the layer has no 'type'", raw.loc, hint="add type: Dense (or another layer type)")
        label = expect(raw["type"], str, "type", raw.value_loc("type"))
        if label in self.blocks:
            block = self.blocks[label]
            if label in scope.blocks_open:
                chain = " → ".join((*scope.blocks_open, label))
                raise SpecError(f"block '{label}' uses itself ({chain})", raw.value_loc("type"))
            return None, block, label
        layer = lookup(label)
        if layer is None:
            raise SpecError(
                f"unknown layer type '{label}'",
                raw.value_loc("type"),
                hint=did_you_mean(label, [*all_type_names(), *self.blocks]) or "`shapecli layers` lists them",
            )
        return layer, None, next(w for w in (layer.type_name, *layer.aliases) if w.lower() == label.lower())

    @staticmethod
    def auto_name(scope: Scope, prefix: str, taken: set) -> str:
        """MXNet-style name: prefix and a counter, skipping names in use."""
        while True:
            n = scope.counters.get(prefix, 0)
            scope.counters[prefix] = n + 1
            name = f"{prefix}{n}"
            if name not in taken:
                taken.add(name)
                return name

    def entry_sources(self, scope: Scope, entry: Entry, previous: Port | None):
        """The ports feeding an entry: its `from`, else the layer before, else the scope's input."""
        raw = entry.raw
        if "from" in raw:
            value, loc = raw["from"], raw.value_loc("from")
            if isinstance(value, YMap) and entry.block is not None:
                return self.named_block_sources(scope, entry.block, value)
            return [self.lookup(scope, name, name_loc) for name, name_loc in names(value, "from", loc)]
        if previous is not None:
            return [previous]
        if len(scope.inputs) == 1:
            return [scope.ports[scope.inputs[0]]]
        raise SpecError(f"the first layer needs 'from': there are several inputs ({', '.join(scope.inputs)})", raw.loc)

    def named_block_sources(self, scope: Scope, block: BlockDef, given: YMap) -> list[Port]:
        check_keys(given, block.inputs, f"input of block {block.name}")
        missing = [name for name in block.inputs if name not in given]
        if missing:
            raise SpecError(f"'from' misses the block input(s) {', '.join(missing)}", given.loc)
        return [
            self.lookup(scope, expect(given[n], str, "from", given.value_loc(n)), given.value_loc(n))
            for n in block.inputs
        ]

    def lookup(self, scope: Scope, name: str, loc: Loc) -> Port:
        port = scope.ports.get(name)
        head, _, output = name.partition("/")
        if port is None and output and head in scope.ports:
            return Port(Select(scope.ports[head], output), loc, scope.prefix + name)
        if port is None:
            visible = [n for n in scope.ports if "." not in n and "/" not in n]
            raise SpecError(
                f"unknown name '{name}'",
                loc,
                hint=did_you_mean(name, visible) or f"names here: {', '.join(visible)}",
            )
        return port

    def expand_layer(self, scope: Scope, entry: Entry, sources: list[Port]) -> None:
        raw = entry.raw
        if "share" in raw:
            owner = self.defined_layer(scope, raw, "share")
            layer, cfg, label, written = owner.layer, owner.cfg, owner.type_label, owner.args
        else:
            layer, label = entry.layer, entry.type_label
            args = {k: v for k, v in raw.items() if k not in LAYER_KEYS}

            def locate(key, value=True):
                if key is None:
                    return raw.loc
                return raw.value_loc(key) if value else raw.key_loc(key)

            cfg = make_config(layer, args, self.convention, locate)
            given_by = {where: (name, use) for name, (where, use) in (scope.env.locs.items() if scope.env else ())}
            written = []
            for key in args:
                loc = raw.value_loc(key)
                name, use = given_by.get(loc, (key, scope.prefix + entry.name))
                written.append((name, use, getattr(cfg, canonical_arg(layer, key)), loc))
        tie = self.defined_layer(scope, raw, "tie").id if "tie" in raw else None
        check_arity(layer, len(sources), raw)
        if entry.repeat > 1 and len(sources) != 1:
            raise SpecError("a repeated layer must have a single input", raw.key_loc("repeat"))
        ports = entry.copies or [entry.port]
        paths = (
            [f"{scope.prefix}{entry.name}.{i}" for i in range(entry.repeat)]
            if entry.copies
            else [scope.prefix + entry.name]
        )
        for i, (port, path) in enumerate(zip(ports, paths)):
            node = self.add_node(path, layer, label, cfg, sources, raw.loc, scope.uses)
            if "share" in raw:
                node.owner = owner.owner if owner.owner is not None else owner.id
            node.tie = tie
            node.args = written
            port.target = NodeOutput(node.id)
            scope.layer_nodes[entry.name if not entry.copies else f"{entry.name}.{i}"] = node.id
            sources = [port]
        if entry.copies:
            scope.layer_nodes[entry.name] = self.nodes[-1].id

    def defined_layer(self, scope: Scope, raw: YMap, key: str) -> Node:
        """The node of the layer named by `share:` or `tie:`, which must be written above."""
        target = expect(raw[key], str, key, raw.value_loc(key))
        if target in scope.layer_nodes:
            return self.nodes[scope.layer_nodes[target]]
        if target in scope.ports:
            raise SpecError(f"{key} must name a layer defined above it; '{target}' is not one", raw.value_loc(key))
        raise SpecError(f"unknown name '{target}'", raw.value_loc(key), hint=did_you_mean(target, scope.layer_nodes))

    def step(self, loc: Loc) -> None:
        """Count one entry or block copy expanded; refuse a spec that expands without bound."""
        self.steps += 1
        if self.steps > MAX_EXPANSION_STEPS:
            raise SpecError(
                f"the spec expands to more than {MAX_EXPANSION_STEPS:,} layer entries and block copies", loc
            )

    def add_node(self, path, layer, label, cfg, sources, loc, uses) -> Node:
        if len(self.nodes) >= MAX_NODES:
            raise SpecError(f"the spec expands to more than {MAX_NODES:,} layers", loc)
        node = Node(len(self.nodes), path, layer, label, cfg, loc, uses)
        node.written_from = [port.name for port in sources]
        self.nodes.append(node)
        self.node_ports.append(list(sources))
        return node

    def expand_block_use(self, scope: Scope, entry: Entry, sources: list[Port]) -> None:
        raw, block = entry.raw, entry.block
        if len(scope.blocks_open) >= MAX_BLOCK_DEPTH:
            raise SpecError(f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", raw.value_loc("type"))
        env = block_env(block, raw, scope.env, scope.prefix + entry.name)
        if len(sources) != len(block.inputs):
            raise SpecError(
                f"block {block.name} takes {len(block.inputs)} input(s) ({', '.join(block.inputs)}), "
                f"receives {len(sources)}",
                raw.value_loc("from"),
            )
        if entry.repeat > 1 and (len(block.inputs) != 1):
            raise SpecError("a repeated block must have a single input", raw.key_loc("repeat"))
        ports = entry.copies or [entry.port]
        if len(ports) > 1:
            self.repeats.append(
                (scope.prefix + entry.name, block.name, raw.key_loc("repeat"), len(ports), sources[0], ports[0])
            )
        for i, port in enumerate(ports):
            self.step(raw.loc)
            path = scope.prefix + (f"{entry.name}.{i}" if entry.copies else entry.name)
            use = BlockUse(path, block.name, raw.loc)
            inner = Scope(
                path + "/",
                {name: Port(source, raw.loc, f"{path}/{name}") for name, source in zip(block.inputs, sources)},
                list(block.inputs),
                env,
                (*scope.uses, use),
                (*scope.blocks_open, block.name),
            )
            try:
                last = self.expand(inner, block.layers, block.loc)
                outputs = block.outputs or [(last, block.loc)]
                output_ports = [self.lookup(inner, name, loc) for name, loc in outputs]
            except SpecError as e:
                e.notes.append(f"in '{path}', a use of block {block.name} at line {raw.loc.line}")
                raise
            port.target = output_ports[0]
            if len(outputs) > 1 and i == len(ports) - 1:
                for (name, _), output_port in zip(outputs, output_ports):
                    scope.ports[f"{entry.name}/{name}"].target = output_port
            sources = [port]
        if entry.copies:
            entry.port.target = entry.copies[-1]

    # -- resolution ------------------------------------------------------------

    def finish(self, file: str, text: str, inputs, outputs: dict[str, Port]) -> Model:
        """Resolve every port to a Source and order the nodes topologically."""
        for node, ports in zip(self.nodes, self.node_ports):
            node.sources = [resolve(p, self.nodes) for p in ports]
        resolved_outputs = {name: resolve(p, self.nodes) for name, p in outputs.items()}
        order = topological_order(self.nodes)
        new_id = {old: new for new, old in enumerate(order)}
        nodes = [self.nodes[old] for old in order]
        for node in nodes:
            node.id = new_id[node.id]
            node.sources = [renumber(s, new_id) for s in node.sources]
            if node.owner is not None:
                node.owner = new_id[node.owner]
            if node.tie is not None:
                node.tie = new_id[node.tie]
        resolved_outputs = {name: renumber(s, new_id) for name, s in resolved_outputs.items()}
        model = Model(file, text, self.convention, inputs, nodes, resolved_outputs)
        model.repeats = [
            Repeat(
                path,
                block,
                loc,
                count,
                renumber(resolve(a, self.nodes), new_id),
                renumber(resolve(b, self.nodes), new_id),
            )
            for path, block, loc, count, a, b in self.repeats
        ]
        return model
