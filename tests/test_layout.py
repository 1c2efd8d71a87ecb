"""The layered layout: properties on seeded random DAGs with nested clusters, and small exact cases."""

from __future__ import annotations

import random

import pytest

from shapecli.layout import Box, Cluster, layered_layout

EPSILON = 1e-6


def _overlap(a, b) -> bool:
    return (
        a.x < b.x + b.width - EPSILON
        and b.x < a.x + a.width - EPSILON
        and (a.y < b.y + b.height - EPSILON and b.y < a.y + a.height - EPSILON)
    )


def _contains(outer, inner) -> bool:
    return (
        outer.x <= inner.x + EPSILON
        and outer.y <= inner.y + EPSILON
        and inner.x + inner.width <= outer.x + outer.width + EPSILON
        and inner.y + inner.height <= outer.y + outer.height + EPSILON
    )


def _random_graph(seed: int):
    """A DAG of up to 30 boxes in up to 6 nested clusters, edges only from earlier boxes to later ones."""
    rng = random.Random(seed)
    clusters = []
    for i in range(rng.randint(0, 6)):
        parent = rng.choice([None] + [c.id for c in clusters])
        clusters.append(Cluster(f"c{i}", parent, rng.uniform(20, 120)))
    boxes = [
        Box(f"b{i}", rng.uniform(20, 160), rng.uniform(12, 60), rng.choice([None] + [c.id for c in clusters]))
        for i in range(rng.randint(1, 30))
    ]
    edges = []
    for j in range(1, len(boxes)):
        for i in rng.sample(range(j), min(j, rng.choice([0, 1, 1, 2, 3]))):
            edges.append((boxes[i].id, boxes[j].id))
    return boxes, edges, clusters


@pytest.mark.parametrize("seed", range(150))
def test_random_layouts_keep_every_promise(seed):
    boxes, edges, clusters = _random_graph(seed)
    layout = layered_layout(boxes, edges, clusters)
    placed = layout.boxes
    assert set(placed) == {b.id for b in boxes}
    for box in boxes:
        assert (placed[box.id].width, placed[box.id].height) == (box.width, box.height)
    # no two boxes overlap
    ids = list(placed)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            assert not _overlap(placed[a], placed[b]), (a, b)
    # every edge runs downwards, from the bottom centre of its source to the top centre of its target
    assert len(layout.routes) == len(set(edges))
    for route in layout.routes:
        source, target = placed[route.source], placed[route.target]
        assert route.points[0] == pytest.approx((source.center_x, source.bottom))
        assert route.points[-1] == pytest.approx((target.center_x, target.y))
        assert all(y1 >= y0 - EPSILON for (_, y0), (_, y1) in zip(route.points, route.points[1:]))
    # a cluster holds its members and nested clusters, and keeps every other box out
    parents = {c.id: c.parent for c in clusters}

    def within(cluster, inner) -> bool:
        while inner is not None:
            if inner == cluster:
                return True
            inner = parents[inner]
        return False

    for cluster in layout.clusters:
        rect = layout.clusters[cluster]
        for box in boxes:
            if within(cluster, box.cluster):
                assert _contains(rect, placed[box.id]), (cluster, box.id)
            else:
                assert not _overlap(rect, placed[box.id]), (cluster, box.id)
        for other in layout.clusters:
            if other != cluster and within(cluster, other):
                assert _contains(rect, layout.clusters[other]), (cluster, other)
            elif other != cluster and not within(other, cluster):
                assert not _overlap(rect, layout.clusters[other]), (cluster, other)
    # the drawing holds everything
    for rect in [*placed.values(), *layout.clusters.values()]:
        assert rect.x >= 0 and rect.y >= 0
        assert rect.x + rect.width <= layout.width and rect.y + rect.height <= layout.height
    # and the same input gives the same drawing
    assert layered_layout(boxes, edges, clusters) == layout


def test_a_chain_stands_on_one_line():
    boxes = [Box("a", 100, 30), Box("b", 40, 20), Box("c", 160, 30), Box("d", 60, 30)]
    layout = layered_layout(boxes, [("a", "b"), ("b", "c"), ("c", "d")])
    centres = {round(r.center_x, 6) for r in layout.boxes.values()}
    assert len(centres) == 1
    assert [layout.boxes[k].y for k in "abcd"] == sorted(layout.boxes[k].y for k in "abcd")
    assert layout.crossings == 0


def test_a_long_edge_is_straight_through_the_ranks_it_crosses():
    # a → b → c → d and a → d: the long edge gets dummy slots in the ranks of b and c
    boxes = [Box(k, 60, 20) for k in "abcd"]
    layout = layered_layout(boxes, [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")])
    long = next(r for r in layout.routes if (r.source, r.target) == ("a", "d"))
    middle = long.points[1:-1]
    assert len(middle) == 4  # entering and leaving the ranks of b and c
    assert len({x for x, _ in middle}) == 1
    b = layout.boxes["b"]
    assert middle[0][0] >= b.x + b.width or middle[0][0] <= b.x


def test_an_input_used_late_sits_next_to_its_consumer():
    boxes = [Box(k, 40, 20) for k in ("x", "l1", "l2", "l3", "mask")]
    layout = layered_layout(boxes, [("x", "l1"), ("l1", "l2"), ("l2", "l3"), ("mask", "l3")])
    assert layout.boxes["mask"].y == layout.boxes["l2"].y


def test_crossings_are_removed_when_they_can_be():
    # two parallel chains written crosswise: a1 → b2, a2 → b1
    boxes = [Box(k, 40, 20) for k in ("a1", "a2", "b1", "b2")]
    layout = layered_layout(boxes, [("a1", "b2"), ("a2", "b1")])
    assert layout.crossings == 0
    a1, a2, b1, b2 = (layout.boxes[k] for k in ("a1", "a2", "b1", "b2"))
    assert (a1.x < a2.x) == (b2.x < b1.x)


def test_cluster_titles_get_room_above_the_first_rank():
    boxes = [Box("a", 60, 20, "inner"), Box("b", 60, 20, "inner")]
    clusters = [Cluster("outer", None, 50), Cluster("inner", "outer", 80)]
    layout = layered_layout(boxes, [("a", "b")], clusters)
    outer, inner, a = layout.clusters["outer"], layout.clusters["inner"], layout.boxes["a"]
    spacing = 16.0 + 10.0  # title line and padding
    assert inner.y == pytest.approx(a.y - spacing)
    assert outer.y == pytest.approx(inner.y - spacing)
    assert inner.width >= 80 + 2 * 10


@pytest.mark.parametrize(
    ("boxes", "edges", "clusters", "message"),
    [
        ([Box("a", 1, 1), Box("b", 1, 1)], [("a", "b"), ("b", "a")], [], "the graph has a cycle"),
        ([Box("a", 1, 1)], [("a", "z")], [], "edge 'a' -> 'z' names an unknown box"),
        ([Box("a", 1, 1, "k")], [], [], "box 'a' is in an unknown cluster 'k'"),
        ([Box("a", 1, 1)], [], [Cluster("c", "p", 0)], "cluster 'c' has an unknown parent 'p'"),
    ],
)
def test_refusals(boxes, edges, clusters, message):
    with pytest.raises(ValueError) as caught:
        layered_layout(boxes, edges, clusters)
    assert str(caught.value) == message


def test_an_empty_graph():
    layout = layered_layout([], [])
    assert (layout.boxes, layout.routes, layout.clusters) == ({}, [], {})
