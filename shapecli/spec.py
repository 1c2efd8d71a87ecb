"""Spec text → Model: a flat graph of layer nodes that remember their positions.

The top level of a spec has
    inputs:  {name: [dim, …]}   dims are ints, symbol names or null (unknown);
                                without it the model has one input `x` given by --input
    layers:  [layer, …]         each {name, type, from, repeat, share, …arguments}
    outputs: [name, …]          default: the last layer
    blocks:  {Name: {params, inputs, layers, outputs}}   reusable sub-graphs

Names are looked up in the scope that writes them (the model or one block),
before or after their definition. A block used as `type` expands in place: its
layers get paths `use/…`, `$param` values are substituted, and `repeat: N`
makes copies `use.0 … use.N-1`, each fed by the one before (N = 0: none, the
input passes through). `share: other`
applies another layer (and its parameters) to new inputs.
"""

from __future__ import annotations

import heapq
import re
from types import SimpleNamespace
from typing import NamedTuple

from .args import AnyValue, Bool, Choice, Float, Int, ListOf, Str, show
from .dims import MAX_RANK, UNKNOWN, Expr
from .errors import Diagnostic, Loc, SpecError, did_you_mean
from .expr import ExprError, evaluate, parse
from .init_defaults import roles_of
from .initializers import is_init_key, layer_initializers, scope_initializers, semantics_of
from .registry import Layer, all_type_names, canonical_arg, lookup, make_config
from .yamlsrc import YList, YMap, parse_yaml

MAX_NODES = 250_000
"""Most layers a spec may expand to (after blocks and repeat)."""

MAX_BLOCK_DEPTH = 32
"""Deepest nesting of block uses."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_LAYER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
_TOP_KEYS = ("inputs", "layers", "outputs", "blocks", "check", "init")
_CHECK_KEYS = ("inputs", "convention")
_BLOCK_KEYS = ("params", "inputs", "layers", "outputs", "init")
_LAYER_KEYS = ("name", "type", "from", "repeat", "share", "tie")
_PARAM_KINDS = {"int": Int(), "float": Float(), "bool": Bool(), "str": Str(), "list": ListOf(), "any": AnyValue()}


class NodeOutput(NamedTuple):
    """Output `index` of node `node` (most layers have one output, index 0)."""

    node: int
    index: int = 0


Source = NodeOutput | str
"""Where a layer's input comes from: a node's output, or a model input by name."""


class InputDecl(NamedTuple):
    """A model input: its name, declared shape (None: only --input gives it), position."""

    name: str
    shape: tuple | None
    loc: Loc


class BlockUse(NamedTuple):
    """A block use a node was expanded from: its path, the block's name, its position."""

    path: str
    block: str
    loc: Loc


class Node:
    """One layer application in the expanded graph.

    `sources` feed its inputs; `owner` is the node whose parameters it shares
    (its `share:`), `tie` the node whose parameters its own parameters are (its
    `tie:`), or None; `uses` are the block uses it was expanded from, outermost
    first; `args` say where each argument's value was written.
    """

    __slots__ = (
        "id",
        "path",
        "layer",
        "type_label",
        "cfg",
        "sources",
        "loc",
        "owner",
        "tie",
        "uses",
        "args",
        "written_from",
        "init",
    )

    def __init__(
        self,
        id: int,
        path: str,
        layer: type[Layer],
        type_label: str,
        cfg: SimpleNamespace,
        loc: Loc,
        uses: tuple[BlockUse, ...] = (),
    ):
        self.id, self.path, self.layer, self.type_label, self.cfg = id, path, layer, type_label, cfg
        self.sources: list[Source] = []
        self.loc, self.owner, self.tie, self.uses = loc, None, None, uses
        self.written_from: list[str] = []
        """The names its inputs are written as, with their scope ('stage2/x')."""
        self.init: dict = {}
        """Role → Initializer the spec gives its parameters (its `*_init` keys, or an `init:` above it)."""
        self.args: list[tuple[str, str, object, Loc]] = []
        """(name, owner, value, where): an argument as validated, and where its number was
        written — as this layer's argument, or as a parameter given to a block use"""

    def __repr__(self) -> str:
        return f"Node({self.id}, {self.path!r}, {self.type_label}, sources={self.sources})"


class CheckPlan(NamedTuple):
    """A spec's `check:` key: the inputs ([(name or None, shape)]) and convention it is meant for."""

    inputs: list
    convention: str | None


class Repeat(NamedTuple):
    """A block repeated `count` times: each copy feeds the next, from `first_in` to `first_out`."""

    path: str
    block: str
    loc: Loc
    count: int
    first_in: Source
    first_out: Source


class Model:
    """A spec, expanded: inputs, nodes in topological order (id == position), outputs,
    and warnings about the graph (unused layers and inputs)."""

    __slots__ = ("file", "text", "convention", "inputs", "nodes", "outputs", "warnings", "check", "repeats")

    def __init__(
        self,
        file: str,
        text: str,
        convention: str,
        inputs: dict[str, InputDecl],
        nodes: list[Node],
        outputs: dict[str, Source],
    ):
        self.file, self.text, self.convention = file, text, convention
        self.inputs, self.nodes, self.outputs = inputs, nodes, outputs
        self.warnings: list[Diagnostic] = _unused(self)
        self.check: CheckPlan = CheckPlan([], None)
        """What `shapecli check` runs the spec with (its `check:` key)."""
        self.repeats: list[Repeat] = []


def load_model(text: str, file: str, convention: str = "torch") -> Model:
    """Parse and expand a spec; every SpecError raised carries `file` and a position."""
    try:
        return _Builder(convention).build(text, file)
    except SpecError as e:
        e.file = file
        raise


def _expect(value, kind: type, what: str, loc: Loc):
    if not isinstance(value, kind):
        wanted = {YMap: "a mapping", YList: "a list", str: "a name"}[kind]
        raise SpecError(f"{what} must be {wanted}, received {show(value)}", loc)
    return value


def _check_keys(mapping: YMap, allowed, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise SpecError(
                f"unknown {what} '{key}'",
                mapping.key_loc(key),
                hint=did_you_mean(key, allowed) or f"expected one of: {', '.join(allowed)}",
            )


def _check_name(name, what: str, loc: Loc, pattern=_NAME) -> str:
    _expect(name, str, what, loc)
    if not pattern.match(name):
        raise SpecError(f"{what} '{name}' is not a valid name (letters, digits, '_' and '-'; no '.' or '/')", loc)
    return name


def _names(value, what: str, loc: Loc, locs=None) -> list[tuple[str, Loc]]:
    """A name or a list of names, each with its position."""
    if isinstance(value, str):
        return [(value, loc)]
    _expect(value, YList, what, loc)
    return [(_expect(item, str, what, item_loc), item_loc) for item, item_loc in zip(value, value.item_locs)]


class _Port:
    """A name's value before the graph is resolved: another port, a _Select, or a Source.

    `name` is the name as the spec writes it, with its scope ('stage2/x').
    """

    __slots__ = ("target", "loc", "name")

    def __init__(self, target, loc: Loc, name: str = ""):
        self.target = target
        self.loc = loc
        self.name = name


class _Select(NamedTuple):
    """Output `output` of the layer a port resolves to (`from: lstm/h_n`)."""

    base: _Port
    output: str


class _BlockDef(NamedTuple):
    name: str
    params: dict[str, tuple]
    inputs: list[str]
    layers: YList
    outputs: list[tuple[str, Loc]] | None
    loc: Loc
    init: dict


class _Scope:
    """The names visible to one list of layers: the model's, or one block copy's.

    `prefix` starts the paths of its layers; `env` holds the block parameters
    for `$name`; `layer_nodes` maps its layer names to node ids (for `share`).
    """

    def __init__(
        self,
        prefix: str,
        ports: dict[str, _Port],
        inputs: list[str],
        env: dict | None,
        uses: tuple[BlockUse, ...] = (),
        blocks_open: tuple[str, ...] = (),
    ):
        self.prefix, self.ports, self.inputs, self.env = prefix, ports, inputs, env
        self.uses, self.blocks_open = uses, blocks_open
        self.init: dict = {}
        """Role → Initializer defaults of the `init:` keys around this scope."""
        self.layer_nodes: dict[str, int] = {}
        self.counters: dict[str, int] = {}


class _Entry(NamedTuple):
    """One item of a `layers:` list, checked and named, before expansion."""

    raw: YMap
    name: str
    repeat: int
    layer: type[Layer] | None
    block: _BlockDef | None
    type_label: str
    port: _Port
    copies: list[_Port]


class _Builder:
    def __init__(self, convention: str):
        self.convention = convention
        self.nodes: list[Node] = []
        self.node_ports: list[list[_Port]] = []
        self.blocks: dict[str, _BlockDef] = {}
        self.repeats: list[tuple] = []

    def build(self, text: str, file: str) -> Model:
        root = parse_yaml(text)
        _expect(root, YMap, "a spec", Loc(1, 1))
        _check_keys(root, _TOP_KEYS, "top-level key")
        if "layers" not in root:
            raise SpecError("the spec has no 'layers:'", root.loc)
        if "blocks" in root:
            blocks = _expect(root["blocks"], YMap, "blocks", root.value_loc("blocks"))
            for name, definition in blocks.items():
                self.blocks[name] = self.block_def(name, definition, blocks)
        inputs = self.input_decls(root)
        scope = _Scope("", {name: _Port(name, decl.loc, name) for name, decl in inputs.items()}, list(inputs), None)
        if "init" in root:
            scope.init = scope_initializers(root["init"], root.value_loc("init"), {}, semantics_of(self.convention))
        layers = _expect(root["layers"], YList, "layers", root.value_loc("layers"))
        last = self.expand(scope, layers, root.value_loc("layers"))
        if "outputs" in root:
            named = _names(root["outputs"], "outputs", root.value_loc("outputs"))
            outputs = {name: self.lookup(scope, name, loc) for name, loc in named}
        else:
            outputs = {last: scope.ports[last]}
        model = self.finish(file, text, inputs, outputs)
        model.check = _check_plan(root)
        return model

    def input_decls(self, root: YMap) -> dict[str, InputDecl]:
        if "inputs" not in root:
            return {"x": InputDecl("x", None, root.loc)}
        declared = _expect(root["inputs"], YMap, "inputs", root.value_loc("inputs"))
        if not declared:
            raise SpecError("'inputs:' is empty", root.value_loc("inputs"))
        result = {}
        for name, dims in declared.items():
            _check_name(name, "input name", declared.key_loc(name))
            result[name] = InputDecl(name, _declared_shape(dims, declared.value_loc(name)), declared.key_loc(name))
        return result

    def block_def(self, name: str, definition, blocks: YMap) -> _BlockDef:
        loc = blocks.key_loc(name)
        _check_name(name, "block name", loc)
        if lookup(name) is not None:
            raise SpecError(f"block name '{name}' is already a layer type", loc)
        _expect(definition, YMap, f"block '{name}'", blocks.value_loc(name))
        _check_keys(definition, _BLOCK_KEYS, "block key")
        if "layers" not in definition:
            raise SpecError(f"block '{name}' has no 'layers:'", definition.loc)
        params = {}
        declared = _expect(definition.get("params", YMap()), YMap, "params", definition.value_loc("params"))
        for param, spec in declared.items():
            params[param] = _param_decl(param, spec, declared.value_loc(param))
        inputs = [
            _check_name(n, "block input", loc)
            for n, loc in _names(definition.get("inputs", "x"), "block inputs", definition.value_loc("inputs"))
        ]
        outputs = None
        if "outputs" in definition:
            outputs = _names(definition["outputs"], "block outputs", definition.value_loc("outputs"))
        layers = _expect(definition["layers"], YList, "layers", definition.value_loc("layers"))
        init = {}
        if "init" in definition:
            init = scope_initializers(
                definition["init"], definition.value_loc("init"), {}, semantics_of(self.convention)
            )
        return _BlockDef(name, params, inputs, layers, outputs, loc, init)

    # -- expansion ------------------------------------------------------------

    def expand(self, scope: _Scope, layers: YList, loc: Loc) -> str:
        """Expand a list of layers into nodes; returns the name of the last one."""
        if not layers:
            raise SpecError("'layers:' is empty", loc)
        entries = self.declare(scope, layers)
        previous: _Port | None = None
        for entry in entries:
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
        return entries[-1].name

    def declare(self, scope: _Scope, layers: YList) -> list[_Entry]:
        """Check each entry, give it a name, and make the ports its names refer to."""
        raws = []
        for item, item_loc in zip(layers, layers.item_locs):
            raw = _expect(_substitute(item, scope.env, item_loc), YMap, "a layer", item_loc)
            if "name" in raw:
                _check_name(raw["name"], "layer name", raw.value_loc("name"), _LAYER_NAME)
            raws.append(raw)
        taken = set(scope.ports) | {raw["name"] for raw in raws if "name" in raw}
        entries: list[_Entry] = []
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
                repeat = _value(Int(0, MAX_NODES), raw, "repeat")
                if "share" in raw:
                    raise SpecError("a shared layer cannot repeat", raw.key_loc("repeat"))
            full = scope.prefix + name
            copies = [_Port(None, raw.loc, f"{full}.{i}") for i in range(repeat)] if "repeat" in raw else []
            port = _Port(copies[-1] if copies else None, raw.loc, full)
            scope.ports[name] = port
            for i, copy in enumerate(copies):
                scope.ports[f"{name}.{i}"] = copy
            if block is not None and block.outputs and len(block.outputs) > 1:
                for output, _ in block.outputs:
                    scope.ports[f"{name}/{output}"] = _Port(None, raw.loc, f"{full}/{output}")
            entries.append(_Entry(raw, name, repeat, layer, block, label, port, copies))
        return entries

    def entry_type(self, scope: _Scope, raw: YMap):
        """(layer type, block, label) of an entry; a shared layer's type comes later."""
        if "share" in raw:
            _check_keys(raw, ("name", "from", "share"), "key for a shared layer")
            return None, None, ""
        if "type" not in raw:
            raise SpecError("the layer has no 'type'", raw.loc, hint="add type: Dense (or another layer type)")
        label = _expect(raw["type"], str, "type", raw.value_loc("type"))
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
    def auto_name(scope: _Scope, prefix: str, taken: set) -> str:
        """MXNet-style name: prefix and a counter, skipping names in use."""
        while True:
            n = scope.counters.get(prefix, 0)
            scope.counters[prefix] = n + 1
            name = f"{prefix}{n}"
            if name not in taken:
                taken.add(name)
                return name

    def entry_sources(self, scope: _Scope, entry: _Entry, previous: _Port | None):
        """The ports feeding an entry: its `from`, else the layer before, else the scope's input."""
        raw = entry.raw
        if "from" in raw:
            value, loc = raw["from"], raw.value_loc("from")
            if isinstance(value, YMap) and entry.block is not None:
                return self.named_block_sources(scope, entry.block, value)
            return [self.lookup(scope, name, name_loc) for name, name_loc in _names(value, "from", loc)]
        if previous is not None:
            return [previous]
        if len(scope.inputs) == 1:
            return [scope.ports[scope.inputs[0]]]
        raise SpecError(f"the first layer needs 'from': there are several inputs ({', '.join(scope.inputs)})", raw.loc)

    def named_block_sources(self, scope: _Scope, block: _BlockDef, given: YMap) -> list[_Port]:
        _check_keys(given, block.inputs, f"input of block {block.name}")
        missing = [name for name in block.inputs if name not in given]
        if missing:
            raise SpecError(f"'from' misses the block input(s) {', '.join(missing)}", given.loc)
        return [
            self.lookup(scope, _expect(given[n], str, "from", given.value_loc(n)), given.value_loc(n))
            for n in block.inputs
        ]

    def lookup(self, scope: _Scope, name: str, loc: Loc) -> _Port:
        port = scope.ports.get(name)
        head, _, output = name.partition("/")
        if port is None and output and head in scope.ports:
            return _Port(_Select(scope.ports[head], output), loc, scope.prefix + name)
        if port is None:
            visible = [n for n in scope.ports if "." not in n and "/" not in n]
            raise SpecError(
                f"unknown name '{name}'",
                loc,
                hint=did_you_mean(name, visible) or f"names here: {', '.join(visible)}",
            )
        return port

    def expand_layer(self, scope: _Scope, entry: _Entry, sources: list[_Port]) -> None:
        raw = entry.raw
        if "share" in raw:
            owner = self.defined_layer(scope, raw, "share")
            layer, cfg, label, written, init = owner.layer, owner.cfg, owner.type_label, owner.args, owner.init
        else:
            layer, label = entry.layer, entry.type_label
            args = {k: v for k, v in raw.items() if k not in _LAYER_KEYS and not is_init_key(k)}
            init = layer_initializers(raw, label, roles_of(layer), scope.init, semantics_of(self.convention))

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
        _check_arity(layer, len(sources), raw)
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
            node.init = init
            port.target = NodeOutput(node.id)
            scope.layer_nodes[entry.name if not entry.copies else f"{entry.name}.{i}"] = node.id
            sources = [port]
        if entry.copies:
            scope.layer_nodes[entry.name] = self.nodes[-1].id

    def defined_layer(self, scope: _Scope, raw: YMap, key: str) -> Node:
        """The node of the layer named by `share:` or `tie:`, which must be written above."""
        target = _expect(raw[key], str, key, raw.value_loc(key))
        if target in scope.layer_nodes:
            return self.nodes[scope.layer_nodes[target]]
        if target in scope.ports:
            raise SpecError(f"{key} must name a layer defined above it; '{target}' is not one", raw.value_loc(key))
        raise SpecError(f"unknown name '{target}'", raw.value_loc(key), hint=did_you_mean(target, scope.layer_nodes))

    def add_node(self, path, layer, label, cfg, sources, loc, uses) -> Node:
        if len(self.nodes) >= MAX_NODES:
            raise SpecError(f"the spec expands to more than {MAX_NODES:,} layers", loc)
        node = Node(len(self.nodes), path, layer, label, cfg, loc, uses)
        node.written_from = [port.name for port in sources]
        self.nodes.append(node)
        self.node_ports.append(list(sources))
        return node

    def expand_block_use(self, scope: _Scope, entry: _Entry, sources: list[_Port]) -> None:
        raw, block = entry.raw, entry.block
        if len(scope.blocks_open) >= MAX_BLOCK_DEPTH:
            raise SpecError(f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", raw.value_loc("type"))
        env = self.block_env(block, raw, scope.env, scope.prefix + entry.name)
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
            path = scope.prefix + (f"{entry.name}.{i}" if entry.copies else entry.name)
            use = BlockUse(path, block.name, raw.loc)
            inner = _Scope(
                path + "/",
                {name: _Port(source, raw.loc, f"{path}/{name}") for name, source in zip(block.inputs, sources)},
                list(block.inputs),
                env,
                (*scope.uses, use),
                (*scope.blocks_open, block.name),
            )
            inner.init = {**scope.init, **block.init}
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

    def block_env(self, block: _BlockDef, raw: YMap, outer: _Env | None, use_path: str) -> _Env:
        """Values of a block's params at one use, checked against their declared kinds."""
        given = {k: v for k, v in raw.items() if k not in _LAYER_KEYS}
        for key in given:
            if key not in block.params:
                raise SpecError(
                    f"unknown parameter '{key}' for block {block.name}",
                    raw.key_loc(key),
                    hint=did_you_mean(key, block.params) or f"its params: {', '.join(block.params) or 'none'}",
                )
        env = _Env(outer or {})
        env.locs = dict(outer.locs) if outer is not None else {}
        for name, (kind, default) in block.params.items():
            if name in given:
                try:
                    env[name] = kind(given[name])
                except SpecError as e:
                    raise SpecError(f"{name}: {e.message}", raw.value_loc(name)) from None
                env.locs[name] = (raw.value_loc(name), use_path)
            elif default is not _NO_DEFAULT:
                env[name] = default
            else:
                raise SpecError(f"block {block.name} needs the parameter '{name}'", raw.loc)
        return env

    # -- resolution ------------------------------------------------------------

    def finish(self, file: str, text: str, inputs, outputs: dict[str, _Port]) -> Model:
        """Resolve every port to a Source and order the nodes topologically."""
        for node, ports in zip(self.nodes, self.node_ports):
            node.sources = [self.resolve(p) for p in ports]
        resolved_outputs = {name: self.resolve(p) for name, p in outputs.items()}
        order = self.topological_order()
        new_id = {old: new for new, old in enumerate(order)}
        nodes = [self.nodes[old] for old in order]
        for node in nodes:
            node.id = new_id[node.id]
            node.sources = [_renumber(s, new_id) for s in node.sources]
            if node.owner is not None:
                node.owner = new_id[node.owner]
            if node.tie is not None:
                node.tie = new_id[node.tie]
        resolved_outputs = {name: _renumber(s, new_id) for name, s in resolved_outputs.items()}
        model = Model(file, text, self.convention, inputs, nodes, resolved_outputs)
        model.repeats = [
            Repeat(path, block, loc, count, _renumber(self.resolve(a), new_id), _renumber(self.resolve(b), new_id))
            for path, block, loc, count, a, b in self.repeats
        ]
        return model

    def resolve(self, port) -> Source:
        """Follow a port to the Source it stands for."""
        seen = set()
        while isinstance(port, _Port):
            if id(port) in seen:
                raise SpecError("a block's output is fed back into its own input", port.loc)
            seen.add(id(port))
            if isinstance(port.target, _Select):
                return self.select(port.target, port.loc)
            port = port.target
        return port

    def select(self, select: _Select, loc: Loc) -> Source:
        base = self.resolve(select.base)
        if isinstance(base, NodeOutput):
            node = self.nodes[base.node]
            names = node.layer.output_names(node.cfg)
            if select.output in names:
                return NodeOutput(base.node, names.index(select.output))
            raise SpecError(
                f"{node.type_label} '{node.path}' has no output '{select.output}' (its outputs: {', '.join(names)})",
                loc,
            )
        raise SpecError(f"the input '{base}' has no output '{select.output}'", loc)

    def topological_order(self) -> list[int]:
        """Kahn's algorithm; ties go to the node written first. A cycle is an error."""
        consumers: list[list[int]] = [[] for _ in self.nodes]
        waiting = [0] * len(self.nodes)
        for node in self.nodes:
            for before in _predecessors(node):
                consumers[before].append(node.id)
                waiting[node.id] += 1
        ready = [n.id for n in self.nodes if waiting[n.id] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            current = heapq.heappop(ready)
            order.append(current)
            for consumer in consumers[current]:
                waiting[consumer] -= 1
                if waiting[consumer] == 0:
                    heapq.heappush(ready, consumer)
        if len(order) < len(self.nodes):
            self.raise_cycle(waiting)
        return order

    def raise_cycle(self, waiting: list[int]) -> None:
        current = min(i for i, w in enumerate(waiting) if w)
        seen: list[int] = []
        while current not in seen:
            seen.append(current)
            current = next(before for before in _predecessors(self.nodes[current]) if waiting[before])
        flow = seen[seen.index(current) :][::-1]
        start = flow.index(min(flow))
        flow = flow[start:] + flow[:start]
        names = " → ".join(self.nodes[i].path for i in [*flow, flow[0]])
        raise SpecError(f"the layers form a cycle: {names}", self.nodes[flow[0]].loc)


_NO_DEFAULT = object()


def _check_plan(root: YMap) -> CheckPlan:
    """The `check:` key: {inputs: {name: 2x3x224x224 or [2, 3, 224, 224]}, convention: torch}."""
    from .conventions import CONVENTIONS
    from .dims import parse_shape
    from .errors import InputError

    if "check" not in root:
        return CheckPlan([], None)
    plan = _expect(root["check"], YMap, "check", root.value_loc("check"))
    _check_keys(plan, _CHECK_KEYS, "key of check")
    convention = None
    if "convention" in plan:
        convention = _value(Choice(tuple(CONVENTIONS)), plan, "convention")
    inputs = []
    given = plan.get("inputs", YMap())
    if isinstance(given, (str, YList)):
        given = {None: given}
    elif not isinstance(given, YMap):
        raise SpecError(
            f"check inputs must be a mapping of input names to shapes, received {show(given)}", plan.value_loc("inputs")
        )
    for name, shape in given.items():
        loc = given.value_loc(name) if isinstance(given, YMap) else plan.value_loc("inputs")
        if isinstance(shape, str):
            try:
                inputs.append((name, parse_shape(shape)))
            except InputError as e:
                raise SpecError(e.message, loc) from None
        else:
            inputs.append((name, _declared_shape(shape, loc)))
    return CheckPlan(inputs, convention)


def _param_decl(name: str, spec, loc: Loc) -> tuple:
    """(kind, default) of a block parameter declared as `int` or `{type: int, default: 3}`."""
    default = _NO_DEFAULT
    if isinstance(spec, YMap):
        _check_keys(spec, ("type", "default"), "key of a block parameter")
        if "default" in spec:
            default = spec["default"]
        loc, spec = spec.value_loc("type"), spec.get("type", "any")
    if spec not in _PARAM_KINDS:
        raise SpecError(f"parameter '{name}' has type {show(spec)}; expected one of {', '.join(_PARAM_KINDS)}", loc)
    kind = _PARAM_KINDS[spec]
    if default is not _NO_DEFAULT:
        try:
            default = kind(default)
        except SpecError as e:
            raise SpecError(f"default of '{name}': {e.message}", loc) from None
    return kind, default


def _declared_shape(dims, loc: Loc) -> tuple:
    """A shape written in `inputs:`: a list of ints ≥ 0, symbol names and nulls."""
    _expect(dims, YList, "an input shape", loc)
    if len(dims) > MAX_RANK:
        raise SpecError(f"the input shape has {len(dims)} axes; shapecli handles at most {MAX_RANK}", loc)
    shape = []
    for dim, dim_loc in zip(dims, dims.item_locs):
        if dim is None:
            shape.append(UNKNOWN)
        elif type(dim) is int and dim >= 0:
            shape.append(dim)
        elif isinstance(dim, str) and _NAME.match(dim) and "-" not in dim:
            shape.append(Expr.symbol(dim))
        else:
            raise SpecError(f"a dimension must be an integer ≥ 0, a name or null, received {show(dim)}", dim_loc)
    return tuple(shape)


def _value(kind, raw: YMap, key: str):
    try:
        return kind(raw[key])
    except SpecError as e:
        raise SpecError(f"{key}: {e.message}", raw.value_loc(key)) from None


def _check_arity(layer: type[Layer], count: int, raw: YMap) -> None:
    low, high = layer.min_inputs, layer.max_inputs
    if low <= count and (high is None or count <= high):
        return
    if high == low:
        wanted = f"{low} input{'s' if low > 1 else ''}"
    elif high is None:
        wanted = f"at least {low} inputs"
    else:
        wanted = f"{low} to {high} inputs"
    raise SpecError(f"{layer.type_name} takes {wanted}, receives {count}", raw.value_loc("from"))


class _Env(dict):
    """Block parameter values (name → value), and where each value was written:
    `locs` maps a name to (position, path of the block use that gave it)."""

    __slots__ = ("locs",)


def _substitute(value, env: _Env | None, loc: Loc, memo: dict | None = None):
    """`value` with each `$name` string replaced by the block parameter's value.

    A value that is exactly `$name` takes the position where the use gave it, so
    that messages point at the number the user wrote.
    """
    memo = {} if memo is None else memo
    if isinstance(value, str):
        return _parameter_value(value, env, loc) if value.startswith("$") else value
    if not isinstance(value, (YList, YMap)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    items = value if isinstance(value, YList) else value.values()
    if not any(isinstance(v, (str, YList, YMap)) and (not isinstance(v, str) or v.startswith("$")) for v in items):
        memo[id(value)] = value  # nothing to substitute: keep the value as it is
        return value
    if isinstance(value, YList):
        pairs = list(zip(value, value.item_locs))
        result = YList(_substitute(item, env, where, memo) for item, where in pairs)
        result.loc, result.item_locs = value.loc, [_origin(item, env, where) for item, where in pairs]
    else:
        result = YMap((k, _substitute(v, env, value.value_loc(k), memo)) for k, v in value.items())
        result.loc, result.key_locs = value.loc, value.key_locs
        result.value_locs = {k: _origin(v, env, value.value_loc(k)) for k, v in value.items()}
    memo[id(value)] = result
    return result


def _origin(value, env: _Env | None, loc: Loc) -> Loc:
    """Where a value was written: the block use's `name: value` for an exact `$name`."""
    if isinstance(value, str) and value.startswith("$") and env is not None:
        given = env.locs.get(value[1:].strip())
        return given[0] if given else loc
    return loc


def _parameter_value(text: str, env: dict | None, loc: Loc):
    """The value of `$name`, or of an expression over block parameters that starts
    with `$`: `$planes * 4`, `$(planes + 1) // 2`, `$planes * $t`."""
    body = text[1:].strip()
    if env is None:
        raise SpecError(f"'{text}' is used outside a block", loc)
    if body in env:
        return env[body]

    def lookup(name: str):
        if name not in env:
            raise SpecError(f"unknown block parameter '${name}'", loc, hint=did_you_mean(name, env))
        value = env[name]
        if type(value) not in (int, float):
            raise SpecError(f"'${name}' is {show(value)}, not a number, in '{text}'", loc)
        return value

    try:
        return evaluate(parse(body.replace("$", "")), lookup, _divide)
    except ExprError as e:
        raise SpecError(f"'{text}': {e}", loc) from None
    except ZeroDivisionError:
        raise SpecError(f"'{text}' divides by zero", loc) from None


def _divide(a, b):
    """a / b: an integer when it divides exactly, else a float."""
    if isinstance(a, int) and isinstance(b, int) and b and a % b == 0:
        return a // b
    return a / b


def _unused(model: Model) -> list[Diagnostic]:
    """Warnings for layers whose output nothing takes, and inputs nothing reads."""
    used = {s for node in model.nodes for s in node.sources} | set(model.outputs.values())
    used_nodes = {s.node for s in used if isinstance(s, NodeOutput)}
    warnings = [
        Diagnostic("unused", f"input '{name}' is not used by any layer", model.file, decl.loc, name)
        for name, decl in model.inputs.items()
        if name not in used
    ]
    warnings += [
        Diagnostic(
            "unused",
            f"layer '{node.path}' is not used: no layer takes its output and it is not an output",
            model.file,
            node.loc,
            node.path,
            hint="remove it, or list it in outputs:",
        )
        for node in model.nodes
        if node.id not in used_nodes
    ]
    return warnings


def _predecessors(node: Node) -> list[int]:
    """Nodes that must come before `node`: its producers, and the layers it shares or ties."""
    before = [s.node for s in node.sources if isinstance(s, NodeOutput)]
    return before + [n for n in (node.owner, node.tie) if n is not None]


def _renumber(source: Source, new_id: dict[int, int]) -> Source:
    return NodeOutput(new_id[source.node], source.index) if isinstance(source, NodeOutput) else source
