"""build_keras against inference: the shipped configs that build in Keras and every Keras
case of the reference grid are built with real keras layers and run on zeros; the weight
count, trainable and non-trainable counts, every weight's path and shape, and the output
shapes equal what shapecli infers under the keras convention."""

from __future__ import annotations

from pathlib import Path

import pytest

import shapecli
from shapecli.api import _given
from shapecli.registry import index_model_inputs

from .helpers import BUILD_INPUTS, KERAS_CONFIGS
from .test_backends import _accepted, _spec

pytestmark = pytest.mark.keras
ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(model, plan):
    """The model's outputs on zeros (int32 for an input an Embedding reads)."""
    import numpy as np

    arrays = []
    for name, shape in plan.trace.inputs.items():
        indices = name in index_model_inputs([s.node for s in plan.steps], plan.trace.inputs)
        arrays.append(np.zeros(shape, dtype="int32" if indices else "float32"))
    out = model(arrays[0] if len(arrays) == 1 else arrays)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def check_against_inference(model, plan) -> None:
    totals = plan.trace.totals
    assert model.count_params() == totals.params
    assert sum(int(w.numpy().size) for w in model.trainable_weights) == totals.trainable
    assert sum(int(w.numpy().size) for w in model.non_trainable_weights) == totals.non_trainable
    params = [p for layer in plan.trace.layers for p in layer.params if not p.shared_with]
    assert [(w.path, tuple(w.shape), w.trainable) for w in model.weights] == [
        (p.name, p.after, p.trainable) for p in params
    ]
    outputs = run(model, plan)
    assert [tuple(o.shape) for o in outputs] == [tuple(s) for s in plan.trace.outputs.values()]


@pytest.mark.parametrize("config", KERAS_CONFIGS)
def test_the_keras_configs_build_as_inferred(config):
    spec = shapecli.load(f"configs/{config}", "keras")
    inputs = BUILD_INPUTS[config]
    check_against_inference(shapecli.build_keras(spec, inputs), spec._plan("keras", _given(inputs, {})))


@pytest.mark.parametrize(
    "config, error, message",
    [
        ("resnet50.yaml", shapecli.BuildError, "Keras' convolutions take padding 'valid' or 'same'"),
        (
            "bert_base.yaml",
            shapecli.BuildError,
            "Keras has no counterpart of PositionalEmbedding 'position_embeddings'",
        ),
        ("lstm_classifier.yaml", shapecli.SpecError, "Keras recurrent layers have no num_layers"),
        ("vgg16.yaml", shapecli.ShapeError, "MaxPool2d 'block2/pool' window 2 gives an output length of 0"),
    ],
)
def test_the_other_configs_say_why_they_do_not_build_in_keras(config, error, message):
    with pytest.raises(error, match=message):
        shapecli.build_keras(f"configs/{config}", BUILD_INPUTS[config])


@pytest.mark.parametrize("index", range(len(_accepted("keras"))))
def test_every_reference_case_builds_as_recorded(index):
    """Each Keras case of tests/reference/keras.json as a one-layer spec (with all the
    layer's outputs as the model's): the weights and outputs Keras recorded."""
    record = _accepted("keras")[index]
    spec = shapecli.load(_spec(record), "keras")
    node = spec._model.nodes[0]
    outputs = [f"layer/{name}" for name in node.layer.output_names(node.cfg)]
    spec = shapecli.load(_spec(record) + f"outputs: {outputs}\n", "keras")
    model = shapecli.build_keras(spec)
    plan = spec._plan("keras", [])
    check_against_inference(model, plan)
    assert [(w.path, list(w.shape), w.trainable) for w in model.weights] == [
        (f"layer/{p['name']}", p["shape"], p["trainable"]) for p in record["params"]
    ]
    assert [list(o.shape) for o in run(model, plan)] == record["outputs"]


def test_share_calls_the_same_layer():
    model = shapecli.build_keras("configs/siamese.yaml", query=(2, 20), doc=(2, 20))
    assert [w.path for w in model.weights] == ["enc_q/kernel", "enc_q/bias", "score/kernel", "score/bias"]
    assert model.count_params() == 2945


def test_blocks_are_models_named_by_their_path():
    model = shapecli.build_keras("configs/residual_mlp.yaml")
    assert [layer.name for layer in model.layers] == ["x", "stage1_0", "stage1_1", "stage1_2", "head"]
    assert model.get_layer("stage1_1").get_layer("fc2").kernel.path == "stage1_1/fc2/kernel"
