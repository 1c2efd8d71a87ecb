"""The block and repeat hierarchy: groups, depths, folding, walking, and group totals."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from shapecli.check import check_file
from shapecli.hierarchy import BLOCK, LAYER, REPEAT, build_hierarchy, folded_name, group_totals
from shapecli.spec import load_model

from .helpers import run_spec

ROOT = Path(__file__).parent.parent
CONFIGS = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))


def _config(name: str):
    """Model and Trace of a shipped config, with the inputs of its `check:` key."""
    result = check_file(str(ROOT / "configs" / name), [], None, keep=True)
    return result.model, result.trace


def _model(text: str):
    return load_model(textwrap.dedent(text), "spec.yaml")


# (config, path, kind, label, depth, count, layers below)
GROUPS = [
    ("resnet50.yaml", "layer1", BLOCK, "Stage", 1, 1, 32),
    ("resnet50.yaml", "layer1/0", BLOCK, "DownBottleneck", 2, 1, 12),
    ("resnet50.yaml", "layer1/rest", REPEAT, "Bottleneck", 2, 2, 20),
    ("resnet50.yaml", "layer3/rest", REPEAT, "Bottleneck", 2, 5, 50),
    ("resnet50.yaml", "layer3/rest.4", BLOCK, "Bottleneck", 2, 1, 10),
    ("resnet50.yaml", "layer3/rest.4/conv2", LAYER, "Conv2d", 3, 1, 1),
    ("resnet50.yaml", "fc", LAYER, "Dense", 1, 1, 1),
    ("bert_base.yaml", "layer", REPEAT, "TransformerEncoderLayer", 1, 12, 12),
    ("bert_base.yaml", "layer.11", LAYER, "TransformerEncoderLayer", 1, 1, 1),
    ("gpt2_small.yaml", "h", REPEAT, "GPT2Block", 1, 12, 84),
    ("unet.yaml", "up1/conv", BLOCK, "DoubleConv", 2, 1, 6),
    ("unet.yaml", "up1/conv/relu2", LAYER, "ReLU", 3, 1, 1),
    ("residual_mlp.yaml", "stage1", REPEAT, "ResidualDense", 1, 3, 9),
    ("residual_mlp.yaml", "stage1.2/add", LAYER, "Add", 2, 1, 1),
]


@pytest.mark.parametrize(("config", "path", "kind", "label", "depth", "count", "layers"), GROUPS)
def test_groups_of_the_configs(config, path, kind, label, depth, count, layers):
    model, _ = _config(config)
    group = build_hierarchy(model).by_path[path]
    assert (group.kind, group.label, group.depth, group.count, len(group.nodes)) == (kind, label, depth, count, layers)


# (config, depth, expand repeats, visible units, open groups)
FOLDS = [
    ("resnet50.yaml", None, False, 59, 8),  # stem 4 + 4 stages × (12 + one ×N node) + head 3
    ("resnet50.yaml", None, True, 175, 24),
    ("resnet50.yaml", 1, False, 11, 0),
    ("resnet50.yaml", 2, False, 15, 4),
    ("resnet50.yaml", 2, True, 23, 8),  # each copy a folded Bottleneck: 4 + (3 + 4 + 6 + 3) + 3
    ("bert_base.yaml", None, False, 9, 0),
    ("bert_base.yaml", None, True, 20, 1),
    ("unet.yaml", None, False, 67, 17),
    ("unet.yaml", 1, False, 10, 0),
    ("unet.yaml", 2, False, 27, 9),  # inc's 6 layers + 4 Down × (pool, conv) + 4 Up × (up, cat, conv) + outc
    ("gpt2_small.yaml", None, False, 6, 0),
    ("gpt2_small.yaml", None, True, 89, 13),
    ("mlp.yaml", None, False, 2, 0),
]


@pytest.mark.parametrize(("config", "depth", "expand", "units", "groups"), FOLDS)
def test_folding(config, depth, expand, units, groups):
    model, _ = _config(config)
    folding = build_hierarchy(model).fold(depth, expand)
    assert (len(folding.units), len(folding.open_groups)) == (units, groups)
    assert sorted(folding.unit_of) == list(range(len(model.nodes)))
    assert all(node in unit.nodes for node, unit in folding.unit_of.items())


def test_folded_names():
    model, _ = _config("resnet50.yaml")
    hierarchy = build_hierarchy(model)
    stage = hierarchy.by_path["layer3"]
    rest = hierarchy.by_path["layer3/rest"]
    assert folded_name(rest) == "layer3/rest.0–4 ×5"
    assert folded_name(rest, stage) == "rest.0–4 ×5"
    assert folded_name(hierarchy.by_path["layer3/0"], stage) == "0"
    assert folded_name(stage) == "layer3"


def test_walk_gives_containers_before_their_contents_with_levels():
    model, _ = _config("resnet50.yaml")
    rows = [(r.group.path, r.level, r.folded) for r in build_hierarchy(model).walk(depth=2, expand_repeats=False)]
    assert rows[:9] == [
        ("conv1", 0, False),
        ("bn1", 0, False),
        ("relu", 0, False),
        ("maxpool", 0, False),
        ("layer1", 0, False),
        ("layer1/0", 1, True),
        ("layer1/rest", 1, True),
        ("layer2", 0, False),
        ("layer2/0", 1, True),
    ]
    everything = list(build_hierarchy(model).walk())
    assert sum(r.group.kind == LAYER for r in everything) == 175
    assert not any(r.folded for r in everything)
    assert ("layer1/rest.1/conv1", 3) in [(r.group.path, r.level) for r in everything]


def test_ancestors():
    model, _ = _config("resnet50.yaml")
    hierarchy = build_hierarchy(model)
    node = next(n.id for n in model.nodes if n.path == "layer2/rest.1/bn3")
    assert [g.path for g in hierarchy.ancestors(node)] == ["layer2", "layer2/rest", "layer2/rest.1"]
    assert hierarchy.ancestors(0) == []


def test_nested_repeats_and_a_single_copy():
    model = _model(
        """
        blocks:
          Inner:
            layers:
              - {name: fc, type: Dense, units: 4}
          Outer:
            layers:
              - {name: b, type: Inner, repeat: 2}
        layers:
          - {name: a, type: Outer, repeat: 2}
          - {name: once, type: Inner, repeat: 1}
        """
    )
    hierarchy = build_hierarchy(model)
    assert [n.path for n in model.nodes] == ["a.0/b.0/fc", "a.0/b.1/fc", "a.1/b.0/fc", "a.1/b.1/fc", "once.0/fc"]
    expected = {
        "a": (REPEAT, 1, 2),
        "a.0": (BLOCK, 1, 1),
        "a.0/b": (REPEAT, 2, 2),
        "a.0/b.1": (BLOCK, 2, 1),
        "a.0/b.1/fc": (LAYER, 3, 1),
        "once": (REPEAT, 1, 1),
    }
    assert {
        p: (hierarchy.by_path[p].kind, hierarchy.by_path[p].depth, hierarchy.by_path[p].count) for p in expected
    } == expected
    rows = [(r.group.path, r.level) for r in hierarchy.walk()]
    # the single copy of 'once' is no group of its own in a walk: nothing to fold
    assert rows[-2:] == [("once.0", 0), ("once.0/fc", 1)]
    assert [folded_name(u) for u in hierarchy.fold().units] == ["a.0–1 ×2", "once.0/fc"]
    assert [folded_name(u) for u in hierarchy.fold(depth=2, expand_repeats=True).units] == [
        "a.0/b.0",
        "a.0/b.1",
        "a.1/b.0",
        "a.1/b.1",
        "once.0/fc",
    ]


def test_group_totals_of_the_configs_add_up_to_the_totals():
    for config in CONFIGS:
        model, trace = _config(config)
        if trace is None:
            continue
        units = build_hierarchy(model).fold(depth=1).units
        params = [group_totals(u, trace).params for u in units]
        total = 0
        for p in params:
            total = total + p
        assert total == trace.totals.params, config


def test_per_copy_counts_of_a_repeat():
    model, trace = _config("resnet50.yaml")
    totals = group_totals(build_hierarchy(model).by_path["layer3/rest"], trace)
    # torchvision's Bottleneck(1024, 256): 1x1 1024→256, 3x3 256→256, 1x1 256→1024, three BatchNorms
    per_copy = 1024 * 256 + 2 * 256 + 256 * 256 * 9 + 2 * 256 + 256 * 1024 + 2 * 1024
    assert per_copy == 1_117_184
    assert (totals.per_copy_params, totals.params, totals.state, totals.layers) == (per_copy, 5 * per_copy, "ok", 50)


def test_copies_that_differ_have_no_per_copy_count():
    text = """
        blocks:
          Widen:
            layers:
              - {name: fc, type: Dense, units: 8}
        layers:
          - {name: s, type: Widen, repeat: 3}
        """
    trace = run_spec(text, "2x4")
    model = _model(text)
    totals = group_totals(build_hierarchy(model).by_path["s"], trace)
    # the first copy maps 4 → 8 (40 parameters), the others 8 → 8 (72 each)
    assert (totals.per_copy_params, totals.params) == (None, 40 + 72 + 72)


def test_a_group_with_a_failed_layer():
    text = """
        blocks:
          Pair:
            layers:
              - {name: fc, type: Dense, units: 8, in_units: 3}
              - {name: out, type: Dense, units: 2}
        layers:
          - {name: p, type: Pair}
          - {name: head, type: Dense, units: 1}
        """
    trace = run_spec(text, "2x4")
    hierarchy = build_hierarchy(_model(text))
    assert group_totals(hierarchy.by_path["p"], trace).state == "error"
    assert group_totals(hierarchy.by_path["head"], trace).state == "skipped"


@pytest.mark.parametrize(
    ("repeat", "copies", "folded"),
    [
        ("{count: 3, start: 1}", ["block.1", "block.2", "block.3"], "block.1–3 ×3"),
        ("{count: 3, start: 1, separator: ''}", ["block1", "block2", "block3"], "block1–3 ×3"),
        ("{count: 2, start: 5, separator: _}", ["block_5", "block_6"], "block_5–6 ×2"),
        ("{count: 12, separator: ''}", [f"block{i}" for i in range(12)], "block0–11 ×12"),
    ],
)
def test_repeats_numbered_from_a_start_and_named_without_a_dot_fold(repeat, copies, folded):
    model = _model(
        f"""
        blocks:
          Inner:
            layers:
              - {{name: fc, type: Dense, units: 4}}
        layers:
          - {{name: block, type: Inner, repeat: {repeat}}}
          - {{name: head, type: Dense, units: 2}}
        """
    )
    hierarchy = build_hierarchy(model)
    group = hierarchy.by_path["block"]
    assert (group.kind, group.count) == (REPEAT, len(copies))
    assert [(c.path, c.kind) for c in group.children] == [(c, BLOCK) for c in copies]
    assert [folded_name(u) for u in hierarchy.fold().units] == [folded, "head"]
