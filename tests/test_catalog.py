"""`shapecli layers` and the README's generated list of layer types."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.catalog import layer_types, markdown
from shapecli.cli import main

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- layers:begin -->\n)(.*?)(<!-- layers:end -->)", re.S)


def test_readme_lists_every_layer_type(request):
    text = README.read_text()
    match = BLOCK.search(text)
    assert match, "README has no <!-- layers:begin --> … <!-- layers:end --> block"
    if request.config.getoption("--update-golden"):
        README.write_text(text[: match.start(2)] + markdown() + text[match.end(2) :])
        return
    assert match.group(2) == markdown(), "the README's layer list is stale: run pytest --update-golden"


def test_layers_command_lists_and_describes():
    runner = CliRunner()
    listing = runner.invoke(main, ["layers"])
    assert listing.exit_code == 0
    assert f"{len(layer_types())} layer types" in listing.stdout
    assert "ConvTranspose2d" in listing.stdout and "Conv2DTranspose" in listing.stdout
    one = runner.invoke(main, ["layers", "conv2d"])
    assert one.exit_code == 0
    assert "2-D convolution" in one.stdout
    assert "out_channels" in one.stdout and "dilation_rate" in one.stdout


def test_layers_json_describes_arguments():
    doc = json.loads(CliRunner().invoke(main, ["layers", "Dense", "--format", "json"]).stdout)
    assert doc["type"] == "Dense" and doc["aliases"] == ["Linear", "LazyLinear"]
    units = next(a for a in doc["arguments"] if a["name"] == "units")
    assert units == {
        "name": "units",
        "aliases": ["out_features"],
        "kind": "int ≥ 1",
        "default": "required",
        "doc": "output size",
    }


def test_unknown_layer_type_is_usage_error():
    result = CliRunner().invoke(main, ["layers", "Conv2e"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "shapecli: error: unknown layer type 'Conv2e' (did you mean 'Conv2d'?)"


@pytest.mark.parametrize("cls", layer_types(), ids=lambda c: c.type_name)
def test_every_type_documents_itself(cls):
    assert (cls.__doc__ or "").strip(), cls.type_name
    for name, arg in cls.args.items():
        assert arg.doc, f"{cls.type_name}.{name}"
