"""Spec text → Model: a flat graph of layer nodes that remember their positions.

The top level of a spec has
    inputs:  {name: [dim, …]}   dims are ints, symbol names or null (unknown);
                                without it the model has one input `x` given by --input
    layers:  [layer, …]         each {name, type, from, repeat, share, tie, …arguments}
    outputs: [name, …]          default: the last layer
    blocks:  {Name: {params, inputs, layers, outputs}}   reusable sub-graphs
    params:  {name: kind or {type, default}}              model parameters (`--set NAME=VALUE`)
    convention: torch | keras | mxnet                     the framework it is written for
    check:   {inputs, convention, set, expect} or a list  what `shapecli check` runs

    model.py    the expanded graph: Model, Node, NodeOutput, BlockUse, Repeat
    schema.py   allowed keys, names, input shapes, block definitions, the check: key
    params.py   block parameters at a use, and `$` substitution
    ports.py    names before resolution, their resolution, topological order
    expand.py   the expansion of layers, blocks, repeats, shares and ties
"""

from __future__ import annotations

from ..errors import SpecError
from .expand import MAX_BLOCK_DEPTH, MAX_EXPANSION_STEPS, MAX_NODES, Builder
from .model import (
    BlockUse,
    CheckPlan,
    Condition,
    Expectation,
    InputDecl,
    Model,
    Node,
    NodeOutput,
    Pending,
    Repeat,
    Source,
)

__all__ = [
    "MAX_BLOCK_DEPTH",
    "MAX_EXPANSION_STEPS",
    "MAX_NODES",
    "BlockUse",
    "CheckPlan",
    "Condition",
    "Expectation",
    "InputDecl",
    "Model",
    "Node",
    "NodeOutput",
    "Pending",
    "Repeat",
    "Source",
    "load_model",
]


def load_model(
    text: str,
    file: str,
    convention: str | None = None,
    overrides: dict[str, str] | None = None,
    default: str = "torch",
) -> Model:
    """Parse and expand a spec; every SpecError raised carries `file` and a position.

    `convention` None takes the spec's own (its `convention:`, else its `check:`'s, else
    `default`); `overrides` are `--set NAME=VALUE` texts for its model parameters.
    Several problems are raised together as SpecErrors.
    """
    try:
        return Builder(convention, overrides, default).build(text, file)
    except SpecError as e:
        e.file = file
        for each in getattr(e, "errors", ()):
            each.file = file
        raise
