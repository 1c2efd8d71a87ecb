"""`shapecli init` and `shapecli run` through the real entry point: files, tables, JSON,
flags, errors, and every shipped config run end to end on its `check:` inputs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from shapecli.cli import main

ROOT = Path(__file__).parent.parent
CONFIGS = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- init -------------------------------------------------------------------------------------------------


def test_init_writes_the_mlp_within_pytorchs_bounds(tmp_path):
    out = tmp_path / "p.npz"
    result = invoke("init", "configs/mlp.yaml", "--input", "2x20", "--seed", "0", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "dense0.weight   (256, 20)   kaiming_uniform(a=√5)" in result.stdout
    assert "dense0.bias     (256,)      uniform(±1/√fan_in)" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == f"Wrote {out}: 4 arrays, 7,946 values (32,830 bytes)"
    with np.load(out) as params:
        assert {k: params[k].shape for k in params.files} == {
            "dense0.weight": (256, 20),
            "dense0.bias": (256,),
            "dense1.weight": (10, 256),
            "dense1.bias": (10,),
        }
        assert all(params[k].dtype == np.float32 for k in params.files)
        # torch.nn.Linear.reset_parameters: kaiming_uniform_(a=√5) and the bias both give U(±1/√in_features)
        for layer, fan_in in (("dense0", 20), ("dense1", 256)):
            bound = 1 / math.sqrt(fan_in)
            for name in ("weight", "bias"):
                values = params[f"{layer}.{name}"]
                assert np.abs(values).max() <= bound
                assert np.abs(values).max() > 0.9 * bound


def test_init_is_byte_identical_for_the_same_seed(tmp_path):
    paths = [tmp_path / f"{name}.npz" for name in ("a", "b", "c")]
    for path, seed in zip(paths, ("3", "3", "4")):
        assert invoke("init", "configs/lstm_classifier.yaml", "--seed", seed, "-o", str(path)).exit_code == 0
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b
    assert a != c


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_init_dtype(tmp_path, dtype):
    out = tmp_path / "p.npz"
    assert invoke("init", "configs/lenet5.yaml", "--dtype", dtype, "-o", str(out)).exit_code == 0
    with np.load(out) as params:
        assert {str(params[k].dtype) for k in params.files} == {dtype}


def test_init_keeps_the_torch_buffers_and_their_integer_counter(tmp_path):
    out = tmp_path / "p.npz"
    assert invoke("init", "configs/resnet18.yaml", "-o", str(out), "-f", "json").exit_code == 0
    with np.load(out) as params:
        assert params["bn1.running_var"].dtype == np.float32 and (params["bn1.running_var"] == 1).all()
        assert params["bn1.num_batches_tracked"].dtype == np.int64 and params["bn1.num_batches_tracked"].shape == ()
        assert len(params.files) == 62 + 3 * 20  # the parameters, and the 20 BatchNorms' three buffers each


def test_init_json(tmp_path):
    out = tmp_path / "p.npz"
    result = invoke("init", "configs/mlp.yaml", "-i", "2x20", "-o", str(out), "--format", "json", "--seed", "5")
    doc = json.loads(result.stdout)
    assert {k: doc[k] for k in ("spec", "convention", "seed", "dtype", "output")} == {
        "spec": "configs/mlp.yaml",
        "convention": "torch",
        "seed": 5,
        "dtype": "float32",
        "output": str(out),
    }
    assert doc["bytes"] == out.stat().st_size
    assert [(p["name"], p["shape"], p["init"]) for p in doc["params"]] == [
        ("dense0.weight", [256, 20], "kaiming_uniform(a=√5)"),
        ("dense0.bias", [256], "uniform(±1/√fan_in)"),
        ("dense1.weight", [10, 256], "kaiming_uniform(a=√5)"),
        ("dense1.bias", [10], "uniform(±1/√fan_in)"),
    ]


def test_init_follows_the_spec_and_its_convention(tmp_path):
    spec = write(
        tmp_path,
        'init: {weight: orthogonal}\nlayers:\n  - {type: Dense, units: 8, bias_init: "constant(0.5)"}\n'
        "  - {type: LSTM, hidden_size: 4}\ncheck: {inputs: {x: 2x3x8}, convention: keras}\n",
    )
    out = tmp_path / "p.npz"
    result = invoke("init", spec, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    with np.load(out) as params:
        kernel = params["dense0/kernel"].astype(np.float64)  # Keras layout (in, out), orthogonal rows
        assert np.allclose(kernel @ kernel.T, np.eye(8), atol=1e-5)
        assert (params["dense0/bias"] == 0.5).all()
        bias = params["lstm0/lstm_cell/bias"]  # Keras' unit_forget_bias around the default zeros
        assert (bias[4:8] == 1).all() and not bias[:4].any() and not bias[8:].any()


@pytest.mark.parametrize(
    "args, code, message",
    [
        (
            ["init", "SPEC", "-i", "1x3xHxW", "-o", "OUT"],
            2,
            "SPEC:5:5: error: fc.weight is (10, 8*(H - 2)*(W - 2)), which depends on H, W: its values need a "
            "concrete size",
        ),
        (["init", "SPEC", "-o", "OUT"], 2, "shapecli: error: no shape for the input 'x'"),
        (
            ["init", "SPEC", "-i", "1x3x8x8", "-o", "SPEC"],
            2,
            "-o SPEC is a file this command reads; shapecli never writes",
        ),
        (["run", "SPEC", "-i", "1x3x8x8", "--save", "SPEC"], 2, "--save SPEC is a file this command reads"),
        (["init", "SPEC", "-i", "1x4x8x8", "-o", "OUT"], 1, "SPEC:3:5: error: Conv2d 'conv' declares in_channels=3"),
        (["init", "SPEC", "-i", "1x3x8x8", "--dtype", "bfloat16", "-o", "OUT"], 2, "'bfloat16' is not one of"),
    ],
)
def test_init_errors_are_located(tmp_path, args, code, message):
    spec = write(
        tmp_path,
        "layers:\n  - {name: root, type: Identity}\n  - {name: conv, type: Conv2d, filters: 8, kernel_size: 3,"
        " in_channels: 3}\n  - {name: flat, type: Flatten}\n  - {name: fc, type: Dense, units: 10}\n",
    )
    out = str(tmp_path / "out.npz")
    result = invoke(*(spec if a == "SPEC" else out if a == "OUT" else a for a in args))
    assert result.exit_code == code
    assert message.replace("SPEC", spec) in result.stderr
    if code == 2 and "depends on" in message:
        assert "hint: give axis 2 of input 'x' and axis 3 of input 'x' a number with --input" in result.stderr


# -- run --------------------------------------------------------------------------------------------------


def test_run_prints_the_output_shape_and_the_statistics(golden):
    result = invoke("run", "configs/mlp.yaml", "--input", "2x20")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.rstrip().splitlines()[-1] == "Output dense1 (2, 10)"
    golden("run_mlp.txt", result.stdout)


def test_init_table_golden(golden, tmp_path):
    result = invoke("init", "configs/mlp.yaml", "--input", "2x20", "--seed", "0", "-o", str(tmp_path / "p.npz"))
    golden("init_mlp.txt", result.stdout.replace(str(tmp_path / "p.npz"), "p.npz"))


def test_run_json():
    result = invoke("run", "configs/mlp.yaml", "-i", "2x20", "--format", "json", "--seed", "1")
    doc = json.loads(result.stdout)
    assert doc["outputs"] == {"dense1": [2, 10]}
    assert doc["inputs"] == {"x": [2, 20]}
    assert (doc["seed"], doc["params"], doc["data"]) == (1, "drawn", {"x": "uniform"})
    assert [(row["path"], row["type"], row["shape"]) for row in doc["layers"]] == [
        ("x", "input", [2, 20]),
        ("dense0", "Dense", [2, 256]),
        ("dense1", "Dense", [2, 10]),
    ]
    x = doc["layers"][0]
    assert x["min"] >= 0 and x["max"] < 1 and x["nan"] == x["inf"] == 0
    relu = doc["layers"][1]  # Dense with activation relu: about half the units are zero
    assert relu["min"] == 0 and 0.2 < relu["zeros"] < 0.8
    assert doc["flags"] == []


def test_run_with_the_file_init_wrote_equals_the_drawn_run(tmp_path):
    out = tmp_path / "p.npz"
    assert invoke("init", "configs/lstm_classifier.yaml", "--seed", "2", "-o", str(out)).exit_code == 0
    drawn = json.loads(invoke("run", "configs/lstm_classifier.yaml", "--seed", "2", "-f", "json").stdout)
    loaded = json.loads(
        invoke("run", "configs/lstm_classifier.yaml", "--seed", "2", "--params", str(out), "-f", "json").stdout
    )
    assert loaded["params"] == str(out)
    assert loaded["layers"] == drawn["layers"]


def test_run_refuses_a_params_file_for_another_model(tmp_path):
    out = tmp_path / "p.npz"
    assert invoke("init", "configs/mlp.yaml", "-i", "2x20", "-o", str(out)).exit_code == 0
    other = invoke("run", "configs/mlp.yaml", "-i", "2x30", "--params", str(out))
    assert other.exit_code == 2
    assert f"{out}: 'dense0.weight' is (256, 20), the model needs (256, 30)" in other.stderr
    keras = invoke("run", "configs/mlp.yaml", "-i", "2x20", "--params", str(out), "-c", "keras")
    assert keras.exit_code == 2
    assert f"{out} has parameters the model does not: dense0.weight, dense0.bias, dense1.weight" in keras.stderr
    assert "another spec or --convention" in keras.stderr


def test_run_saves_every_output(tmp_path):
    out = tmp_path / "acts.npz"
    assert invoke("run", "configs/lstm_classifier.yaml", "--save", str(out)).exit_code == 0
    with np.load(out) as saved:
        shapes = {k: saved[k].shape for k in saved.files}
    assert shapes["tokens"] == (4, 50)
    assert shapes["embedding"] == (4, 50, 128)
    assert (shapes["lstm/output"], shapes["lstm/h_n"], shapes["lstm/c_n"]) == ((4, 50, 256), (2, 4, 256), (2, 4, 256))
    assert shapes["classifier"] == (4, 2)


def test_run_data_choices(tmp_path):
    zeros = json.loads(invoke("run", "configs/mlp.yaml", "-i", "2x20", "--data", "zeros", "-f", "json").stdout)
    assert zeros["layers"][0]["zeros"] == 1.0
    normal = json.loads(invoke("run", "configs/mlp.yaml", "-i", "2x20", "--data", "normal", "-f", "json").stdout)
    assert normal["layers"][0]["min"] < 0
    data = tmp_path / "x.npy"
    np.save(data, np.full((3, 20), 2.0))
    given = json.loads(invoke("run", "configs/mlp.yaml", "--data", str(data), "-f", "json").stdout)
    assert given["inputs"] == {"x": [3, 20]} and given["layers"][0]["mean"] == 2.0
    both = invoke("run", "configs/siamese.yaml", "--data", f"query={data}", "--data", "doc=zeros", "-i", "doc=3x20")
    assert both.exit_code == 0, both.stderr


def test_embedding_inputs_get_integer_indices(tmp_path):
    spec = write(
        tmp_path, "inputs: {ids: [2, 50]}\nlayers:\n  - {type: Embedding, num_embeddings: 3, embedding_dim: 4}\n"
    )
    for data in ("uniform", "normal"):
        result = json.loads(invoke("run", spec, "-f", "json", "--data", data).stdout)
        ids = result["layers"][0]
        assert (ids["min"], ids["max"]) == (0, 2)  # indices over the 3 rows of the table
    zeros = json.loads(invoke("run", spec, "-f", "json", "--data", "zeros").stdout)
    assert zeros["layers"][0]["max"] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "bogus"], "--data bogus: expected uniform, normal, zeros or a .npy file"),
        (["--data", "FILE"], "--data FILE is (3, 7), but input 'x' is (2, 20)"),
        (["--data", "y=zeros"], "--data names 'y', but the spec's inputs are x"),
        (["--data", "zeros", "--data", "normal"], "--data gives the data twice"),
        (["--params", "missing.npz"], "cannot read the parameters file missing.npz"),
    ],
)
def test_run_usage_errors(tmp_path, args, message):
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((3, 7)))
    result = invoke("run", "configs/mlp.yaml", "-i", "2x20", *(str(data) if a == "FILE" else a for a in args))
    assert result.exit_code == 2
    assert message.replace("FILE", str(data)) in result.stderr


def test_run_needs_concrete_inputs():
    result = invoke("run", "configs/resnet18.yaml", "-i", "Bx3x224x224")
    assert result.exit_code == 2
    assert "input 'image' is (B, 3, 224, 224): a run needs every size" in result.stderr
    assert "hint: give it with --input, e.g. --input image=1x3x224x224" in result.stderr


# -- flags ----------------------------------------------------------------------------------------------------


def _stderr_flags(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": warning: " in line]


def test_a_dead_relu_is_flagged(tmp_path):
    spec = write(tmp_path, 'layers:\n  - {type: Dense, units: 8, bias_init: "constant(-100)"}\n  - {type: ReLU}\n')
    result = invoke("run", spec, "-i", "2x4")
    assert result.exit_code == 0
    assert _stderr_flags(result) == [
        f"{spec}:3:5: warning: ReLU 'relu0' outputs only zeros: every unit is dead at initialization"
    ]


def test_nan_and_inf_are_flagged_once_where_they_start(tmp_path):
    spec = write(
        tmp_path, 'layers:\n  - {type: Dense, units: 8, weight_init: "constant(1e38)"}\n  - {type: Dense, units: 4}\n'
    )
    result = json.loads(invoke("run", spec, "-i", "2x40", "-f", "json").stdout)
    assert [(f["kind"], f["path"]) for f in result["flags"]] == [("activation_nonfinite", "dense0")]
    assert result["flags"][0]["message"] == "Dense 'dense0' outputs 0 NaN and 16 Inf values (the first layer that does)"
    assert result["layers"][1]["inf"] == 16 and result["layers"][2]["nan"] + result["layers"][2]["inf"] == 8


def test_a_shrinking_std_across_the_depth_is_flagged(tmp_path):
    layers = "".join(
        '  - {type: Dense, units: 64, weight_init: "normal(0, 0.01)", bias_init: zeros, activation: tanh}\n'
        for _ in range(6)
    )
    spec = write(tmp_path, f"layers:\n{layers}")
    result = json.loads(invoke("run", spec, "-i", "8x64", "-f", "json").stdout)
    (flag,) = result["flags"]
    assert flag["kind"] == "activation_scale" and flag["path"] == "dense5"
    assert flag["message"].startswith("activation std shrinks ")
    assert "at 'dense0'" in flag["message"] and "(6 weighted layers)" in flag["message"]
    steady = spec.replace(".yaml", "_kaiming.yaml")
    Path(steady).write_text(Path(spec).read_text().replace('"normal(0, 0.01)"', "xavier_normal"))
    assert json.loads(invoke("run", steady, "-i", "8x64", "-f", "json").stdout)["flags"] == []


# -- internal consistency -------------------------------------------------------------------------------------


def test_a_shape_that_disagrees_with_the_inference_is_an_internal_error(monkeypatch):
    from shapecli.backends import numpy as backend

    monkeypatch.setitem(backend.LAYERS, "Dense", lambda cfg, xs, p: np.zeros((2, 3), np.float32))
    result = invoke("run", "configs/mlp.yaml", "-i", "2x20")
    assert result.exit_code == 3
    assert "Dense 'dense0' gives (2, 3) in numpy, but shapecli inferred (2, 256)" in result.stderr
    assert "This is a bug in shapecli" in result.stderr


def test_a_float64_leak_is_an_internal_error(monkeypatch):
    from shapecli.backends import numpy as backend

    monkeypatch.setitem(backend.LAYERS, "Dense", lambda cfg, xs, p: np.zeros((2, cfg.units)))
    result = invoke("run", "configs/mlp.yaml", "-i", "2x20")
    assert result.exit_code == 3
    assert "Dense 'dense0' gives float64 values in numpy; the run computes in float32" in result.stderr


@pytest.mark.parametrize(
    "layer, convention, message",
    [
        (
            "{type: Dense, units: 4, activation: threshold}",
            "torch",
            "Dense 'dense0' the activation 'threshold' needs its threshold and value: use a Threshold layer",
        ),
        (
            "{type: LSTM, units: 4, bidirectional: true, go_backwards: true}",
            "keras",
            "LSTM 'lstm0' cannot run: Keras' Bidirectional refuses a layer with go_backwards",
        ),
    ],
)
def test_what_the_backend_refuses_is_located(tmp_path, layer, convention, message):
    spec = write(tmp_path, f"layers:\n  - {layer}\n")
    result = invoke("run", spec, "-i", "2x5x3", "-c", convention)
    assert result.exit_code == 2
    assert f"{spec}:2:5: error: {message}" in result.stderr


def test_numpy_stays_off_the_inspect_and_check_paths():
    code = (
        "import sys\nfrom shapecli.cli import main\n"
        "for argv in (['inspect', 'configs/resnet50.yaml', '-i', '1x3x224x224'], ['check', 'configs/']):\n"
        "    try:\n        main(argv)\n    except SystemExit as e:\n        assert e.code == 0, (argv, e.code)\n"
        "assert 'numpy' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- every shipped config, end to end ---------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_runs_on_its_check_inputs(config):
    # shapes are checked after every layer (a disagreement exits 3); the outputs are the inferred ones
    result = invoke("run", f"configs/{config}", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    inspected = json.loads(invoke("inspect", f"configs/{config}", "-f", "json", *_check_inputs(config)).stdout)
    assert doc["outputs"] == inspected["outputs"]
    assert all(row["nan"] == 0 and row["inf"] == 0 for row in doc["layers"])


def _check_inputs(config: str) -> list[str]:
    from shapecli.spec import load_model

    model = load_model((ROOT / "configs" / config).read_text(), config)
    args = []
    for name, shape in model.check.inputs:
        args += ["-i", f"{name}={','.join(str(d) for d in shape)}" if name else ",".join(str(d) for d in shape)]
    return args


# -- whole configs against PyTorch, through the bridge's builder --------------------------------------------------


def _assert_close(mine, other) -> None:
    """Within 1e-4 relative to the framework output's largest magnitude (float32)."""
    assert mine.shape == other.shape
    scale = float(np.abs(other).max()) if other.size else 0.0
    np.testing.assert_allclose(mine, other, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.torch
@pytest.mark.parametrize("config", CONFIGS)
def test_whole_config_matches_pytorch(config):
    # every shipped config at its check: inputs, the same parameter values in both (shapecli
    # init's, loaded into shapecli.build_torch's model): the outputs and every layer's outputs
    import torch

    import shapecli
    from shapecli.infer import infer
    from shapecli.materialize import draw_parameters, plan_parameters
    from shapecli.run import forward, make_inputs
    from shapecli.spec import load_model

    path = ROOT / "configs" / config
    model = load_model(path.read_text(), f"configs/{config}")
    trace = infer(model, model.check.inputs)
    params = draw_parameters(plan_parameters(model, trace), 0)
    inputs = make_inputs(model, dict(trace.inputs), {}, 0)
    ours = forward(model, trace, params, inputs, keep=True)
    spec = shapecli.load(str(path))
    module = shapecli.build_torch(spec, **dict(trace.inputs)).eval()
    owners = {p.name: p.shared_with for layer in trace.layers for p in layer.params if p.shared_with}
    state = {}
    for key, tensor in module.state_dict().items():
        value = params[owners.get(key, key)]
        state[key] = torch.from_numpy(np.ascontiguousarray(value if value.shape == tuple(tensor.shape) else value.T))
    module.load_state_dict(state)
    with torch.no_grad():
        given = [torch.from_numpy(inputs[name]) for name in model.inputs]
        theirs = module(*given)
        every = module.forward_all(*given)
    theirs = [theirs] if isinstance(theirs, torch.Tensor) else list(theirs)
    assert len(theirs) == len(ours.outputs) == len(model.outputs)
    for mine, other in zip(ours.outputs.values(), theirs):
        _assert_close(mine, other.numpy())
    compared = 0
    for step in spec._plan("torch", list(trace.inputs.items())).steps:
        layer = step.info
        names = list(layer.output_shapes) if layer.output_shapes else [None]
        for index, (name, other) in enumerate(zip(names, every[step.node.path], strict=True)):
            if other is None:  # an output nothing takes, left uncomputed (attention's weights)
                assert index not in step.view.used, step.node.path
                continue
            mine = ours.saved[step.node.path if name is None else f"{step.node.path}/{name}"]
            _assert_close(mine, other.detach().numpy())  # detached: a Parameter layer gives its tensor itself
            compared += 1
    assert compared >= len(model.nodes)


@pytest.mark.parametrize(
    "layer, shape, code",
    [
        ("{type: Dense, units: 3}", "2x0", 0),  # no input features: the output is the bias
        ("{type: Conv2d, filters: 4, kernel_size: 3}", "0x3x8x8", 0),
        ("{type: LSTM, hidden_size: 4}", "0x2x3", 0),
        ("{type: MultiheadAttention, num_heads: 2}", "4x0x6", 0),
        ("{type: Softmax, axis: 1}", "2x0", 0),
        ("{type: Upsample, size: [9, 4]}", "2x3x5x0", 2),
        ("{type: ReplicationPad1d, padding: 2}", "2x3x0", 2),
    ],
)
def test_empty_inputs_run_or_are_refused_at_the_layer(tmp_path, layer, shape, code):
    spec = write(tmp_path, f"layers:\n  - {layer}\n")
    result = invoke("run", spec, "-i", shape)
    assert result.exit_code == code, result.stderr
    if code == 2:
        assert f"{spec}:2:5: error:" in result.stderr and "cannot compute values from its empty input" in result.stderr


def test_a_type_the_backend_refuses_is_reported_at_the_layer(monkeypatch):
    from shapecli.backends import numpy as backend

    monkeypatch.delitem(backend.LAYERS, "Dense")
    monkeypatch.setitem(backend.REFUSED, "Dense", "no numpy counterpart (an example)")
    result = invoke("run", "configs/mlp.yaml", "-i", "2x20")
    assert result.exit_code == 2
    assert "configs/mlp.yaml:3:5: error: Dense 'dense0' cannot run in numpy: no numpy counterpart (an example)" in (
        result.stderr
    )
