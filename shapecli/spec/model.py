"""The expanded spec: a flat graph of layer nodes that remember where they were written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType, SimpleNamespace

from ..records import NamedTuple
from ..errors import Diagnostic, Loc
from ..registry import Layer


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


class Pending(NamedTuple):
    """Arguments that read tensor shapes: the layer's configuration is made during inference.

    `given` are the arguments as written (some values Deferred); `locate(key, value=True)`
    gives positions for errors.
    """

    given: dict
    locate: object


class Condition(NamedTuple):
    """A layer's `if:`: its value (True, False, or a Deferred that reads shapes) and its text."""

    value: object
    text: str
    loc: Loc


class Expectation(NamedTuple):
    """A layer's `expect:` shape contract, and where it was written."""

    shape: tuple
    loc: Loc


NO_INIT: Mapping = MappingProxyType({})
"""The initializers of a node that neither its layer nor a scope around it sets (one, shared, read-only)."""


class Node:
    """One layer application in the expanded graph.

    `sources` feed its inputs; `owner` is the node whose parameters it shares
    (its `share:`), `tie` the node whose parameters its own parameters are (its
    `tie:`), or None; `uses` are the block uses it was expanded from, outermost
    first; `args` say where each argument's value was written. `pending` holds
    arguments that read shapes (the configuration is made during inference),
    `condition` its `if:`, `reads` the tensors whose shapes those read, and
    `expect` its shape contract.
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
        "pending",
        "condition",
        "reads",
        "expect",
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
        self.written_from: Sequence[str] = ()
        """The names its inputs are written as, with their scope ('stage2/x')."""
        self.args: Sequence[tuple[str, str, object, Loc, str]] = ()
        """(name, owner, value, where, argument): an argument as validated, and where its number
        was written — as this layer's argument, or as a parameter given to a block use — with
        the argument's canonical name"""
        self.pending: Pending | None = None
        self.condition: Condition | None = None
        self.reads: Sequence[Source] = ()
        self.expect: Expectation | None = None
        self.init: Mapping = NO_INIT
        """Role → Initializer the spec gives its parameters (its `*_init` keys, or an `init:` above it)."""

    def __repr__(self) -> str:
        return f"Node({self.id}, {self.path!r}, {self.type_label}, sources={self.sources})"


class CheckPlan(NamedTuple):
    """One variant of a spec's `check:` key: the inputs ([(name or None, shape)]) and convention it is
    meant for, the parameters it sets (`set:`), its assertions (`expect:`), and where each was written."""

    inputs: list
    convention: str | None
    set: dict | None = None
    expect: dict | None = None
    loc: Loc | None = None
    input_locs: tuple = ()
    set_locs: dict | None = None
    expect_locs: dict | None = None
    max_memory: object = None
    """The training memory it must fit (a memory.budget.MemoryLimit)."""


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

    __slots__ = (
        "file",
        "text",
        "convention",
        "inputs",
        "nodes",
        "outputs",
        "warnings",
        "check",
        "variants",
        "repeats",
        "copy_paths",
        "params",
        "declared_convention",
    )

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
        self.warnings: list[Diagnostic] = unused_warnings(self)
        self.check: CheckPlan = CheckPlan([], None)
        """What `shapecli check` runs the spec with (its `check:` key; the first variant)."""
        self.variants: list[CheckPlan] = [self.check]
        """Every variant of its `check:` key."""
        self.repeats: list[Repeat] = []
        self.copy_paths: dict[str, tuple[str, int]] = {}
        """Path of each copy of a repeat named without a dot (`repeat: {separator: ''}`, `denselayer1`)
        → (the repeated entry's path, the copy's number); copies named `name.K` are recognised by their path."""
        self.params: dict = {}
        """The model parameters (top-level `params:`) as used, after `--set`."""
        self.declared_convention: str | None = None
        """The convention the spec names (top-level `convention:`), if any."""


def unused_warnings(model: Model) -> list[Diagnostic]:
    """Warnings for layers whose output nothing takes, and inputs nothing reads."""
    used_inputs = set()
    taken = bytearray(len(model.nodes))  # node id → 1 when a layer or the model's outputs take its output
    for source in [source for node in model.nodes for source in node.sources] + list(model.outputs.values()):
        if type(source) is str:
            used_inputs.add(source)
        else:
            taken[source[0]] = 1  # (node, index)
    warnings = [
        Diagnostic("unused", f"input '{name}' is not used by any layer", model.file, decl.loc, name)
        for name, decl in model.inputs.items()
        if name not in used_inputs
    ]
    unused = taken.find(0)  # (a search in C: in a long model nearly every layer is used)
    while unused >= 0:
        node = model.nodes[unused]
        warnings.append(
            Diagnostic(
                "unused",
                f"layer '{node.path}' is not used: no layer takes its output and it is not an output",
                model.file,
                node.loc,
                node.path,
                hint="remove it, or list it in outputs:",
            )
        )
        unused = taken.find(0, unused + 1)
    return warnings


def predecessors(node: Node) -> list[int]:
    """Nodes that must come before `node`: its producers, the layers whose shapes it reads,
    and the layers it shares or ties."""
    before = [s.node for s in (*node.sources, *node.reads) if isinstance(s, NodeOutput)]
    return before + [n for n in (node.owner, node.tie) if n is not None]


def renumber(source: Source, new_id: dict[int, int]) -> Source:
    """`source` with its node id mapped through `new_id`."""
    return NodeOutput(new_id[source.node], source.index) if isinstance(source, NodeOutput) else source
