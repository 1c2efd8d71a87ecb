"""A layered (Sugiyama-style) layout of a directed acyclic graph whose boxes sit in nested clusters.

It knows nothing of models: boxes with sizes, edges, and a tree of clusters in,
positions, edge routes and cluster rectangles out. The steps are the classic ones
(Sugiyama, Tagawa and Toda 1981; Gansner et al. 1993, the paper behind Graphviz's dot):

1. **Ranks** by longest path from the sources; a source is pulled down next to its
   first consumer (an input used deep in the graph does not sit at the top).
2. **Dummy boxes** on every edge that spans more than one rank, so long edges get
   their own slots and are routed around boxes; a dummy belongs to the innermost
   cluster holding both ends of its edge.
3. **Crossing reduction** by barycenters, sweeping down and up, keeping the order
   with the fewest crossings. Each rank is sorted cluster by cluster, so the
   members of a cluster stay side by side, and sibling clusters keep one left-to-right
   order in every rank (their boxes cannot interleave).
4. **Coordinates**: x positions minimise the squared distance of each box to the
   weighted mean of its neighbours (long edges pulled straight hardest), subject to
   separation constraints — neighbours in a rank do not overlap, cluster borders
   (shared by all the ranks a cluster spans) keep non-members out and members in,
   and a cluster's title does not sit where an edge enters its first rank. The
   constrained problem is solved as in VPSC (Dwyer, Marriott and Stuckey 2006,
   "Fast node overlap removal"): variables merge into blocks along active
   constraints. y positions stack the ranks, leaving room for the cluster titles
   and paddings that start or end at each rank.
"""

from __future__ import annotations

from .records import NamedTuple


class Box(NamedTuple):
    """A box to place: its id, size, and the id of the innermost cluster it belongs to (None: none)."""

    id: str
    width: float
    height: float
    cluster: str | None = None


class Cluster(NamedTuple):
    """A cluster: its id, the enclosing cluster's id (None: top level), and its title's width."""

    id: str
    parent: str | None
    title_width: float


class Spacing(NamedTuple):
    """Distances of the layout, in user units (pixels of an SVG)."""

    box_gap: float = 26.0
    """between two boxes of a rank"""
    dummy_gap: float = 10.0
    """between a long edge's slot and its neighbours"""
    rank_gap: float = 22.0
    """between two ranks"""
    cluster_pad: float = 10.0
    """between a cluster's border and its contents"""
    cluster_gap: float = 18.0
    """between a cluster's border and what is outside it"""
    title_height: float = 16.0
    """of a cluster's title line"""
    title_clearance: float = 10.0
    """between a cluster's title and the centre of a box of its first rank"""
    margin: float = 12.0
    """around the drawing"""


DEFAULT_SPACING = Spacing()


class Rect(NamedTuple):
    """A placed rectangle: top-left corner and size."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center_x(self) -> float:
        """The x of its vertical centre line."""
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        """The y of its bottom side."""
        return self.y + self.height


class Route(NamedTuple):
    """An edge's way: from the bottom of its source to the top of its target. Consecutive point
    pairs alternate between a gap between ranks (drawn as a curve) and a rank crossed by a
    long edge (a straight vertical line): points 0→1 a gap, 1→2 a rank, 2→3 a gap, …"""

    source: str
    target: str
    points: list[tuple[float, float]]


class Layout(NamedTuple):
    """The result: every box's and cluster's rectangle, every edge's route, the drawing's size."""

    boxes: dict[str, Rect]
    clusters: dict[str, Rect]
    routes: list[Route]
    width: float
    height: float
    crossings: int


class _Item:
    """A box or a dummy in a rank."""

    __slots__ = ("box", "width", "height", "chain", "rank", "up", "down", "dummy")

    def __init__(self, box: str | None, width: float, height: float, chain: tuple, rank: int):
        self.box, self.width, self.height, self.chain, self.rank = box, width, height, chain, rank
        self.up: list[int] = []
        self.down: list[int] = []
        self.dummy = box is None


DUMMY_WIDTH = 2.0
"""Width of a long edge's slot in a rank it crosses."""

MAX_SWEEPS = 24
"""Most barycenter sweeps of the crossing reduction (it stops earlier when it stops improving)."""

PLACEMENT_ROUNDS = 12
"""Rounds of 'move to the neighbours' mean, then remove overlaps' of the x placement."""


def layered_layout(
    boxes: list[Box], edges: list[tuple[str, str]], clusters: list[Cluster] = (), spacing: Spacing = DEFAULT_SPACING
) -> Layout:
    """Lay out a DAG top to bottom. Raises ValueError for a cycle, an unknown box or cluster."""
    parents = _check(boxes, edges, clusters)
    items, paths = _items(boxes, edges, parents)
    _fill_clusters(items)
    ranks: list[list[int]] = [[] for _ in range(max((item.rank for item in items), default=-1) + 1)]
    for i, item in enumerate(items):
        ranks[item.rank].append(i)
    ranks, crossings = _order(ranks, items)
    xs, borders = _place_x(ranks, items, {c.id: c.title_width for c in clusters}, spacing)
    tops, heights, cluster_rects = _place_y(ranks, items, parents, borders, spacing)
    rects = {
        item.box: Rect(
            xs[i] - item.width / 2, tops[item.rank] + (heights[item.rank] - item.height) / 2, item.width, item.height
        )
        for i, item in enumerate(items)
        if not item.dummy
    }
    routes = []
    for path in paths:
        source, target = rects[items[path[0]].box], rects[items[path[-1]].box]
        points = [(source.center_x, source.bottom)]
        for d in path[1:-1]:
            r = items[d].rank
            points += [(xs[d], tops[r]), (xs[d], tops[r] + heights[r])]
        points.append((target.center_x, target.y))
        routes.append(Route(items[path[0]].box, items[path[-1]].box, points))
    return _framed(rects, cluster_rects, routes, crossings, spacing)


def _check(boxes: list[Box], edges: list[tuple[str, str]], clusters: list[Cluster]) -> dict[str, str | None]:
    """Each cluster's parent, once every edge, box and cluster is known to name known things."""
    ids = {box.id for box in boxes}
    parents = {c.id: c.parent for c in clusters}
    for c in clusters:
        if c.parent is not None and c.parent not in parents:
            raise ValueError(f"cluster {c.id!r} has an unknown parent {c.parent!r}")
    for source, target in edges:
        if source not in ids or target not in ids:
            raise ValueError(f"edge {source!r} -> {target!r} names an unknown box")
    for box in boxes:
        if box.cluster is not None and box.cluster not in parents:
            raise ValueError(f"box {box.id!r} is in an unknown cluster {box.cluster!r}")
    return parents


def _items(boxes: list[Box], edges: list[tuple[str, str]], parents: dict) -> tuple[list[_Item], list[list[int]]]:
    """The boxes as ranked items, a dummy item in each rank a long edge crosses, and each edge's
    path through the items."""
    index = {box.id: i for i, box in enumerate(boxes)}
    pairs = [(index[source], index[target]) for source, target in dict.fromkeys(edges)]
    ranks_of = _rank(len(boxes), pairs)
    chains = {c: _chain(c, parents) for c in parents}
    items = [
        _Item(box.id, box.width, box.height, chains[box.cluster] if box.cluster else (), ranks_of[i])
        for i, box in enumerate(boxes)
    ]
    paths = []
    for u, v in pairs:
        path = [u]
        common = _common(items[u].chain, items[v].chain)
        for rank in range(items[u].rank + 1, items[v].rank):
            items.append(_Item(None, DUMMY_WIDTH, 0.0, common, rank))
            path.append(len(items) - 1)
        path.append(v)
        for a, b in zip(path, path[1:]):
            items[a].down.append(b)
            items[b].up.append(a)
        paths.append(path)
    return items, paths


def _framed(rects: dict, cluster_rects: dict, routes: list[Route], crossings: int, spacing: Spacing) -> Layout:
    """The layout moved to start at the margin, with the size that holds boxes, clusters and edges."""
    lefts = [r.x for r in (*rects.values(), *cluster_rects.values())]
    rights = [r.x + r.width for r in (*rects.values(), *cluster_rects.values())]
    lefts += [x - spacing.dummy_gap for route in routes for x, _ in route.points]
    rights += [x + spacing.dummy_gap for route in routes for x, _ in route.points]
    shift = spacing.margin - min(lefts, default=0.0)
    rects = {k: r._replace(x=r.x + shift) for k, r in rects.items()}
    cluster_rects = {k: r._replace(x=r.x + shift) for k, r in cluster_rects.items()}
    routes = [r._replace(points=[(x + shift, y) for x, y in r.points]) for r in routes]
    width = max(rights, default=0.0) + shift + spacing.margin
    height = max((r.bottom for r in (*rects.values(), *cluster_rects.values())), default=0.0) + spacing.margin
    return Layout(rects, cluster_rects, routes, width, height, crossings)


def _chain(cluster: str, parents: dict) -> tuple:
    """The clusters from the outermost to `cluster`."""
    chain = []
    seen = set()
    while cluster is not None:
        if cluster in seen:
            raise ValueError(f"cluster {cluster!r} contains itself")
        seen.add(cluster)
        chain.append(cluster)
        cluster = parents[cluster]
    return tuple(chain[::-1])


def _common(a: tuple, b: tuple) -> tuple:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _fill_clusters(items: list[_Item]) -> None:
    """Give each cluster an empty filler in every rank it spans without a member there, so its
    borders keep other boxes out of those ranks too."""
    present: dict[tuple, set[int]] = {}
    for item in items:
        for depth in range(1, len(item.chain) + 1):
            present.setdefault(item.chain[:depth], set()).add(item.rank)
    for chain, ranks in sorted(present.items(), key=lambda kv: (len(kv[0]), kv[0])):
        for rank in range(min(ranks), max(ranks) + 1):
            if rank not in ranks:
                items.append(_Item(None, 0.0, 0.0, chain, rank))
                for depth in range(1, len(chain) + 1):
                    present[chain[:depth]].add(rank)


# -- 1. ranks ------------------------------------------------------------------------------


def _rank(count: int, pairs: list[tuple[int, int]]) -> list[int]:
    succ: list[list[int]] = [[] for _ in range(count)]
    pred: list[list[int]] = [[] for _ in range(count)]
    for u, v in pairs:
        succ[u].append(v)
        pred[v].append(u)
    order = _topological(count, succ, pred)
    rank = [0] * count
    for v in order:
        for u in pred[v]:
            rank[v] = max(rank[v], rank[u] + 1)
    # Pull a source (and the single box hanging from it, e.g. its output label) down next
    # to its first consumer.
    for v in reversed(order):
        if not succ[v]:
            continue
        lonely = not pred[v] or (len(pred[v]) == 1 and not pred[pred[v][0]] and len(succ[pred[v][0]]) == 1)
        if lonely:
            rank[v] = max(rank[v], min(rank[s] for s in succ[v]) - 1)
    return rank


def _topological(count: int, succ, pred) -> list[int]:
    waiting = [len(p) for p in pred]
    ready = [v for v in range(count) if not waiting[v]]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for s in succ[v]:
            waiting[s] -= 1
            if not waiting[s]:
                ready.append(s)
    if len(order) != count:
        raise ValueError("the graph has a cycle")
    return order


# -- 3. crossing reduction -----------------------------------------------------------------


def _order(ranks: list[list[int]], items: list[_Item]) -> tuple[list[list[int]], int]:
    ranks = _consistent(ranks, items)
    best, best_crossings = [list(r) for r in ranks], _crossings(ranks, items)
    cluster_key = _cluster_keys(ranks, items)
    stale = 0
    for sweep in range(MAX_SWEEPS):
        if best_crossings == 0:
            break
        downward = sweep % 2 == 0
        wanted: dict[str, list[float]] = {}
        sequence = range(1, len(ranks)) if downward else range(len(ranks) - 2, -1, -1)
        for r in sequence:
            fixed = ranks[r - 1] if downward else ranks[r + 1]
            position = {v: i for i, v in enumerate(fixed)}
            scale = (len(fixed) - 1) / max(len(ranks[r]) - 1, 1)
            bary = {}
            for i, v in enumerate(ranks[r]):
                near = [position[u] for u in (items[v].up if downward else items[v].down)]
                bary[v] = sum(near) / len(near) if near else i * scale
            ranks[r] = _cluster_sort(ranks[r], bary, items, cluster_key, wanted)
        cluster_key = _cluster_keys(ranks, items) | {c: sum(keys) / len(keys) for c, keys in wanted.items()}
        ranks = _consistent(ranks, items, cluster_key)
        crossings = _crossings(ranks, items)
        if crossings < best_crossings:
            best, best_crossings, stale = [list(r) for r in ranks], crossings, 0
        else:
            stale += 1
            if stale >= 4:
                break
    return best, best_crossings


def _cluster_keys(ranks: list[list[int]], items: list[_Item]) -> dict[str, float]:
    """Each cluster's mean relative position over the ranks it has members in."""
    sums: dict[str, list[float]] = {}
    for rank in ranks:
        width = max(len(rank) - 1, 1)
        for i, v in enumerate(rank):
            for c in items[v].chain:
                sums.setdefault(c, []).append(i / width)
    return {c: sum(keys) / len(keys) for c, keys in sums.items()}


def _consistent(ranks: list[list[int]], items: list[_Item], cluster_key: dict | None = None) -> list[list[int]]:
    """The ranks with each cluster's members side by side and sibling clusters in one order in every
    rank (the order of `cluster_key`, by default the clusters' mean positions); otherwise as they are."""
    keys = _cluster_keys(ranks, items) if cluster_key is None else cluster_key
    return [_cluster_sort(rank, {v: float(i) for i, v in enumerate(rank)}, items, keys, {}) for rank in ranks]


def _cluster_sort(rank: list[int], bary: dict, items: list[_Item], cluster_key: dict, wanted: dict) -> list[int]:
    """Sort a rank by barycenter, keeping each cluster's members together; sibling clusters
    take the order of `cluster_key` (one order for every rank), and record in `wanted`
    where each cluster would have liked to be."""
    root: dict = {"items": [], "subs": {}}
    for v in rank:
        node = root
        for c in items[v].chain:
            node = node["subs"].setdefault(c, {"items": [], "subs": {}})
        node["items"].append(v)

    def arrange(node: dict) -> tuple[list[int], float]:
        entries = [(bary[v], [v], None) for v in node["items"]]
        for c, sub in node["subs"].items():
            members, key = arrange(sub)
            entries.append((key, members, c))
        entries.sort(key=lambda e: e[0])
        slots = [i for i, e in enumerate(entries) if e[2] is not None]
        if slots:
            width = max(len(entries) - 1, 1)
            for i in slots:
                wanted.setdefault(entries[i][2], []).append(i / width)
            ordered = sorted((entries[i] for i in slots), key=lambda e: (cluster_key[e[2]], e[2]))
            for i, e in zip(slots, ordered):
                entries[i] = e
        flat = [v for e in entries for v in e[1]]
        return flat, sum(bary[v] for v in flat) / len(flat)

    return arrange(root)[0]


def _crossings(ranks: list[list[int]], items: list[_Item]) -> int:
    total = 0
    for r in range(len(ranks) - 1):
        below = {v: i for i, v in enumerate(ranks[r + 1])}
        ends = sorted((i, below[w]) for i, v in enumerate(ranks[r]) for w in items[v].down)
        for a in range(len(ends)):
            for b in range(a + 1, len(ends)):
                if ends[a][0] < ends[b][0] and ends[a][1] > ends[b][1]:
                    total += 1
    return total


# -- 4. coordinates ------------------------------------------------------------------------


def _place_x(
    ranks: list[list[int]], items: list[_Item], titles: dict, spacing: Spacing
) -> tuple[list[float], dict[tuple[str, str], float]]:
    """The x of every item's centre, and of every cluster's left ('L') and right ('R') border.

    The variables are columns (see `_columns`: a chain of items that should stand
    on one vertical line) and cluster borders; each constraint keeps two neighbours
    of a rank apart. Each round moves every column towards the weighted mean of its
    neighbours across the edges that leave it, then removes the overlaps (`_solve`).
    """
    n = len(items)
    column = _columns(ranks, items)
    names = sorted(set(column))
    var_of = {c: i for i, c in enumerate(names)}
    border: dict[tuple[str, str], int] = {}

    def var(kind: str, ref) -> int:
        if kind == "I":
            return var_of[column[ref]]
        key = (kind, ref)
        if key not in border:
            border[key] = len(names) + len(border)
        return border[key]

    gaps: dict[tuple[int, int], float] = {}

    def need(left: int, right: int, gap: float) -> None:
        if gaps.get((left, right), -1.0) < gap:
            gaps[(left, right)] = gap

    members: dict[str, list[int]] = {}
    first_rank: dict[str, int] = {}
    for rank in ranks:
        for (kind_a, a), (kind_b, b) in _pairs(_sequence(rank, items)):
            half_a = items[a].width / 2 if kind_a == "I" else 0.0
            half_b = items[b].width / 2 if kind_b == "I" else 0.0
            if kind_a == "I" and kind_b == "I":
                between = spacing.dummy_gap if items[a].dummy or items[b].dummy else spacing.box_gap
            elif (kind_a, kind_b) in (("L", "I"), ("I", "R"), ("L", "L"), ("R", "R")):
                between = spacing.cluster_pad
            else:
                between = spacing.cluster_gap
            need(var(kind_a, a), var(kind_b, b), half_a + between + half_b)
        for v in rank:
            for c in items[v].chain:
                members.setdefault(c, []).append(v)
                first_rank.setdefault(c, items[v].rank)
    for c, vs in members.items():
        need(var("L", c), var("R", c), titles.get(c, 0.0) + 2 * spacing.cluster_pad)
        for v in vs:
            if items[v].rank == first_rank[c]:
                need(var("L", c), var("I", v), spacing.cluster_pad + titles.get(c, 0.0) + spacing.title_clearance)
    count = len(names) + len(border)
    constraints = [(a, b, g) for (a, b), g in gaps.items()]
    size = {}
    for v in range(n):
        size[var_of[column[v]]] = size.get(var_of[column[v]], 0) + 1
    weight = [float(size[i]) for i in range(len(names))] + [1e-3] * len(border)
    x = _solve(count, [0.0] * count, weight, constraints)
    for _ in range(PLACEMENT_ROUNDS):
        desired = list(x)
        pull = [0.0] * len(names)
        total = [0.0] * len(names)
        for v, item in enumerate(items):
            mine = var_of[column[v]]
            for u in (*item.up, *item.down):
                theirs = var_of[column[u]]
                if theirs == mine:
                    continue
                w = 8.0 if item.dummy and items[u].dummy else 2.0 if item.dummy or items[u].dummy else 1.0
                total[mine] += w
                pull[mine] += w * x[theirs]
        for i in range(len(names)):
            if total[i]:
                desired[i] = pull[i] / total[i]
        for (side, c), i in border.items():
            if side == "L":
                desired[i] = min(x[var_of[column[v]]] - items[v].width / 2 for v in members[c]) - spacing.cluster_pad
            else:
                desired[i] = max(x[var_of[column[v]]] + items[v].width / 2 for v in members[c]) + spacing.cluster_pad
        x = _solve(count, desired, weight, constraints)
    return [x[var_of[column[v]]] for v in range(n)], {key: x[i] for key, i in border.items()}


def _sequence(rank: list[int], items: list[_Item]) -> list[tuple[str, object]]:
    """A rank left to right with its cluster borders: ('L', cluster), ('I', item), ('R', cluster)."""
    sequence: list[tuple[str, object]] = []
    stack: list[str] = []
    for v in rank:
        chain = items[v].chain
        common = len(_common(tuple(stack), chain))
        while len(stack) > common:
            sequence.append(("R", stack.pop()))
        for c in chain[common:]:
            sequence.append(("L", c))
            stack.append(c)
        sequence.append(("I", v))
    while stack:
        sequence.append(("R", stack.pop()))
    return sequence


def _pairs(sequence: list) -> list:
    return list(zip(sequence, sequence[1:]))


def _columns(ranks: list[list[int]], items: list[_Item]) -> list[int]:
    """For each item, the column it stands in (the id of the column's top item).

    An item joins the column of the one above it when each is the other's only
    neighbour across the gap (a chain of layers, a long edge's dummies), both are
    in the same clusters, the joins of one gap do not cross, and every cluster the
    column passes stays on one side of it — so that the separation constraints
    between columns and cluster borders keep an order (no cycle).
    """
    column = list(range(len(items)))
    sides: dict[int, dict[str, str]] = {}
    for r in range(len(ranks) - 1):
        upper = {v: i for i, v in enumerate(ranks[r])}
        extent = _cluster_extents(ranks[r + 1], items)
        joins = sorted(
            (upper[u], i, u, v)
            for i, v in enumerate(ranks[r + 1])
            for u in items[v].up
            if len(items[v].up) == 1 and items[u].down == [v] and items[u].chain == items[v].chain
        )
        last = -1
        for _, position, u, v in joins:
            if position <= last:
                continue
            top = column[u]
            seen = sides.setdefault(top, _sides(upper[u], _cluster_extents(ranks[r], items), items[u].chain))
            here = _sides(position, extent, items[v].chain)
            if any(seen.get(c, side) != side for c, side in here.items()):
                continue
            seen.update(here)
            column[v] = top
            sides[top] = seen
            last = position
    return column


def _cluster_extents(rank: list[int], items: list[_Item]) -> dict[str, tuple[int, int]]:
    extent: dict[str, tuple[int, int]] = {}
    for i, v in enumerate(rank):
        for c in items[v].chain:
            low, high = extent.get(c, (i, i))
            extent[c] = (min(low, i), max(high, i))
    return extent


def _sides(position: int, extent: dict, chain: tuple) -> dict[str, str]:
    """Which side of the item at `position` each cluster it is not in lies on."""
    return {c: ("L" if high < position else "R") for c, (low, high) in extent.items() if c not in chain}


def _solve(count: int, desired: list[float], weight: list[float], constraints) -> list[float]:
    """Positions near `desired` (weighted least squares) with x[b] - x[a] >= gap for every (a, b, gap).

    VPSC's `satisfy`: variables in constraint order each start as a block at their desired
    position and merge with the block of their most violated incoming constraint until
    none is violated; a last pass pushes right whatever a merge left overlapping.
    """
    incoming: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    outgoing: list[list[int]] = [[] for _ in range(count)]
    for a, b, gap in constraints:
        incoming[b].append((a, gap))
        outgoing[a].append(b)
    order = _topological(count, outgoing, [[a for a, _ in inc] for inc in incoming])
    block_of = list(range(count))
    offset = [0.0] * count
    members = {v: [v] for v in range(count)}
    wsum = {v: weight[v] for v in range(count)}
    wdsum = {v: weight[v] * desired[v] for v in range(count)}
    where = {v: desired[v] for v in range(count)}
    for v in order:
        block = block_of[v]
        while True:
            worst, worst_violation = None, 1e-9
            for u in members[block]:
                for a, gap in incoming[u]:
                    other = block_of[a]
                    if other != block:
                        violation = where[other] + offset[a] + gap - where[block] - offset[u]
                        if violation > worst_violation:
                            worst, worst_violation = (a, u, gap), violation
            if worst is None:
                break
            a, u, gap = worst
            target = block_of[a]
            shift = offset[a] + gap - offset[u]
            for m in members[block]:
                offset[m] += shift
                block_of[m] = target
            members[target] += members.pop(block)
            moved = wsum.pop(block)
            wsum[target] += moved
            wdsum[target] += wdsum.pop(block) - shift * moved
            where.pop(block)
            where[target] = wdsum[target] / wsum[target]
            block = target
    x = [where[block_of[v]] + offset[v] for v in range(count)]
    for v in order:
        for a, gap in incoming[v]:
            if x[v] < x[a] + gap:
                x[v] = x[a] + gap
    return x


def _place_y(ranks: list[list[int]], items: list[_Item], parents: dict, borders: dict, spacing: Spacing):
    """The top and height of every rank, and every cluster's rectangle.

    Above a rank go the titles of the clusters that start there (nested ones stacked),
    below it the bottom paddings of those that end there.
    """
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for item in items:
        for c in item.chain:
            first[c] = min(first.get(c, item.rank), item.rank)
            last[c] = max(last.get(c, item.rank), item.rank)
    # How many clusters start (end) at the same rank as c, from c inwards, c included.
    starting = {c: 1 for c in first}
    ending = {c: 1 for c in first}
    for c in sorted(first, key=lambda c: -len(_chain(c, parents))):
        parent = parents[c]
        if parent is not None and parent in first:
            if first[parent] == first[c]:
                starting[parent] = max(starting[parent], starting[c] + 1)
            if last[parent] == last[c]:
                ending[parent] = max(ending[parent], ending[c] + 1)
    above = [0] * len(ranks)
    below = [0] * len(ranks)
    for c in first:
        above[first[c]] = max(above[first[c]], starting[c])
        below[last[c]] = max(below[last[c]], ending[c])
    heights = [max((items[v].height for v in rank), default=0.0) for rank in ranks]
    tops = []
    y = spacing.margin
    for r in range(len(ranks)):
        y += above[r] * (spacing.title_height + spacing.cluster_pad)
        tops.append(y)
        y += heights[r] + below[r] * spacing.cluster_pad + spacing.rank_gap
    rects = {}
    for c in first:
        top = tops[first[c]] - starting[c] * (spacing.title_height + spacing.cluster_pad)
        bottom = tops[last[c]] + heights[last[c]] + ending[c] * spacing.cluster_pad
        left, right = borders[("L", c)], borders[("R", c)]
        rects[c] = Rect(left, top, right - left, bottom - top)
    return tops, heights, rects
