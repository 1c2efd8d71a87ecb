"""Names before the graph is resolved (ports), their resolution to sources, and the order of the nodes.

While a spec expands, each name (a layer, a repeat copy, a block output, an
input) is a `Port` whose target is another port, a `Select` (`from: lstm/h_n`)
or a source. Names may refer to layers written later, so ports are resolved
only once every layer exists; then the nodes are ordered topologically.
"""

from __future__ import annotations

import heapq

from ..records import NamedTuple
from ..errors import Loc, SpecError
from .model import Node, NodeOutput, Source, predecessors


class Port:
    """A name's value before the graph is resolved: another port, a Select, or a Source.

    `name` is the name as the spec writes it, with its scope ('stage2/x').
    """

    __slots__ = ("target", "loc", "name")

    def __init__(self, target, loc: Loc, name: str = ""):
        self.target = target
        self.loc = loc
        self.name = name


class Select(NamedTuple):
    """Output `output` of the layer a port resolves to (`from: lstm/h_n`)."""

    base: Port
    output: str


def resolve(port, nodes: list[Node]) -> Source:
    """The Source a port stands for. Iterative, and every port passed on the way is
    pointed at its result, so long pass-through chains resolve in linear time."""
    levels: list[list[Port]] = [[]]
    selects: list[tuple[Select, Loc]] = []
    seen: set[int] = set()
    while True:
        while isinstance(port, Port):
            if id(port) in seen:
                raise SpecError("a block's output is fed back into its own input", port.loc)
            seen.add(id(port))
            levels[-1].append(port)
            if isinstance(port.target, Select):
                selects.append((port.target, port.loc))
                levels.append([])
                port = port.target.base
            else:
                port = port.target
        for passed in levels.pop():
            passed.target = port
        if not selects:
            return port
        select, loc = selects.pop()
        port = _output(port, select.output, loc, nodes)


def _output(base: Source, output: str, loc: Loc, nodes: list[Node]) -> Source:
    """Output `output` of the node `base` resolves to."""
    if isinstance(base, NodeOutput):
        node = nodes[base.node]
        names = node.layer.output_names(node.cfg)
        if output in names:
            return NodeOutput(base.node, names.index(output))
        raise SpecError(
            f"{node.type_label} '{node.path}' has no output '{output}' (its outputs: {', '.join(names)})", loc
        )
    raise SpecError(f"the input '{base}' has no output '{output}'", loc)


def topological_order(nodes: list[Node]) -> list[int]:
    """Kahn's algorithm; ties go to the node written first. A cycle is an error."""
    if all(map(_after_what_it_needs, nodes)):
        return list(range(len(nodes)))  # every node comes after what it needs: Kahn keeps the order written
    consumers: list[list[int]] = [[] for _ in nodes]
    waiting = [0] * len(nodes)
    for node in nodes:
        for before in predecessors(node):
            consumers[before].append(node.id)
            waiting[node.id] += 1
    ready = [n.id for n in nodes if waiting[n.id] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        current = heapq.heappop(ready)
        order.append(current)
        for consumer in consumers[current]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                heapq.heappush(ready, consumer)
    if len(order) < len(nodes):
        _raise_cycle(nodes, waiting)
    return order


def _after_what_it_needs(node: Node) -> bool:
    """Whether `node` comes after each of its predecessors (the common case, checked at once)."""
    if node.reads or node.owner is not None or node.tie is not None:
        return all(before < node.id for before in predecessors(node))
    for source in node.sources:  # noqa: SIM110 (a loop: resuming a generator costs more than this test)
        if type(source) is NodeOutput and source[0] >= node.id:
            return False
    return True


def _raise_cycle(nodes: list[Node], waiting: list[int]) -> None:
    current = min(i for i, w in enumerate(waiting) if w)
    seen: dict[int, int] = {}
    while current not in seen:
        seen[current] = len(seen)
        current = next(before for before in predecessors(nodes[current]) if waiting[before])
    flow = list(seen)[seen[current] :][::-1]
    start = flow.index(min(flow))
    flow = flow[start:] + flow[:start]
    names = " → ".join(nodes[i].path for i in [*flow, flow[0]])
    raise SpecError(f"the layers form a cycle: {names}", nodes[flow[0]].loc)
