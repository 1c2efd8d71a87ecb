"""Small helpers the tests share."""

from __future__ import annotations

import textwrap

from click.testing import CliRunner

from shapecli.cli import main
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


BUILD_INPUTS = {
    "mlp.yaml": {"x": "2x20"},
    "mlp_immediate.yaml": {"x": "2x20"},
    "mlp_mismatch.yaml": {"x": "2x30"},
    "residual_mlp.yaml": {"x": "2x64"},
    "siamese.yaml": {"query": "2x20", "doc": "2x20"},
    "lenet5.yaml": {"digits": "1x1x32x32"},
    "alexnet.yaml": {"image": "1x3x64x64"},
    "vgg16.yaml": {"image": "1x3x32x32"},
    "resnet18.yaml": {"image": "1x3x32x32"},
    "resnet50.yaml": {"image": "1x3x32x32"},
    "mobilenet_v2.yaml": {"image": "1x3x32x32"},
    "densenet121.yaml": {"image": "1x3x32x32"},
    "efficientnet_b0.yaml": {"image": "1x3x32x32"},
    "vit_b_16.yaml": {"image": "1x3x224x224"},
    "unet.yaml": {"image": "1x3x32x32"},
    "lstm_classifier.yaml": {"tokens": "2x7"},
    "bert_base.yaml": {"input_ids": "2x8", "token_type_ids": "2x8"},
    "gpt2_small.yaml": {"input_ids": "1x8"},
}
"""Each shipped config with small concrete inputs, for building it in a framework and
running it (the smallest images each architecture takes, to keep the tests quick)."""

KERAS_CONFIGS = ["mlp.yaml", "mlp_immediate.yaml", "mlp_mismatch.yaml", "residual_mlp.yaml", "siamese.yaml"]
"""The shipped configs that build in Keras: the others use a layer or an argument Keras
has no counterpart for (integer padding, PyTorch's Transformer layers, num_layers), or
are channels-first images that the keras convention reads as channels-last."""


def inspect_cli(*args: str, columns: int = 120):
    """`shapecli inspect ARGS` through the real entry point, at a terminal width of `columns`."""
    return CliRunner().invoke(main, ["inspect", *args], env={"COLUMNS": str(columns)}, catch_exceptions=False)
