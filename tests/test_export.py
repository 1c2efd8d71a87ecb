"""shapecli export: the source it writes (golden files), that source as ruff formats and
checks it, the --check staleness test, the errors; and, with the framework, that the
exported model is the built one: same state_dict (or weight paths) and the same outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import shapecli
from shapecli.cli import main
from shapecli.registry import index_model_inputs

from .helpers import BUILD_INPUTS, KERAS_CONFIGS
from .test_backends import _accepted, _spec

ROOT = Path(__file__).parent.parent

NESTED = """\
blocks:
  Unit:
    layers:
      - {name: fc, type: Dense, units: 8, activation: relu}
      - {name: norm, type: LayerNorm}
  Tower:
    params: {n: int}
    layers:
      - {name: rep, type: Unit, repeat: $n}
      - {name: out, type: Dense, units: 6}
inputs: {x: [2, 5]}
layers:
  - {name: s1, type: Tower, n: 3}
  - {name: s2, type: Tower, n: 2}
  - {name: proj, type: Dense, units: 3, repeat: 2}
"""
"""Blocks in blocks, repeated: the uses of Tower differ in sizes and repeat counts, the
first copy of each repeat in its input size."""

TIED = """\
inputs: {x: [2, 12]}
layers:
  - {name: encoder, type: Dense, units: 4, activation: tanh}
  - {name: decoder, type: Dense, units: 12, use_bias: false, tie: encoder}
"""
"""A tied autoencoder: the decoder's weight is the transpose of the encoder's."""


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def export(*args: str):
    return CliRunner().invoke(main, ["export", *args], catch_exceptions=False)


def _flags(config: str) -> list[str]:
    return [f"-i{name}={shape}" for name, shape in BUILD_INPUTS[config].items()]


@pytest.mark.parametrize(
    "config, framework",
    [
        ("mlp.yaml", "torch"),
        ("siamese.yaml", "torch"),
        ("resnet50.yaml", "torch"),
        ("gpt2_small.yaml", "torch"),
        ("residual_mlp.yaml", "keras"),
        ("siamese.yaml", "keras"),
    ],
)
def test_exported_source(config, framework, golden):
    flags = [] if config in ("resnet50.yaml", "gpt2_small.yaml") else _flags(config)
    result = export(f"configs/{config}", "--to", framework, *flags)
    assert result.exit_code == 0, result.stderr
    golden(f"export/{config.removesuffix('.yaml')}_{framework}.py.txt", result.stdout)


@pytest.mark.parametrize(
    "name, text, framework", [("nested", NESTED, "torch"), ("nested", NESTED, "keras"), ("tied", TIED, "torch")]
)
def test_exported_source_of_nested_repeated_blocks_and_a_transposed_tie(name, text, framework, golden, tmp_path):
    (tmp_path / f"{name}.yaml").write_text(text)
    result = export(str(tmp_path / f"{name}.yaml"), "--to", framework)
    assert result.exit_code == 0, result.stderr
    golden(f"export/{name}_{framework}.py.txt", result.stdout.replace(str(tmp_path), "<tmp>"))


def _ruff() -> str:
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        pytest.skip("needs ruff (pip install -e '.[test]')")
    return find_ruff_bin()


def test_exported_source_is_ruff_clean(tmp_path):
    sources = {f"{c.removesuffix('.yaml')}_torch.py": (c, "torch") for c in BUILD_INPUTS}
    sources |= {f"{c.removesuffix('.yaml')}_keras.py": (c, "keras") for c in KERAS_CONFIGS}
    for name, (config, framework) in sources.items():
        spec = shapecli.load(f"configs/{config}", framework)
        (tmp_path / name).write_text(spec.export(framework, BUILD_INPUTS[config]))
    (tmp_path / "nested_torch.py").write_text(shapecli.load(NESTED).export("torch"))
    (tmp_path / "nested_keras.py").write_text(shapecli.load(NESTED, "keras").export("keras"))
    (tmp_path / "tied_torch.py").write_text(shapecli.load(TIED).export("torch"))
    ruff = _ruff()
    formatted = subprocess.run([ruff, "format", "--isolated", "--diff", str(tmp_path)], capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout
    rules = "E,W,F,B,UP,SIM,I,N"
    checked = subprocess.run(
        [ruff, "check", "--isolated", "--select", rules, "--ignore", "N812", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout


def test_check_passes_for_a_current_file_and_fails_for_a_stale_one(tmp_path):
    out = tmp_path / "mlp.py"
    assert export("configs/mlp.yaml", "--to", "torch", "-i", "2x20", "-o", str(out)).exit_code == 0
    current = export("configs/mlp.yaml", "--to", "torch", "-i", "2x20", "--check", str(out))
    assert (current.exit_code, current.stdout, current.stderr) == (0, "", "")

    out.write_text(out.read_text().replace("out_features=10", "out_features=11"))
    stale = export("configs/mlp.yaml", "--to", "torch", "-i", "2x20", "--check", str(out))
    assert stale.exit_code == 1
    assert (
        stale.stderr.splitlines()[0]
        == f"{out}:17:1: error: {out} is stale: line 17 differs from what shapecli export writes now"
    )
    assert stale.stderr.splitlines()[-1] == (
        f"  hint: regenerate it: shapecli export configs/mlp.yaml --to torch --input 2x20 -o {out}"
    )
    text = (ROOT / "configs" / "mlp.yaml").read_text().replace("units: 10", "units: 12")
    (tmp_path / "mlp.yaml").write_text(text)
    changed = export(str(tmp_path / "mlp.yaml"), "--to", "torch", "-i", "2x20", "--check", str(out))
    assert changed.exit_code == 1
    assert changed.stderr.splitlines()[0] == (
        f"{out}:3:1: error: {out} is stale: it was generated from another version of the spec (spec sha256 differs)"
    )
    missing = export("configs/mlp.yaml", "--to", "torch", "-i", "2x20", "--check", str(tmp_path / "none.py"))
    assert missing.exit_code == 1
    assert f"{tmp_path / 'none.py'} cannot be read (No such file or directory)" in missing.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["configs/mlp.yaml", "--to", "torch"], 2, "configs/mlp.yaml:3:5: error: the PyTorch model needs the shape"),
        (["configs/mlp_mismatch.yaml", "--to", "torch", "-i", "2x20"], 1, "error: Dense 'dense0' declares in_units=30"),
        (
            ["configs/bert_base.yaml", "--to", "keras"],
            2,
            "configs/bert_base.yaml:14:5: error: Keras has no counterpart of PositionalEmbedding",
        ),
        (["configs/mlp.yaml", "--to", "torch", "-i", "2y20"], 2, "'2y20' is not a dimension"),
        (["configs/mlp.yaml", "--to", "torch", "-o", "configs/mlp.yaml"], 2, "is the spec itself"),
        (["configs/mlp.yaml", "--to", "torch", "-o", "a.py", "--check", "a.py"], 2, "cannot be combined with --output"),
        (["configs/missing.yaml", "--to", "torch"], 2, "cannot read configs/missing.yaml"),
        (["configs/mlp.yaml", "--to", "jax"], 2, "Invalid value for '-t' / '--to'"),
    ],
    ids=["missing-input", "mismatch", "refused", "bad-input", "over-spec", "check-and-output", "no-file", "bad-to"],
)
def test_export_errors(args, code, message):
    result = export(*args)
    assert result.exit_code == code
    assert message in result.stderr


def test_a_pinned_convention_decides_the_framework(tmp_path):
    spec = tmp_path / "pinned.yaml"
    spec.write_text("layers:\n  - {type: Dense, units: 3}\ncheck: {convention: keras, inputs: {x: 2x4}}\n")
    assert export(str(spec), "--to", "keras", "-i", "2x4").exit_code == 0
    refused = export(str(spec), "--to", "torch", "-i", "2x4")
    assert refused.exit_code == 2
    assert refused.stderr.startswith(
        f"{spec}:3:21: error: build_torch builds PyTorch models from specs under the torch"
    )


# -- the exported model is the built one ------------------------------------------------------


def _load_class(source: str, base):
    namespace: dict = {}
    exec(compile(source, "<exported>", "exec"), namespace)
    return [v for v in namespace.values() if isinstance(v, type) and issubclass(v, base)][-1]


@pytest.mark.torch
@pytest.mark.parametrize("config", [*sorted(BUILD_INPUTS), "nested", "tied"])
def test_the_exported_torch_model_is_the_built_one(config):
    import torch

    if config in ("nested", "tied"):
        spec, inputs = shapecli.load(NESTED if config == "nested" else TIED), {}
    else:
        spec, inputs = shapecli.load(f"configs/{config}"), BUILD_INPUTS[config]
    exported = _load_class(spec.export("torch", inputs), torch.nn.Module)()
    built = shapecli.build_torch(spec, inputs)
    assert [(k, v.shape) for k, v in exported.state_dict().items()] == [
        (k, v.shape) for k, v in built.state_dict().items()
    ]
    exported.load_state_dict(built.state_dict())
    assert type(exported).__name__ == type(built).__name__
    torch.manual_seed(0)
    plan = spec._plan("torch", shapecli.api._given(inputs, {}))
    arguments = []
    for name, shape in plan.trace.inputs.items():
        indices = name in index_model_inputs([s.node for s in plan.steps], plan.trace.inputs)
        arguments.append(torch.randint(0, 2, shape) if indices else torch.randn(shape))
    exported.eval(), built.eval()
    with torch.no_grad():
        ours, theirs = built(*arguments), exported(*arguments)
    ours, theirs = (ours if isinstance(ours, tuple) else (ours,)), (theirs if isinstance(theirs, tuple) else (theirs,))
    assert len(ours) == len(theirs) and all(torch.equal(a, b) for a, b in zip(ours, theirs))


def _keras_cases():
    cases = [(f"configs/{c}", BUILD_INPUTS[c]) for c in KERAS_CONFIGS] + [(NESTED, {})]
    seen = set()
    for record in _accepted("keras"):
        if record["type"] not in seen:
            seen.add(record["type"])
            cases.append((_spec(record), {}))
    return cases


@pytest.mark.keras
@pytest.mark.parametrize(
    "case", _keras_cases(), ids=lambda c: c[0] if c[0].startswith("configs") else json.dumps(c[0])[:60]
)
def test_the_exported_keras_model_is_the_built_one(case):
    import keras
    import numpy as np

    spec_or_text, inputs = case
    spec = shapecli.load(spec_or_text, "keras")
    exported = _load_class(spec.export("keras", inputs), keras.Model)()
    built = shapecli.build_keras(spec, inputs)
    assert [(w.path, tuple(w.shape)) for w in exported.weights] == [(w.path, tuple(w.shape)) for w in built.weights]
    for ours, theirs in zip(built.weights, exported.weights):
        theirs.assign(ours.numpy())
    plan = spec._plan("keras", shapecli.api._given(inputs, {}))
    rng = np.random.default_rng(0)
    arrays = []
    for name, shape in plan.trace.inputs.items():
        indices = name in index_model_inputs([s.node for s in plan.steps], plan.trace.inputs)
        arrays.append(rng.integers(0, 2, shape).astype("int32") if indices else rng.standard_normal(shape, "float32"))
    given = arrays[0] if len(arrays) == 1 else arrays
    ours, theirs = built(given), exported(given)
    ours, theirs = (ours if isinstance(ours, list) else [ours]), (theirs if isinstance(theirs, list) else [theirs])
    numpy = keras.ops.convert_to_numpy
    assert all(np.array_equal(numpy(a), numpy(b)) for a, b in zip(ours, theirs))


def test_the_cli_export_does_not_import_a_framework():
    code = (
        "import sys\nfrom shapecli.cli import main\n"
        "try:\n    main(['export', 'configs/resnet50.yaml', '--to', 'torch', '-o', '/dev/null'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "assert not {'torch', 'keras', 'numpy'} & set(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
