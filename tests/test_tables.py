"""Tables that read (issue 14): folded repeats, --depth, --expand, --sections, widths that fit COLUMNS,
--where with counts, `?` for unknown counts. Golden tables through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from shapecli.cli import main

from .helpers import inspect_cli
from shapecli.render.grid import Grid, elide, fit_widths

ROOT = Path(__file__).parent.parent


inspect = inspect_cli


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(
    "name, args, columns",
    [
        ("residual_mlp_folded", ["configs/residual_mlp.yaml"], 120),
        ("residual_mlp_expanded", ["configs/residual_mlp.yaml", "--expand", "--sections", "after"], 120),
        ("resnet50_depth1", ["configs/resnet50.yaml", "-i", "1x3x224x224", "--depth", "1"], 120),
        ("resnet50_depth2", ["configs/resnet50.yaml", "-i", "1x3x224x224", "--depth", "2", "--sections", "after"], 120),
        ("resnet18_columns80", ["configs/resnet18.yaml", "-i", "1x3x224x224"], 80),
        ("bert_base_columns100", ["configs/bert_base.yaml"], 100),
        ("unet_where", ["configs/unet.yaml", "-i", "1x3xHxW", "-w", "H=256,W=256", "--sections", "conditions"], 100),
    ],
)
def test_golden_tables(golden, name, args, columns):
    result = inspect(*args, columns=columns)
    assert result.exit_code == 0, result.stderr
    golden(f"tables/{name}.txt", result.stdout)


# each config with its check: inputs (inspect's default) and with its declared, symbolic ones
# (whose formulas are the long cells)
SYMBOLIC = {
    "bert_base.yaml": ["-i", "input_ids=batchxseq", "-i", "token_type_ids=batchxseq"],
    "resnet50.yaml": ["-i", "batchx3xHxW"],
    "unet.yaml": ["-i", "batchx3xHxW"],
    "lstm_classifier.yaml": ["-i", "batchxseq"],
}


@pytest.mark.parametrize("columns", [80, 100, 120])
@pytest.mark.parametrize("symbolic", [False, True])
@pytest.mark.parametrize("config", sorted(SYMBOLIC))
def test_every_line_fits_the_terminal(config, symbolic, columns):
    result = inspect(f"configs/{config}", *(SYMBOLIC[config] if symbolic else []), columns=columns)
    assert result.exit_code == 0
    widest = max(cell_len(line) for line in result.stdout.splitlines())
    assert widest <= columns, [line for line in result.stdout.splitlines() if cell_len(line) > columns]


def test_bert_fits_100_columns_with_the_encoder_layers_as_one_row():
    result = inspect("configs/bert_base.yaml", columns=100)
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 100
    folded = [line for line in lines if line.startswith("  layer.")]
    # one row in the parameters table, one (of two lines: total, per copy) in the layers table
    assert [line.split()[:2] for line in folded] == [["layer.0–11", "×12"], ["layer.0–11", "×12"]]
    after = lines[lines.index("After inference") :]
    row = next(i for i, line in enumerate(after) if line.startswith("  layer.0–11 ×12"))
    assert "85,054,464" in after[row] and "12 layers" in after[row]  # 12 x 7,087,872 (BertLayer)
    assert "7,087,872 ×12" in after[row + 1]
    assert len(lines) < 60  # it was ~330 lines, every copy listed


def test_expand_lists_every_copy():
    folded = inspect("configs/bert_base.yaml", "--sections", "after").stdout
    expanded = inspect("configs/bert_base.yaml", "--sections", "after", "--expand").stdout
    assert "layer.11" not in folded
    copies = [line.split()[0] for line in expanded.splitlines() if line.startswith("    layer.")]
    assert copies == [f"layer.{i}" for i in range(12)]
    assert "  layer ×12" in expanded  # the open repeat group heads its copies


def test_depth_folds_block_uses_with_subtotals():
    doc = json.loads(inspect("configs/resnet50.yaml", "-i", "1x3x224x224", "-f", "json").stdout)
    stage_params = sum(layer["count"] for layer in doc["layers"] if layer["path"].startswith("layer3/"))
    table = inspect("configs/resnet50.yaml", "-i", "1x3x224x224", "--depth", "1", "--sections", "after").stdout
    row = next(line for line in table.splitlines() if line.startswith("  layer3 "))
    assert f"{stage_params:,}" in row
    assert row.split()[1] == "Stage"
    names = [line.split()[0] for line in table.splitlines()[4:] if line.startswith("  ") and not line[2].isspace()]
    assert names == [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ]


def test_sections_choose_the_tables():
    result = inspect("configs/mlp.yaml", "--sections", "summary")
    assert "Summary" in result.stdout
    assert "After inference" not in result.stdout and "Parameters before inference" not in result.stdout
    both = inspect("configs/mlp.yaml", "--sections", "after, before").stdout
    assert both.index("Parameters before inference") < both.index("After inference")  # in the usual order
    assert "Summary" not in both


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "sumary",
            "--sections 'sumary': unknown section 'sumary'; choose from before, after, summary, memory, conditions",
        ),
        (",", "--sections ',': no section; choose from before, after, summary, memory, conditions"),
    ],
)
def test_an_unknown_section_exits_2(value, message):
    result = inspect("configs/mlp.yaml", "--sections", value)
    assert result.exit_code == 2
    assert message in result.stderr
    if value == "sumary":
        assert "hint: did you mean 'summary'?" in result.stderr


def test_unknown_counts_print_a_question_mark_in_every_convention():
    for convention in ("keras", "torch", "mxnet"):
        unknown = ("-i", "query=batchx?", "-i", "doc=batchx?")  # the declared (batch, null) inputs
        result = inspect("configs/siamese.yaml", *unknown, "-c", convention, "--sections", "after,summary")
        rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  enc_q")}
        assert rows["enc_q"].split()[-2:] == ["?", "?"], convention  # params and MACs of a Dense on (batch, null)
        assert "Total params             ?" in result.stdout
        assert "None" not in rows["enc_q"].split("  ")[-1]


def test_where_evaluates_params_and_macs():
    symbolic = json.loads(inspect("configs/unet.yaml", "-i", "1x3xHxW", "-w", "H=256,W=256", "-f", "json").stdout)
    concrete = json.loads(inspect("configs/unet.yaml", "-i", "1x3x256x256", "-f", "json").stdout)
    (where,) = symbolic["where"]
    assert where["params"] == concrete["totals"]["params"] == 31_037_698
    assert where["macs"] == concrete["totals"]["macs"]  # the formula at the values, and a concrete run, agree
    assert where["bytes"] == concrete["totals"]["bytes"]
    table = inspect("configs/unet.yaml", "-i", "1x3xHxW", "-w", "H=256,W=256", "--sections", "conditions").stdout
    assert f"{concrete['totals']['macs']:,}" in table and "31,037,698" in table


def test_json_keeps_long_formulas_whole():
    symbolic = ("-i", "batchx3xHxW")
    table = inspect("configs/alexnet.yaml", *symbolic, columns=80).stdout
    doc = json.loads(inspect("configs/alexnet.yaml", *symbolic, "-f", "json", columns=80).stdout)
    macs = doc["totals"]["macs"]
    assert len(macs) > 200 and "…" not in macs
    assert macs not in table and "…" in table


def test_fit_widths_and_elide():
    assert fit_widths([10, 20, 30], [3, 3, 3], 200) == [10, 20, 30]
    widths = fit_widths([10, 20, 30], [3, 3, 3], 50)
    assert 3 + sum(widths) + 3 * 2 <= 50 and widths[0] == 10  # the narrow column keeps its width
    assert elide("(batch, seq, 768)", 10) == "(batch, s…"
    assert elide("short", 10) == "short"
    assert cell_len(elide("日本語のレイヤー名", 7)) <= 7


def test_a_grid_drops_a_column_before_narrowing_the_others():
    grid = Grid("t", ["name", "input", "output"])
    grid.add_row("a" * 20, "(1, 2, 3, 4)" * 2, "(5, 6, 7, 8)" * 2)
    grid.narrowing = ((1, None),)
    grid.max_width = 60
    text = grid.text()
    assert "input" not in text and "(5, 6, 7, 8)(5, 6, 7, 8)" in text
    assert max(cell_len(line) for line in text.splitlines()) <= 60


@pytest.mark.parametrize(
    "words, cword, expected",
    [
        ("shapecli d", "1", "plain,diff"),
        ("shapecli inspect configs/mlp.yaml --sec", "3", "plain,--sections"),
        ("shapecli check configs --exc", "3", "plain,--exclude"),
        ("shapecli diff a.yaml b.yaml --format m", "5", "plain,markdown"),
    ],
)
def test_shell_completion_as_the_readme_says(words, cword, expected):
    env = {"_SHAPECLI_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = CliRunner().invoke(main, [], env=env, prog_name="shapecli")
    assert result.exit_code == 0
    assert result.output.splitlines() == [expected]
    script = CliRunner().invoke(main, [], env={"_SHAPECLI_COMPLETE": "bash_source"}, prog_name="shapecli")
    assert "_shapecli_completion()" in script.output
