"""Expansion: the `layers:` lists of a spec, with its blocks, repeats, conditions, shares and
ties, become a flat list of nodes.

A block used as `type` expands in place: its layers get paths `use/…`, `$` values
are substituted, and `repeat: N` makes copies `use.0 … use.N-1` (or from
`start`), each fed by the one before (N = 0: none, the input passes through; a
block's other inputs go to every copy). `if:` keeps a layer or block use only
when it holds (an absent one passes its first input through). `share: other`
applies another layer or block use (and its parameters) to new inputs; `tie:
other` makes a layer's (or block use's) parameters those of another. Names are
looked up in the scope that writes them (the model or one block copy), before
or after their definition.

Every problem found is recorded and expansion goes on with what does not depend
on it, so that one run reports all the spec's errors (SpecErrors).
"""

from __future__ import annotations

from functools import partial
from operator import attrgetter
from types import SimpleNamespace

from ..records import NamedTuple
from ..args import Int, show
from ..init_defaults import roles_of
from ..initializers import is_init_key, layer_initializers, scope_initializers, semantics_of
from ..errors import Loc, SpecError, SpecErrors, did_you_mean
from ..registry import Layer, all_type_names, canonical_arg, lookup, make_config
from ..yamlsrc import YList, YMap, parse_yaml
from .model import NO_INIT, BlockUse, Condition, Expectation, Model, Node, NodeOutput, Pending, Repeat, renumber
from .params import Deferred, Env, block_env, deferred_in, model_env, parameter_value, resolved_before, substitute
from .ports import Port, Select, resolve, topological_order
from .schema import (
    LAYER_KEYS,
    LAYER_NAME,
    NO_DEFAULT,
    TOP_KEYS,
    BlockDef,
    block_def,
    check_arity,
    check_keys,
    check_name,
    check_plans,
    convention_of,
    declared_shape,
    expect,
    input_decls,
    names,
    param_decl,
    value,
)

MAX_NODES = 1_000_000
"""Most layers a spec may expand to (after blocks and repeat)."""

MAX_EXPANSION_STEPS = 1_200_000
"""Most layer entries and block copies expanded (bounds specs whose blocks expand to nothing)."""

MAX_BLOCK_DEPTH = 32
"""Deepest nesting of block uses."""

MAX_SPEC_ERRORS = 1_000
"""Most errors collected from one spec before giving up."""

BROKEN = "<broken>"
"""What a name stands for when its layer could not be expanded (only while errors are collected)."""


class Scope:
    """The names visible to one list of layers: the model's, or one block copy's.

    `prefix` starts the paths of its layers; `env` holds the parameters for `$name`;
    `layer_nodes` maps its layer names to node ids (for `share`), `block_uses` its block
    use names to the nodes they expanded to (by path inside the use).
    """

    def __init__(
        self,
        prefix: str,
        ports: dict[str, Port],
        inputs: list[str],
        env: Env,
        uses: tuple[BlockUse, ...] = (),
        blocks_open: tuple[str, ...] = (),
    ):
        self.prefix, self.ports, self.inputs, self.env = prefix, ports, inputs, env
        self.uses, self.blocks_open = uses, blocks_open
        self.layer_nodes: dict[str, int] = {}
        self.block_uses: dict[str, tuple[BlockDef, Env, dict[str, int]]] = {}
        self.counters: dict[str, int] = {}
        self.init: dict = {}
        """Role → Initializer defaults of the `init:` keys around this scope."""
        self._given_by: dict | None = None

    def given_by(self) -> dict[Loc, tuple[str, str]]:
        """Position of each parameter value given to this scope → (parameter name, path of the use
        that gave it): an argument written `$name` is shown as given there."""
        if self._given_by is None:
            self._given_by = {where: (name, use) for name, (where, use) in self.env.locs.items()}
        return self._given_by


class Entry(NamedTuple):
    """One item of a `layers:` list, checked and named, before expansion."""

    raw: YMap
    name: str
    repeat: int
    start: int
    separator: str
    layer: type[Layer] | None
    block: BlockDef | None
    type_label: str
    port: Port
    copies: tuple[Port, ...]
    condition: Condition | None
    plain: bool
    """Written with `type:` and arguments only (no name, from, repeat, share, tie, if or expect):
    what expands it need not look for those keys."""

    def copy_name(self, i: int) -> str:
        """The name of copy `i` (from 0) of a repeated entry: `rest.0`, or `denselayer1` with
        `repeat: {start: 1, separator: ''}`."""
        return f"{self.name}{self.separator}{self.start + i}"


REPEAT_SEPARATORS = (".", "_", "-", "")
"""What may join a repeated entry's name and a copy's number (`repeat: {separator: …}`)."""


class Builder:
    """Expands one spec into nodes; `build` is the whole job.

    `convention` None takes the spec's own (`convention:`, else its `check:`'s, else `default`);
    `overrides` are `--set` values (text) for the model parameters.
    """

    def __init__(self, convention: str | None = None, overrides: dict[str, str] | None = None, default: str = "torch"):
        self.convention, self.default = convention, default
        self.overrides = overrides or {}
        self.nodes: list[Node] = []
        self.node_ports: list[list[Port]] = []
        self.blocks: dict[str, BlockDef] = {}
        self.broken_blocks: set[str] = set()
        self.repeats: list[tuple] = []
        self.copy_paths: dict[str, tuple[str, int]] = {}
        """Path of each copy named without a dot (`denselayer1`) → (the repeated entry's path, its number)."""
        self.deferred: list[tuple[Deferred, Scope]] = []
        self.steps = 0
        self.raws: dict[tuple[int, int], tuple] = {}
        """Layer entries as substituted, by (entry, parameters): every copy of a use shares them."""
        self.errors: list[SpecError] = []
        self.seen_errors: set = set()
        self.layer_types: dict[str, tuple] = {}
        """(layer type, None, its name as spelled) of each `type:` text met (a type, not a block)."""
        self.configs: dict[tuple, tuple] = {}
        """(validated configuration, each argument's validated value) by (layer type, arguments as
        written) for plain arguments: layers given equal ones share them."""
        self.configured: dict[tuple, tuple] = {}
        """Entries written alike (see `configure`) → (configuration, arguments)."""
        self.lines: dict[int, list] = {}
        """Entries on a line of text the YAML reader met before (it shares the first reading's columns)
        by id(columns) → [columns (held: their id stays unique), whether the entry needs no
        substitution, (layer type, its key for `configured`)]: equal lines are checked once."""

    # -- collecting errors --------------------------------------------------------

    def record(self, error: SpecError, loc: Loc | None = None) -> None:
        """Keep an error (once per position and message) and go on."""
        if isinstance(error, _Reported):
            return
        if isinstance(error, SpecErrors):
            for each in error.errors:
                self.record(each)
            return
        error.at(loc)
        key = (error.loc, error.message)
        if key in self.seen_errors:
            return
        self.seen_errors.add(key)
        self.errors.append(error)
        if len(self.errors) >= MAX_SPEC_ERRORS:
            raise _Stop(self.errors)

    def attempt(self, run, loc: Loc | None = None, default=None):
        """run(), or `default` after recording its SpecError (a limit reached stops everything)."""
        try:
            return run()
        except _Stop:
            raise
        except SpecError as e:
            self.record(e, loc)
            return default

    def stop_if_errors(self) -> None:
        """Raise every error found so far, in the order of the text."""
        if self.errors:
            raise SpecErrors(sorted(self.errors, key=lambda e: e.loc or Loc(0, 0)))

    # -- the whole spec -----------------------------------------------------------

    def build(self, text: str, file: str) -> Model:
        """The Model of a spec's text."""
        root = parse_yaml(text)
        expect(root, YMap, "a spec", Loc(1, 1))
        self.attempt(lambda: check_keys(root, TOP_KEYS, "top-level key"))
        if "layers" not in root:
            self.record(SpecError("the spec has no 'layers:'", root.loc))
            self.stop_if_errors()
        declared = self.attempt(lambda: convention_of(root))
        plans = self.attempt(lambda: check_plans(root), default=None)
        if self.convention is None:
            planned = plans[0].convention if plans else None
            self.convention = declared or planned or self.default
        env = self.attempt(lambda: self.model_params(root), default=None)
        if env is None:
            env = model_env()
        if "blocks" in root:
            blocks = self.attempt(lambda: expect(root["blocks"], YMap, "blocks", root.value_loc("blocks")))
            for name, definition in (blocks or {}).items():
                found = self.attempt(lambda name=name, d=definition: block_def(name, d, blocks, self.convention))
                if found is None:
                    self.broken_blocks.add(name)
                else:
                    self.blocks[name] = found
        inputs = self.input_decls(root, env)
        if inputs is None:
            self.stop_if_errors()
        scope = Scope("", {name: Port(name, decl.loc, name) for name, decl in inputs.items()}, list(inputs), env)
        if "init" in root:
            scope.init = self.attempt(
                lambda: scope_initializers(root["init"], root.value_loc("init"), {}, semantics_of(self.convention)),
                default={},
            )
        layers = expect(root["layers"], YList, "layers", root.value_loc("layers"))
        layers_loc = root.value_loc("layers")
        del root["layers"]  # expand() lets go of each layer's YAML once it is expanded
        last = self.attempt(lambda: self.expand(scope, layers, layers_loc, consume=True))
        outputs = {}
        if "outputs" in root:
            named = self.attempt(lambda: names(root["outputs"], "outputs", root.value_loc("outputs")), default=[])
            for name, loc in named:
                port = self.attempt(lambda name=name, loc=loc: self.lookup(scope, name, loc))
                if port is not None:
                    outputs[name] = port
        elif last is not None:
            outputs = {last: scope.ports[last]}
        self.stop_if_errors()
        model = self.finish(file, text, inputs, outputs)
        model.variants = plans
        model.check = plans[0]
        model.params = {k: v for k, v in env.items()}
        model.declared_convention = declared
        return model

    def model_params(self, root: YMap) -> Env:
        """The model parameters of a top-level `params:`, with the `--set` overrides."""
        env = model_env()
        declared = {}
        if "params" in root:
            given = expect(root["params"], YMap, "params", root.value_loc("params"))
            for name, spec in given.items():
                check_name(name, "parameter name", given.key_loc(name))
                declared[name] = param_decl(name, spec, given.value_loc(name))
        for name in self.overrides:
            if name not in declared:
                from ..errors import InputError

                known = ", ".join(declared) or "none: declare them under a top-level params:"
                raise InputError(
                    f"--set {name}: the spec has no parameter '{name}' (its params: {known})",
                    hint=did_you_mean(name, declared),
                )
        for name, (kind, default) in declared.items():
            if name in self.overrides:
                env[name] = _override(name, self.overrides[name], kind)
                env.locs[name] = (root.value_loc("params"), "--set")
            elif default is not NO_DEFAULT:
                env[name] = default
                env.locs[name] = (root["params"].value_loc(name), "params")
            else:
                raise SpecError(
                    f"the model parameter '{name}' has no default: give one, or pass --set {name}=VALUE",
                    root["params"].value_loc(name),
                )
        return env

    def input_decls(self, root: YMap, env: Env):
        """The model inputs, with `$` values in their shapes; None (recorded) when unusable."""
        if "inputs" in root and env:
            root["inputs"] = self.attempt(
                lambda: substitute(root["inputs"], env, root.value_loc("inputs")), default=root["inputs"]
            )
        return self.attempt(lambda: input_decls(root))

    # -- expansion ------------------------------------------------------------

    def expand(self, scope: Scope, layers: YList, loc: Loc, consume: bool = False) -> str | None:
        """Expand a list of layers into nodes; returns the name of the last one.

        With `consume` (the model's own list, used once), each layer's YAML is let go as
        soon as it is expanded, so a long spec never holds its text's values and its nodes
        in full at the same time.
        """
        if not layers:
            raise SpecError("'layers:' is empty", loc)
        entries: list = self.declare(scope, layers, cache=not consume)
        last = entries[-1].name if entries else None
        if consume:
            layers.clear()
        previous: Port | None = None
        for index, entry in enumerate(entries):
            if consume:
                entries[index] = None
            self.step(entry.raw.loc)
            if entry.port.target is BROKEN:
                previous = entry.port
                continue
            try:
                sources = self.entry_sources(scope, entry, previous)
            except _Stop:
                raise
            except SpecError as e:
                self.record(e)
                sources = None
            if sources is None:
                entry.port.target = BROKEN
            elif entry.condition is not None and entry.condition.value is False:
                self.attempt(lambda entry=entry, sources=sources: self.expand_absent(scope, entry, sources))
            elif entry.repeat == 0:
                if len(sources) != 1 and not (entry.block is not None and sources):
                    self.record(SpecError("a repeated layer must have a single input", entry.raw.key_loc("repeat")))
                    entry.port.target = BROKEN
                else:
                    entry.port.target = sources[0]  # no copies: the input passes through
            elif entry.block is not None or entry.layer is None and _shares_block(scope, entry.raw):
                self.attempt(lambda entry=entry, sources=sources: self.expand_block_use(scope, entry, sources))
            else:
                try:
                    self.expand_layer(scope, entry, sources)
                except _Stop:
                    raise
                except SpecError as e:
                    self.record(e)
            previous = entry.port
        return last

    def declare(self, scope: Scope, layers: YList, cache: bool = True) -> list[Entry]:
        """Check each entry, give it a name, and make the ports its names refer to.

        With `cache`, an entry as substituted is kept for the other copies of the same block
        under the same parameters (a list expanded once, the model's own, is not kept).
        """
        raws = []
        for item, item_loc in zip(layers, layers.item_locs):
            key = (id(item), id(scope.env)) if cache else None
            raw = self.raws[key][0] if cache and key in self.raws else None
            line = self.line_of(item)
            if raw is None and line is not None and line[1]:
                raw = item  # an equal line needed no substitution: neither does this one
            if raw is None:
                try:
                    raw = self.raw_entry(scope, item, item_loc)
                    if line is not None and raw is item:
                        line[1] = True
                except _Stop:
                    raise
                except SpecError as e:
                    self.record(e)
                if cache and raw is not None and not _reads_shapes(raw):
                    self.raws[key] = (raw, scope.env, item)  # holding both keeps their ids unique
            raws.append((raw, item, item_loc))
        taken: set[str] = set()  # the names the list gives: an automatic name skips them (and the scope's)
        shares = False
        for raw, _, _ in raws:
            if raw is not None and not _NOT_PLAIN.isdisjoint(raw):
                if "name" in raw:
                    taken.add(raw["name"])
                shares = shares or "share" in raw
        entries: list[Entry] = []
        prefixes: dict[str, str] | None = {} if shares else None  # name → prefix, for the names shared
        for raw, item, item_loc in raws:
            entry = None
            if raw is not None:
                try:
                    entry = self.declare_entry(scope, raw, taken, prefixes)
                except _Stop:
                    raise
                except SpecError as e:
                    self.record(e)
            if entry is None:
                entry = self.broken_entry(scope, raw, item, item_loc, taken)
            entries.append(entry)
        return entries

    def line_of(self, item) -> list | None:
        """The record in `lines` of an entry on a line the YAML reader met before, else None."""
        columns = getattr(item, "columns", None)
        if columns is None:
            return None
        line = self.lines.get(id(columns))
        if line is None:
            line = self.lines[id(columns)] = [columns, False, None]
        return line

    def raw_entry(self, scope: Scope, item, loc: Loc) -> YMap:
        raw = expect(item, YMap, "a layer", loc)
        raw = expect(substitute(raw, scope.env, loc, scope.ports), YMap, "a layer", loc)
        if "if" in item and raw is not item:
            raw["if"] = item["if"]  # kept as written: condition_of computes it and shows its text
        if "name" in raw:
            check_name(raw["name"], "layer name", raw.value_loc("name"), LAYER_NAME)
        return raw

    def broken_entry(self, scope: Scope, raw, item, loc: Loc, taken: set) -> Entry:
        """A placeholder for an entry that could not be declared: its name (if it has a
        usable one) stands for BROKEN, so that what refers to it reports nothing more."""
        name = None
        if isinstance(item, dict) and isinstance(item.get("name"), str) and LAYER_NAME.match(item["name"]):
            name = item["name"]
        if name is None or name in scope.ports:
            name = self.auto_name(scope, "broken", taken)
        port = Port(BROKEN, loc, scope.prefix + name)
        scope.ports[name] = port
        if raw is None:
            raw = YMap()
            raw.loc, raw.key_locs, raw.value_locs = loc, {}, {}
        return Entry(raw, name, 1, 0, ".", None, None, "", port, (), None, False)

    def declare_entry(self, scope: Scope, raw: YMap, taken: set, prefixes: dict | None) -> Entry:
        plain = _NOT_PLAIN.isdisjoint(raw)  # (each `in` on a dict subclass costs a method call)
        layer, block, label = self.entry_type(scope, raw, plain)
        if layer is not None:
            prefix = layer.prefix
        elif block is not None:
            prefix = block.name.lower()
        else:
            prefix = prefixes.get(raw["share"], "shared") if isinstance(raw["share"], str) else "shared"
        name = (None if plain else raw.get("name")) or self.auto_name(scope, prefix, taken)
        if prefixes is not None:
            prefixes[name] = prefix
        if name in scope.ports:
            first = scope.ports[name].loc
            raise SpecError(f"the name '{name}' is already used (line {first.line})", raw.value_loc("name"))
        full = scope.prefix + name
        if block is None and (plain or "repeat" not in raw):  # the common case, at once
            condition = None if plain or "if" not in raw else self.condition_of(scope, raw, _shares_block(scope, raw))
            port = scope.ports[name] = Port(None, raw.loc, full)
            return _entry((raw, name, 1, 0, ".", layer, None, label, port, (), condition, plain))
        repeat, start, separator = (1, 0, ".") if "repeat" not in raw else self.repeat_of(raw)
        condition = self.condition_of(scope, raw, block is not None or _shares_block(scope, raw))
        names = [f"{name}{separator}{start + i}" for i in range(repeat)] if "repeat" in raw else []
        for copy in names:
            if copy in scope.ports:
                first = scope.ports[copy].loc
                raise SpecError(
                    f"copy '{copy}' of the repeated '{name}' has the name of another layer (line {first.line})",
                    raw.value_loc("repeat"),
                    hint="rename that layer, or choose another separator: or start:",
                )
        copies = tuple(Port(None, raw.loc, scope.prefix + copy) for copy in names) if names else ()
        port = Port(copies[-1] if copies else None, raw.loc, full)
        scope.ports[name] = port
        for copy_name, copy in zip(names, copies):
            scope.ports[copy_name] = copy
        if block is not None and block.outputs and len(block.outputs) > 1:
            for output, _ in block.outputs:
                scope.ports[f"{name}/{output}"] = Port(None, raw.loc, f"{full}/{output}")
        if separator != ".":
            self.copy_paths.update({scope.prefix + copy: (full, start + i) for i, copy in enumerate(names)})
        return Entry(raw, name, repeat, start, separator, layer, block, label, port, copies, condition, plain)

    def repeat_of(self, raw: YMap) -> tuple[int, int, str]:
        """`repeat: N` or `repeat: {count: N, start: 1, separator: ''}`: (count, first copy's number,
        what joins the name and the number)."""
        given = raw["repeat"]
        if isinstance(given, Deferred):
            raise SpecError("repeat must depend on parameters only, not on tensor shapes", raw.value_loc("repeat"))
        if isinstance(given, YMap):
            check_keys(given, ("count", "start", "separator"), "key of repeat")
            if "count" not in given:
                raise SpecError("repeat needs a count: {count: N, start: 1}", raw.value_loc("repeat"))
            count = value(Int(0, MAX_NODES), given, "count")
            start = value(Int(0, MAX_NODES), given, "start") if "start" in given else 0
            separator = given.get("separator", ".")
            if separator not in REPEAT_SEPARATORS:
                raise SpecError(
                    f"repeat: separator must be one of {', '.join(repr(s) for s in REPEAT_SEPARATORS)}, "
                    f"received {show(separator)}",
                    given.value_loc("separator"),
                    hint="separator: '' names the copies denselayer1, denselayer2, … as torchvision's DenseNet does",
                )
            return count, start, separator
        return value(Int(0, MAX_NODES), raw, "repeat"), 0, "."

    def condition_of(self, scope: Scope, raw: YMap, block_use: bool) -> Condition | None:
        """A layer's `if:` as a Condition (True, False or Deferred)."""
        if "if" not in raw:
            return None
        given, loc = raw["if"], raw.value_loc("if")
        text = given.text if isinstance(given, Deferred) else show(given)
        if isinstance(given, str):
            text = given
            given = parameter_value("$" + given.removeprefix("$"), scope.env, loc, scope.ports)
        if isinstance(given, Deferred):
            if block_use:
                raise SpecError("an if: on a block use must depend on parameters only, not on tensor shapes", loc)
            return Condition(given, text, loc)
        if isinstance(given, bool) or type(given) in (int, float):
            return Condition(bool(given), text, loc)
        raise SpecError(f"if: expected true, false or an expression, received {show(given)}", loc)

    def entry_type(self, scope: Scope, raw: YMap, plain: bool = False):
        """(layer type, block, label) of an entry (`plain`: see Entry); a shared layer's type comes later."""
        if not plain and "share" in raw:
            check_keys(raw, ("name", "from", "share", "if", "expect"), "key for a shared layer")
            return None, None, ""
        label = raw.get("type", _NO_TYPE)
        if label is _NO_TYPE:
            raise SpecError("the layer has no 'type'", raw.loc, hint="add type: Dense (or another layer type)")
        if type(label) is not str:
            expect(label, str, "type", raw.value_loc("type"))
        if label in self.broken_blocks:
            raise _Reported("block with errors")  # reported where the block is defined
        if label in self.blocks:
            block = self.blocks[label]
            if label in scope.blocks_open:
                chain = " → ".join((*scope.blocks_open, label))
                raise SpecError(f"block '{label}' uses itself ({chain})", raw.value_loc("type"))
            return None, block, label
        known = self.layer_types.get(label)
        if known is None:
            layer = lookup(label)
            if layer is None:
                raise SpecError(
                    f"unknown layer type '{label}'",
                    raw.value_loc("type"),
                    hint=did_you_mean(label, [*all_type_names(), *self.blocks]) or "`shapecli layers` lists them",
                )
            spelled = next(w for w in (layer.type_name, *layer.aliases) if w.lower() == label.lower())
            known = self.layer_types[label] = (layer, None, spelled)
        return known

    @staticmethod
    def auto_name(scope: Scope, prefix: str, taken: set) -> str:
        """MXNet-style name: prefix and a counter, skipping the names in the scope and those `taken`
        (given further down its list). The caller makes the name a port of the scope."""
        while True:
            n = scope.counters.get(prefix, 0)
            scope.counters[prefix] = n + 1
            name = f"{prefix}{n}"
            if name not in taken and name not in scope.ports:
                return name

    def entry_sources(self, scope: Scope, entry: Entry, previous: Port | None):
        """The ports feeding an entry: its `from`, else the layer before, else the scope's input."""
        raw = entry.raw
        if not entry.plain and "from" in raw:
            value_, loc = raw["from"], raw.value_loc("from")
            if isinstance(value_, YMap) and entry.block is not None:
                return self.named_block_sources(scope, entry.block, value_)
            return [self.lookup(scope, name, name_loc) for name, name_loc in names(value_, "from", loc)]
        if entry.layer is not None and entry.layer.max_inputs == 0:
            return []
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

    def expand_absent(self, scope: Scope, entry: Entry, sources: list[Port]) -> None:
        """An entry whose `if:` is false: one Identity node in its place, passing its first input."""
        from ..layers.core import Identity

        if not sources:
            raise SpecError("a layer whose if: is false needs an input to pass on", entry.condition.loc)
        label = entry.type_label or (entry.block.name if entry.block else "shared")
        node = self.add_node(
            scope.prefix + entry.name,
            Identity,
            label,
            SimpleNamespace(convention=self.convention),
            sources[:1],
            entry.raw.loc,
            scope.uses,
        )
        node.condition = entry.condition
        node_port = NodeOutput(node.id)
        entry.port.target = node_port
        for copy in entry.copies:
            copy.target = node_port
        if entry.block is not None and entry.block.outputs and len(entry.block.outputs) > 1:
            for output, _ in entry.block.outputs:
                scope.ports[f"{entry.name}/{output}"].target = node_port

    def expand_layer(self, scope: Scope, entry: Entry, sources: list[Port]) -> None:
        raw = entry.raw
        use = entry.port.name  # (scope.prefix + entry.name, made once when it was declared)
        pending = owner = tie = expectation = None
        if not entry.plain and "share" in raw:
            owner = self.defined_layer(scope, raw, "share")
            layer, cfg, label, written, init = owner.layer, owner.cfg, owner.type_label, owner.args, owner.init
        else:
            layer, label = entry.layer, entry.type_label
            unnamed = entry.plain or "name" not in raw
            cfg, written, init, pending = self.configure(scope, raw, layer, label, use, unnamed)
        if not entry.plain and "tie" in raw:
            tie = self.defined_layer(scope, raw, "tie").id
        check_arity(layer, len(sources), raw)
        if entry.repeat > 1 and len(sources) != 1:
            raise SpecError("a repeated layer must have a single input", raw.key_loc("repeat"))
        if not entry.plain and "expect" in raw:
            expectation = self.expectation(scope, raw)
        if entry.copies:
            names = [entry.copy_name(i) for i in range(entry.repeat)]
            copies = zip(entry.copies, [scope.prefix + name for name in names], names)
        else:
            copies = ((entry.port, use, entry.name),)
        for port, path, name in copies:
            node = self.add_node(path, layer, label, cfg, sources, raw.loc, scope.uses)
            if owner is not None:
                node.owner = owner.owner if owner.owner is not None else owner.id
            node.pending, node.tie, node.args, node.init = pending, tie, written, init
            node.condition, node.expect = entry.condition, expectation
            if entry.condition is not None and isinstance(entry.condition.value, Deferred):
                self.deferred.append((entry.condition.value, scope))
            port.target = _output_of((node.id, 0))
            scope.layer_nodes[name] = node.id
            sources = [port, *sources[1:]]
        if entry.copies:
            scope.layer_nodes[entry.name] = self.nodes[-1].id

    def configure(self, scope: Scope, raw: YMap, layer: type[Layer], label: str, use: str, unnamed: bool) -> tuple:
        """(configuration, arguments as written, initializers, Pending or None) of a layer entry
        (`unnamed`: it has no `name:`).

        Layers given the same plain values (ints, strings, bools, nulls, and lists of them) share
        one configuration; an entry written as an earlier one, with plain values only (a long list
        of layers alike), takes the earlier one's arguments too, with positions of its own.
        """
        alike = None
        if not scope.init and unnamed:  # (a name is never alike)
            line = self.line_of(raw)
            if line is None:
                alike = _entry_key(layer, raw)
            elif line[2] is not None and line[2][0] is layer:
                alike = line[2][1]
            else:
                alike = _entry_key(layer, raw)
                line[2] = (layer, alike)
        known = self.configured.get(alike) if alike is not None else None
        if known is None:
            cfg, arguments, init, pending = self.configure_anew(scope, raw, layer, label)
            if alike is not None and init is NO_INIT and pending is None:
                self.configured[alike] = (cfg, arguments)
        else:
            (cfg, arguments), init, pending = known, NO_INIT, None
        given_by = scope.given_by()
        written = []
        for key, validated, canonical in arguments:
            loc = raw.value_loc(key)
            name, given_use = given_by.get(loc, (key, use)) if given_by else (key, use)
            written.append((name, given_use, validated, loc, canonical))
        return cfg, written, init, pending

    def configure_anew(self, scope: Scope, raw: YMap, layer: type[Layer], label: str) -> tuple:
        """(configuration, (key, validated value, canonical name) of each argument, initializers,
        Pending or None) of a layer entry, worked out from its values."""
        args, init = {}, NO_INIT
        for key, given in raw.items():
            if key in _LAYER_KEYS:
                continue
            if is_init_key(key):
                init = None
            else:
                args[key] = given
        if init is None or scope.init:
            init = layer_initializers(raw, label, roles_of(layer), scope.init, semantics_of(self.convention))

        def locate(key, value=True):
            if key is None:
                return raw.loc
            return raw.value_loc(key) if value else raw.key_loc(key)

        pending = None
        plain = _config_key(layer, args)
        if plain is not None:
            known = self.configs.get(plain)
            if known is None:
                cfg = make_config(layer, args, self.convention, locate)
                known = self.configs[plain] = (cfg, [getattr(cfg, canonical_arg(layer, key)) for key in args])
            cfg, values = known
        else:
            deferred = deferred_in(args)
            if deferred:
                pending = Pending(args, locate)
                cfg = make_config(layer, {k: resolved_before(v) for k, v in args.items()}, self.convention, locate)
                self.deferred += [(d, scope) for d in deferred]
            else:
                cfg = make_config(layer, args, self.convention, locate)
            values = [getattr(cfg, canonical_arg(layer, key)) for key in args]
        return cfg, tuple(zip(args, values, [canonical_arg(layer, key) for key in args])), init, pending

    def expectation(self, scope: Scope, raw: YMap) -> Expectation | None:
        """A layer's `expect: [B, 64, floor(H/2), W // 2]` shape contract."""
        if "expect" not in raw:
            return None
        from ..dims import parse_dim
        from ..errors import InputError

        given, loc = raw["expect"], raw.value_loc("expect")
        expect(given, YList, "expect", loc)
        shape = []
        for item, item_loc in zip(given, given.item_locs):
            if isinstance(item, str) and not item.strip().isidentifier():
                try:
                    shape.append(parse_dim(item))
                except InputError as e:
                    raise SpecError(f"expect: {e.message}", item_loc) from None
            else:
                shape.extend(declared_shape(_one(item, item_loc), item_loc))
        return Expectation(tuple(shape), loc)

    def defined_layer(self, scope: Scope, raw: YMap, key: str) -> Node:
        """The node of the layer named by `share:` or `tie:`, which must be written above."""
        target = expect(raw[key], str, key, raw.value_loc(key))
        if target in scope.layer_nodes:
            return self.nodes[scope.layer_nodes[target]]
        if target in scope.block_uses:
            raise SpecError(
                f"'{target}' is a block use: {key} it from a use of the same block",
                raw.value_loc(key),
                hint=f"write {{type: {scope.block_uses[target][0].name}, {key}: {target}}}",
            )
        if target in scope.ports:
            raise SpecError(f"{key} must name a layer defined above it; '{target}' is not one", raw.value_loc(key))
        raise SpecError(f"unknown name '{target}'", raw.value_loc(key), hint=did_you_mean(target, scope.layer_nodes))

    def step(self, loc: Loc) -> None:
        """Count one entry or block copy expanded; refuse a spec that expands without bound."""
        self.steps += 1
        if self.steps > MAX_EXPANSION_STEPS:
            limit = f"the spec expands to more than {MAX_EXPANSION_STEPS:,} layer entries and block copies"
            raise _Stop([*self.errors, SpecError(limit, loc)])

    def add_node(self, path, layer, label, cfg, sources, loc, uses) -> Node:
        if len(self.nodes) >= MAX_NODES:
            raise SpecErrors([*self.errors, SpecError(f"the spec expands to more than {MAX_NODES:,} layers", loc)])
        node = Node(len(self.nodes), path, layer, label, cfg, loc, uses)
        node.written_from = tuple(map(_port_name, sources))
        self.nodes.append(node)
        self.node_ports.append(sources)  # each caller passes a list of its own, never changed after
        return node

    def expand_block_use(self, scope: Scope, entry: Entry, sources: list[Port]) -> None:
        raw, block = entry.raw, entry.block
        link = None
        if block is None:  # share: or tie: of another use of a block
            key = "share" if "share" in raw else "tie"
            block, env, original = scope.block_uses[raw[key]]
            link = (key, original)
            if entry.repeat != 1:
                raise SpecError(f"a block use that {key}s another cannot repeat", raw.key_loc("repeat"))
        elif "share" in raw or "tie" in raw:
            key = "share" if "share" in raw else "tie"
            target = expect(raw[key], str, key, raw.value_loc(key))
            if target not in scope.block_uses:
                raise SpecError(
                    f"{key}: '{target}' is not a use of a block defined above it",
                    raw.value_loc(key),
                    hint=did_you_mean(target, scope.block_uses),
                )
            found, env, original = scope.block_uses[target]
            if found is not block:
                raise SpecError(
                    f"{key}: '{target}' is a use of block {found.name}, not of {block.name}", raw.value_loc(key)
                )
            link = (key, original)
        if len(scope.blocks_open) >= MAX_BLOCK_DEPTH:
            raise SpecError(f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", raw.value_loc("type"))
        if link is None or "type" in raw:
            env = block_env(block, raw, scope.env, scope.prefix + entry.name)
            # a parameter read from shapes (`width: $x.shape[1] * $t`) reads them in the scope of the use
            self.deferred += [(d, scope) for d in deferred_in([env[name] for name in block.params if name in raw])]
        if len(sources) != len(block.inputs):
            raise SpecError(
                f"block {block.name} takes {len(block.inputs)} input(s) ({', '.join(block.inputs)}), "
                f"receives {len(sources)}",
                raw.value_loc("from"),
            )
        ports = entry.copies or [entry.port]
        if len(ports) > 1:
            self.repeats.append(
                (scope.prefix + entry.name, block.name, raw.key_loc("repeat"), len(ports), sources[0], ports[0])
            )
        for i, port in enumerate(ports):
            self.step(raw.loc)
            name = entry.copy_name(i) if entry.copies else entry.name
            path = scope.prefix + name
            use = BlockUse(path, block.name, raw.loc)
            inner = Scope(
                path + "/",
                {n: Port(source, raw.loc, f"{path}/{n}") for n, source in zip(block.inputs, sources)},
                list(block.inputs),
                env,
                (*scope.uses, use),
                (*scope.blocks_open, block.name),
            )
            inner.init = {**scope.init, **block.init}
            first_node = len(self.nodes)
            errors_before = len(self.errors)
            last = self.attempt(lambda inner=inner: self.expand(inner, block.layers, block.loc))
            for error in self.errors[errors_before:]:
                error.notes.append(f"in '{path}', a use of block {block.name} at line {raw.loc.line}")
            if last is None:
                port.target = BROKEN
                return
            outputs = block.outputs or [(last, block.loc)]
            output_ports = [self.lookup(inner, n, loc) for n, loc in outputs]
            made = {self.nodes[n].path[len(path) + 1 :]: n for n in range(first_node, len(self.nodes))}
            if link is not None:
                self.link(link, made, raw)
            scope.block_uses[name] = (block, env, made)
            port.target = output_ports[0]
            if len(outputs) > 1 and i == len(ports) - 1:
                for (output, _), output_port in zip(outputs, output_ports):
                    scope.ports[f"{entry.name}/{output}"].target = output_port
            sources = [port, *sources[1:]]
        if entry.copies:
            entry.port.target = entry.copies[-1]

    def link(self, link: tuple[str, dict[str, int]], made: dict[str, int], raw: YMap) -> None:
        """Make the nodes of a block use share (or tie) the parameters of the same layers of another use."""
        key, original = link
        for relative, node_id in made.items():
            if relative not in original:
                raise SpecError(f"{key}: this use has a layer '{relative}' the other use has not", raw.value_loc(key))
            target = self.nodes[original[relative]]
            node = self.nodes[node_id]
            if key == "share":
                node.owner = target.owner if target.owner is not None else target.id
            else:
                node.tie = target.id

    # -- resolution ------------------------------------------------------------

    def finish(self, file: str, text: str, inputs, outputs: dict[str, Port]) -> Model:
        """Resolve every port to a Source and order the nodes topologically."""
        for node, ports in zip(self.nodes, self.node_ports):
            sources = []  # (a loop, not a comprehension: each comprehension run is a function call)
            for port in ports:
                target = port.target
                sources.append(target if type(target) is NodeOutput else resolve(port, self.nodes))
            node.sources = sources
        for deferred, scope in self.deferred:
            for name in deferred.names:
                if name not in scope.ports:
                    raise SpecError(
                        f"'{deferred.text}' reads the shape of '{name}', which is not a name here",
                        deferred.loc,
                        hint=did_you_mean(name, [n for n in scope.ports if "/" not in n]),
                    )
                deferred.sources[name] = resolve(scope.ports[name], self.nodes)
        self.node_ports = []
        for node in self.nodes:
            if node.pending is not None or node.condition is not None:
                node.reads = _reads(node)
        resolved_outputs = {name: resolve(p, self.nodes) for name, p in outputs.items()}
        order = topological_order(self.nodes)
        nodes = self.nodes
        if order != list(range(len(order))):  # not already in the order written
            new_id = {old: new for new, old in enumerate(order)}
            nodes = [self.nodes[old] for old in order]
            for node in nodes:
                node.id = new_id[node.id]
                node.sources = [renumber(s, new_id) for s in node.sources]
                node.reads = [renumber(s, new_id) for s in node.reads]
                if node.owner is not None:
                    node.owner = new_id[node.owner]
                if node.tie is not None:
                    node.tie = new_id[node.tie]
            for deferred, _ in self.deferred:
                deferred.sources = {name: renumber(s, new_id) for name, s in deferred.sources.items()}
            resolved_outputs = {name: renumber(s, new_id) for name, s in resolved_outputs.items()}
        else:
            new_id = range(len(nodes))  # every id stays
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
        model.copy_paths = self.copy_paths
        return model


_entry = partial(tuple.__new__, Entry)
"""Entry((raw, name, …)) without the Python-level constructor of a named tuple."""
_output_of = partial(tuple.__new__, NodeOutput)
"""NodeOutput((node, index)) without the Python-level constructor of a named tuple."""
_port_name = attrgetter("name")
_LAYER_KEYS = frozenset(LAYER_KEYS)
_NOT_PLAIN = _LAYER_KEYS - {"type"}
"""The keys an entry written with `type:` and arguments only has none of (see Entry.plain)."""
_NO_TYPE = object()
_PLAIN_TYPES = frozenset((str, int, bool, type(None)))


def _config_key(layer: type[Layer], args: dict) -> tuple | None:
    """What decides a configuration made from plain values: the type and each (name, value's
    type, value), a list of plain values with its items' types (`kernel_size: [3, 3]`); None
    when a value is a mapping, a nested list or a float (kept apart: 0.0 == -0.0)."""
    key = [layer]
    for name, given in args.items():
        kind = type(given)
        if kind is YList:
            items = tuple(given)
            types = tuple(map(type, items))
            if not _PLAIN_TYPES.issuperset(types):
                return None
            key.append((name, kind, items, types))
        elif kind in _PLAIN_TYPES:
            key.append((name, kind, given))
        else:
            return None
    return tuple(key)


def _entry_key(layer: type[Layer], raw: YMap) -> tuple | None:
    """What decides the configuration and arguments of an entry written with plain values only:
    its keys, values and the values' types; None when a value is a list, a mapping or a float."""
    values = tuple(raw.values())
    types = tuple(map(type, values))
    if not _PLAIN_TYPES.issuperset(types):
        return None
    return (layer, tuple(raw), values, types)


def _reads(node: Node) -> list:
    """The tensors whose shapes a node's arguments or condition read (before renumbering)."""
    found = []
    stack = []
    if node.pending is not None:
        stack += deferred_in(node.pending.given)
    if node.condition is not None and isinstance(node.condition.value, Deferred):
        stack.append(node.condition.value)
    seen = set()
    while stack:
        deferred = stack.pop()
        if id(deferred) in seen:
            continue
        seen.add(id(deferred))
        found += deferred.sources.values()
        stack += deferred.deferred_in_env()
    return list(dict.fromkeys(found))


def _reads_shapes(raw: YMap) -> bool:
    """Whether an entry holds a value that reads tensor shapes (bound to its scope's names)."""
    return bool(deferred_in(dict(raw)))


def _shares_block(scope: Scope, raw: YMap) -> bool:
    """Whether an entry is a `share:` or `tie:` of a block use (not of a layer)."""
    return "type" not in raw and any(
        isinstance(raw.get(k), str) and raw[k] in scope.block_uses for k in ("share", "tie")
    )


def _one(item, loc: Loc) -> YList:
    single = YList([item])
    single.loc, single.item_locs = loc, [loc]
    return single


class _Stop(SpecErrors):
    """A limit is reached: expansion stops with the errors found so far."""


class _Reported(SpecError):
    """A problem already reported elsewhere (a use of a block whose definition has errors)."""


def _override(name: str, text, kind):
    """A `--set NAME=VALUE` value (or a `check: {set:}` one), read as YAML reads a value and
    checked by the parameter's kind."""
    from ..errors import InputError

    if not isinstance(text, str):
        try:
            return kind(text)
        except SpecError as e:
            raise SpecError(f"set {name}: {e.message}") from None
    try:
        parsed = parse_yaml(f"v: {text}")["v"] if text.strip() else ""
    except SpecError:
        parsed = text
    try:
        return kind(parsed)
    except SpecError as e:
        raise InputError(f"--set {name}={text}: {e.message}") from None
