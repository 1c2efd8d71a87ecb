"""Small helpers the tests share."""

from __future__ import annotations

import textwrap

from shapecli.dims import parse_shape
from shapecli.infer import infer
from shapecli.spec import load_model


def run_spec(text: str, *inputs: str, convention: str = "torch", file: str = "spec.yaml"):
    """Load a spec from text (dedented) and infer it for `name=shape` or `shape` inputs."""
    model = load_model(textwrap.dedent(text), file, convention)
    given = []
    for item in inputs:
        name, _, shape = item.rpartition("=")
        given.append((name or None, parse_shape(shape)))
    return infer(model, given)


def shapes(params) -> dict:
    """{name: after-shape as a list-of-ints-or-str} of a list of ParamInfo."""
    from shapecli.dims import dim_to_json

    return {p.name: [dim_to_json(d) for d in p.after] for p in params}
