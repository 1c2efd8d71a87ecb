"""`shapecli import torch` on torchvision's classification models.

Needs torchvision (pytest -m torchvision; on these machines `pip install
torch==2.14.1 torchvision==0.29.1`, about 6 minutes and 5.5 GB). Each import
is compared with the torchvision model: state_dict names and shapes,
parameter and buffer counts, output shapes of a run on zeros.
"""

from __future__ import annotations

import warnings

import pytest

from shapecli.dims import parse_shape, product
from shapecli.infer import infer
from shapecli.spec import load_model

pytestmark = [pytest.mark.torch, pytest.mark.torchvision]

IMPORTED = [
    ("alexnet", "1x3x224x224"),
    ("vgg11_bn", "1x3x224x224"),
    ("vgg16", "1x3x224x224"),
    ("resnet18", "1x3x224x224"),
    ("resnet50", "1x3x224x224"),
    ("densenet121", "1x3x224x224"),
    ("squeezenet1_0", "1x3x224x224"),
    ("shufflenet_v2_x1_0", "1x3x224x224"),
    ("mobilenet_v2", "1x3x224x224"),
    ("mobilenet_v3_small", "1x3x224x224"),
    ("regnet_y_400mf", "1x3x224x224"),
    ("googlenet", "1x3x224x224"),
    ("inception_v3", "1x3x299x299"),
]


@pytest.mark.parametrize(("name", "shape"), IMPORTED, ids=[n for n, _ in IMPORTED])
def test_torchvision_model(name, shape):
    import torch
    import torchvision

    from shapecli.importers.torch_import import import_torch

    warnings.simplefilter("ignore")
    text = import_torch(f"torchvision.models:{name}", None, [(None, parse_shape(shape))]).text
    trace = infer(load_model(text, name, "torch"), [(None, parse_shape(shape))])
    assert not trace.errors
    spec_state = {p.name: tuple(p.after) for layer in trace.layers for p in layer.params if p.shared_with is None}
    spec_buffers = sum(product(p.after) for layer in trace.layers for p in layer.params if p.buffer)

    model = getattr(torchvision.models, name)().eval()
    with torch.no_grad():
        out = model(torch.zeros(tuple(int(d) for d in shape.split("x"))))
    outputs = [tuple(o.shape) for o in (out if isinstance(out, tuple) else (out,))]
    assert spec_state == {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert trace.totals.params == sum(p.numel() for p in model.parameters())
    assert spec_buffers == sum(b.numel() for b in model.buffers())
    assert [tuple(s) for s in trace.outputs.values()][: len(outputs)] == outputs


# Models with parts the spec language has no layer type for yet: (model, problems as grouped in the report).
REFUSED = [
    ("efficientnet_b0", ["  9 places: no shapecli layer type does this yet (drops whole residual branches"]),
    (
        "vit_b_16",
        [
            "  get_attr self.class_token in VisionTransformer.forward (",
            "  Tensor.expand() in VisionTransformer.forward (",
            "  get_attr self.encoder.pos_embedding in 'encoder' (Encoder.forward) (",
        ],
    ),
    ("convnext_tiny", ["    get_attr self.features.1.0.layer_scale in 'features.1.0' (CNBlock.forward) ("]),
]


@pytest.mark.parametrize(("name", "starts"), REFUSED, ids=[n for n, _ in REFUSED])
def test_torchvision_refusals(name, starts):
    from click.testing import CliRunner

    from shapecli.cli import main

    result = CliRunner().invoke(main, ["import", "torch", f"torchvision.models:{name}", "--input", "1x3x224x224"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    for start in starts:
        assert any(line.startswith(start) for line in lines), start
