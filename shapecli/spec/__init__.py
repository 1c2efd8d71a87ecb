"""Spec text → Model: a flat graph of layer nodes that remember their positions.

The top level of a spec has
    inputs:  {name: [dim, …]}   dims are ints, symbol names or null (unknown);
                                without it the model has one input `x` given by --input
    layers:  [layer, …]         each {name, type, from, repeat, share, tie, …arguments}
    outputs: [name, …]          default: the last layer
    blocks:  {Name: {params, inputs, layers, outputs}}   reusable sub-graphs
    check:   {inputs, convention}                         what `shapecli check` runs

    model.py    the expanded graph: Model, Node, NodeOutput, BlockUse, Repeat
    schema.py   allowed keys, names, input shapes, block definitions, the check: key
    params.py   block parameters at a use, and `$` substitution
    ports.py    names before resolution, their resolution, topological order
    expand.py   the expansion of layers, blocks, repeats, shares and ties
"""

from __future__ import annotations

from ..errors import SpecError
from .expand import MAX_BLOCK_DEPTH, MAX_EXPANSION_STEPS, MAX_NODES, Builder
from .model import BlockUse, CheckPlan, InputDecl, Model, Node, NodeOutput, Repeat, Source

__all__ = [
    "MAX_BLOCK_DEPTH",
    "MAX_EXPANSION_STEPS",
    "MAX_NODES",
    "BlockUse",
    "CheckPlan",
    "InputDecl",
    "Model",
    "Node",
    "NodeOutput",
    "Repeat",
    "Source",
    "load_model",
]


def load_model(text: str, file: str, convention: str = "torch") -> Model:
    """Parse and expand a spec; every SpecError raised carries `file` and a position."""
    try:
        return Builder(convention).build(text, file)
    except SpecError as e:
        e.file = file
        raise
