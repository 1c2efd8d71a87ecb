"""`shapecli graph`: the diagram, the SVG (structure golden files, boxes that hold their text and
do not overlap, for every shipped config), Mermaid and DOT, escaping, and the command line."""

from __future__ import annotations

import os
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapecli.check import check_file
from shapecli.cli import main
from shapecli.diagram import Diagram, DiagramCluster, DiagramEdge, DiagramNode, build_diagram
from shapecli.draw.dot import render_dot
from shapecli.draw.mermaid import render_mermaid
from shapecli.draw.svg import FONT_SIZE, PAD_X, SMALL_SIZE, render_svg, text_width
from shapecli.spec import load_model

from .helpers import run_spec
from .test_fuzz import spec_text

ROOT = Path(__file__).parent.parent
CONFIGS = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def structure(svg: str) -> str:
    """What an SVG shows, without coordinates: boxes, nodes with their lines, labelled edges, links."""
    root = ET.fromstring(svg)
    texts = lambda g: " | ".join(t.text or "" for t in g.iter(f"{SVG}text"))  # noqa: E731
    groups = list(root.iter(f"{SVG}g"))
    tensors = {g.get("id"): texts(g) for g in groups if g.get("class") == "tensor"}
    lines = [f"title: {root.find(f'{SVG}title').text}"]
    kind = lambda g: (g.get("class") or "").split()[:1]  # noqa: E731
    for g in groups:
        if kind(g) == ["cluster"]:
            lines.append(f"box {' '.join(g.get('class').split()[1:])}: {texts(g)}")
    for g in groups:
        if kind(g) == ["node"]:
            lines.append(f"{g.get('id')} {g.get('data-kind')} {g.get('data-state')}: {texts(g)}")
    for path in root.iter(f"{SVG}path"):
        if path.get("class") == "edge":
            label = tensors.get(path.get("data-tensor"), "")
            lines.append(f"{path.get('data-source')} -> {path.get('data-target')}  {label}".rstrip())
    for g in groups:
        if kind(g) == ["link"]:
            lines.append(f"{g.get('data-source')} {texts(g)} {g.get('data-target')}")
    return "\n".join(lines) + "\n"


GOLDEN = [
    ("mlp", ["configs/mlp.yaml", "-i", "2x20"]),
    ("mlp_structure_only", ["configs/mlp.yaml"]),
    ("mlp_mismatch", ["configs/mlp_mismatch.yaml", "-i", "2x20"]),
    ("residual_mlp", ["configs/residual_mlp.yaml"]),
    ("residual_mlp_expanded", ["configs/residual_mlp.yaml", "--expand"]),
    ("siamese", ["configs/siamese.yaml", "-i", "query=2x20", "-i", "doc=2x20"]),
    ("lstm_classifier", ["configs/lstm_classifier.yaml", "-i", "4x32"]),
    ("lenet5", ["configs/lenet5.yaml", "-i", "1x1x32x32"]),
    ("gpt2_small", ["configs/gpt2_small.yaml", "-i", "1xseq"]),
    ("resnet18_depth2", ["configs/resnet18.yaml", "-i", "1x3x224x224", "--depth", "2"]),
]


@pytest.mark.parametrize(("name", "args"), GOLDEN)
def test_svg_structure(golden, name, args):
    result = invoke("graph", *args)
    assert result.exit_code in (0, 1)
    golden(f"graph/{name}.txt", structure(result.stdout))


@pytest.mark.parametrize(
    ("name", "args", "fmt"),
    [
        ("residual_mlp_expanded", ["configs/residual_mlp.yaml", "--expand"], "mermaid"),
        ("siamese", ["configs/siamese.yaml", "-i", "query=2x20", "-i", "doc=2x20"], "mermaid"),
        ("mlp_mismatch", ["configs/mlp_mismatch.yaml", "-i", "2x20"], "mermaid"),
        ("siamese", ["configs/siamese.yaml", "-i", "query=2x20", "-i", "doc=2x20"], "dot"),
        ("mlp_mismatch", ["configs/mlp_mismatch.yaml", "-i", "2x20"], "dot"),
        ("resnet18_depth2", ["configs/resnet18.yaml", "-i", "1x3x224x224", "--depth", "2"], "dot"),
    ],
)
def test_mermaid_and_dot(golden, name, args, fmt):
    result = invoke("graph", *args, "-f", fmt)
    assert result.exit_code in (0, 1)
    golden(f"graph/{name}.{'mmd' if fmt == 'mermaid' else 'dot'}", result.stdout)


def _boxes(svg: str):
    """(text lines, x, y, width, height) of every node and shape label."""
    root = ET.fromstring(svg)
    found = []
    for g in root.iter(f"{SVG}g"):
        kind = (g.get("class") or "").split()[:1]
        if kind in (["node"], ["tensor"]):
            rect = g.find(f"{SVG}rect")
            box = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
            found.append((kind[0], [t.text or "" for t in g.iter(f"{SVG}text")], *box))
    return found


@pytest.mark.parametrize("options", [(), ("--expand",), ("--depth", "1")], ids=["folded", "expanded", "depth1"])
@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_draws_boxes_that_hold_their_text_and_do_not_overlap(config, options):
    result = check_file(str(ROOT / "configs" / config), [], None, keep=True)
    depth = int(options[1]) if options[:1] == ("--depth",) else None
    svg = render_svg(build_diagram(result.model, result.trace, depth, "--expand" in options))
    boxes = _boxes(svg)
    for kind, lines, _, _, width, _ in boxes:
        size = FONT_SIZE if kind == "node" else SMALL_SIZE
        assert width >= max(text_width(line, size) for line in lines) + (2 * PAD_X if kind == "node" else 0)
    for i, (_, a, ax, ay, aw, ah) in enumerate(boxes):
        for _, b, bx, by, bw, bh in boxes[i + 1 :]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (a, b)


def test_tooltips_keep_their_line_breaks():
    svg = invoke("graph", "configs/mlp_mismatch.yaml", "-i", "2x20").stdout
    titles = [g.find(f"{SVG}title").text for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("id") == "g-n0"]
    assert titles == [
        "dense0\nDense units=256 activation=relu in_units=30\nDense 'dense0' declares in_units=30 but receives (2, 20)"
    ]


def test_text_width_counts_wide_characters_twice_and_combining_marks_not_at_all():
    assert text_width("abcd", 10) == pytest.approx(4 * 6.2)
    assert text_width("日本", 10) == pytest.approx(4 * 6.2)
    assert text_width("e\u0301", 10) == pytest.approx(6.2)


ARGUMENTS = """
layers:
  - {name: conv, type: Conv2d, filters: 8, kernel_size: [3, 5], padding: [[1, 2], [3, 4]], bias: false}
  - {name: pool, type: MaxPool2d, kernel_size: 2}
  - {name: flat, type: Flatten}
  - {name: fc, type: Dense, units: 10, activation: relu}
"""


def test_key_arguments_and_counts_on_the_nodes():
    trace = run_spec(ARGUMENTS, "1x3x16x16")
    model = load_model(ARGUMENTS, "spec.yaml")
    nodes = {n.title: n.lines for n in build_diagram(model, trace).nodes if n.kind == "layer"}
    # conv: 16 + 1 + 2 - 3 + 1 = 17 rows, 16 + 3 + 4 - 5 + 1 = 18 columns; pooled to 8 x 9
    assert nodes == {
        "conv": ["Conv2d filters=8 kernel_size=3x5", "padding=[1x2, 3x4] bias=false", f"{8 * 3 * 3 * 5} params"],
        "pool": ["MaxPool2d kernel_size=2"],
        "flat": ["Flatten"],
        "fc": ["Dense units=10 activation=relu", f"{8 * 8 * 9 * 10 + 10:,} params"],
    }


REPEAT_BREAKS = """
blocks:
  Fixed:
    layers:
      - {name: fc, type: Dense, units: 8, in_units: 4}
layers:
  - {name: stage, type: Fixed, repeat: 3}
"""


def test_a_repeat_that_breaks_its_chain_is_drawn_red():
    trace = run_spec(REPEAT_BREAKS, "2x4")
    model = load_model(REPEAT_BREAKS, "spec.yaml")
    folded = next(n for n in build_diagram(model, trace).nodes if n.kind == "group")
    assert (folded.title, folded.state) == ("stage.0–2 ×3", "error")
    assert " ".join(folded.message).startswith("block Fixed is repeated 3 times, but it turns (2, 4) into")
    expanded = build_diagram(model, trace, expand=True)
    assert [(c.title, c.state) for c in expanded.clusters][0] == ("stage ×3 · Fixed", "error")


def test_an_input_that_does_not_fit_its_declaration_is_red():
    text = "inputs: {x: [2, 5]}\nlayers:\n  - {type: Dense, units: 3}\n"
    diagram = build_diagram(load_model(text, "spec.yaml"), run_spec(text, "2x4"))
    node = diagram.nodes[0]
    assert (node.kind, node.state) == ("input", "error")
    assert " ".join(node.message) == "input 'x' is declared (2, 5) but --input gives (2, 4) (axis 1)"


def _hostile_diagram() -> Diagram:
    text = 'a"b<c>]|d#quot;;\\x1b\\e'
    return Diagram(
        text,
        [
            DiagramNode("n0", "layer", text, [text], "ok", [], "c0", text, text),
            DiagramNode("n1", "layer", "plain", [], "error", [text], None, "plain", ""),
        ],
        [DiagramEdge("n0", "n1", text, "data", "0:0"), DiagramEdge("n1", "n0", "shares", "shares", "shares")],
        [DiagramCluster("c0", None, text, "block", text, "ok", text)],
    )


def test_drawers_escape_every_text():
    diagram = _hostile_diagram()
    mermaid = render_mermaid(diagram)
    escaped = "a#quot;b#lt;c#gt;]#124;d#35;quot#59;#59;\\x1b\\e"
    assert f'    n0["{escaped}<br/>{escaped}"]' in mermaid.splitlines()
    assert f'  subgraph c0["{escaped}"]' in mermaid.splitlines()
    assert f'  n0 -->|"{escaped}"| n1' in mermaid.splitlines()
    dot = render_dot(diagram)
    quoted = 'a\\"b<c>]|d#quot;;\\\\x1b\\\\e'
    assert f'    n0 [label="{quoted}\\n{quoted}", tooltip="{quoted}"];' in dot.splitlines()
    assert f'  n0 -> n1 [label="{quoted}"];' in dot.splitlines()
    svg = render_svg(diagram)
    root = ET.fromstring(svg)  # well-formed XML
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts.count('a"b<c>]|d#quot;;\\x1b\\e') == 5  # box title, node title and line, label, message
    assert "<c>" not in svg


def test_the_file_name_is_escaped_in_every_format(tmp_path):
    spec = tmp_path / "<b>\x1b[31m.yaml"
    spec.write_text("layers:\n  - {type: Dense, units: 4}\n")
    svg = invoke("graph", str(spec), "-i", "2x3").stdout
    assert ET.fromstring(svg).find(f"{SVG}title").text == f"shapecli graph of {tmp_path}/<b>\\e[31m.yaml"
    dot = invoke("graph", str(spec), "-i", "2x3", "-f", "dot").stdout
    assert f'label="{tmp_path}/<b>\\\\e[31m.yaml"' in dot
    assert "\x1b" not in svg + dot


# -- the command line ----------------------------------------------------------------------


def test_graph_writes_svg_by_default(tmp_path):
    result = invoke("graph", "configs/mlp.yaml", "-i", "2x20")
    assert result.exit_code == 0
    assert result.stdout.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("file", "option", "starts"),
    [
        ("g.svg", [], "<svg "),
        ("g.mmd", [], "flowchart TD"),
        ("g.md", [], "flowchart TD"),
        ("g.dot", [], "digraph model {"),
        ("g.gv", [], "digraph model {"),
        ("g.txt", [], "<svg "),
        ("g.svg", ["-f", "dot"], "digraph model {"),
    ],
)
def test_the_format_follows_the_suffix_unless_given(tmp_path, file, option, starts):
    result = invoke("graph", "configs/mlp.yaml", "-i", "2x20", "-o", str(tmp_path / file), *option)
    assert (result.exit_code, result.stdout) == (0, "")
    assert (tmp_path / file).read_text().startswith(starts)


def test_a_mismatch_is_drawn_and_exits_1(tmp_path):
    result = invoke("graph", "configs/mlp_mismatch.yaml", "-i", "2x20", "-o", str(tmp_path / "g.svg"))
    assert result.exit_code == 1
    assert "configs/mlp_mismatch.yaml:4:5: error: Dense 'dense0' declares in_units=30 but receives (2, 20)" in (
        result.stderr
    )
    assert 'data-state="error"' in (tmp_path / "g.svg").read_text()


def test_an_invalid_spec_draws_nothing_and_exits_2(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("layers:\n  - {type: Dense, unit: 4}\n")
    result = invoke("graph", str(spec), "-i", "2x3", "-o", str(tmp_path / "g.svg"))
    assert result.exit_code == 2
    assert f"{spec}:2:19: error: unknown argument 'unit' for Dense" in result.stderr
    assert not (tmp_path / "g.svg").exists()


def test_without_input_shapes_the_structure_is_drawn():
    result = invoke("graph", "configs/mlp.yaml")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "configs/mlp.yaml: warning: the structure is drawn without shapes: no shape for the input 'x': give one "
        "with --input, e.g. --input 2x20",
        "  hint: pass --input, or declare the input shapes in the spec",
    ]
    assert ET.fromstring(result.stdout).find(f".//{SVG}g[@class='tensors']") is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "/nonexistent/dir/g.svg"],
            "shapecli: error: cannot write /nonexistent/dir/g.svg: No such file or directory",
        ),
        (
            ["-o", "configs/mlp.yaml"],
            "shapecli: error: -o configs/mlp.yaml is the spec itself; shapecli never overwrites the files it reads",
        ),
        (["--depth", "0"], "Error: Invalid value for '--depth': 0 is not in the range x>=1."),
        (["-f", "png"], "Error: Invalid value for '-f' / '--format': 'png' is not one of 'svg', 'mermaid', 'dot'."),
    ],
)
def test_refusals(args, message):
    before = (ROOT / "configs/mlp.yaml").read_text()
    result = invoke("graph", "configs/mlp.yaml", "-i", "2x20", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert (ROOT / "configs/mlp.yaml").read_text() == before


LONG_CHAIN = "layers:\n  - {name: fc, type: Dense, units: 4, repeat: 2000}\n"


def test_a_graph_too_big_to_lay_out_asks_for_folding():
    folded = invoke("graph", "-", "-i", "2x4", stdin=LONG_CHAIN)
    assert folded.exit_code == 0
    assert "fc.0–1999 ×2000" in folded.stdout
    expanded = invoke("graph", "-", "-i", "2x4", "--expand", stdin=LONG_CHAIN)
    assert expanded.exit_code == 2
    # the input, 2,000 layers, the output, and a shape label under the input and each layer
    assert expanded.stderr == (
        "shapecli: error: the graph has 4,003 boxes (nodes and shape labels), more than the 4,000 an SVG lays out "
        "readably; fold it with --depth N (or without --expand)\n"
    )


def test_mermaid_over_its_limits_says_so():
    result = invoke("graph", "-", "-i", "2x4", "--expand", "-f", "mermaid", stdin=LONG_CHAIN)
    assert result.exit_code == 0
    assert result.stdout.count(" -->") == 2001
    assert result.stderr.splitlines()[-1] == (
        f"shapecli: note: the Mermaid text has {len(result.stdout):,} characters (Mermaid's maxTextSize is 50,000) "
        "and 2,001 edges (Mermaid's maxEdges is 500): fold it with --depth N"
    )


@pytest.mark.parametrize("config", ["resnet50.yaml", "unet.yaml", "bert_base.yaml", "gpt2_small.yaml", "vit_b_16.yaml"])
def test_mermaid_of_the_big_configs_stays_under_its_limits_when_folded(config):
    result = check_file(str(ROOT / "configs" / config), [], None, keep=True)
    diagram = build_diagram(result.model, result.trace)
    text = render_mermaid(diagram)
    assert len(text) < 50_000 and len(diagram.edges) < 500


def test_the_readme_picture_is_up_to_date(tmp_path):
    """docs/resnet18.svg is what the README's command makes."""
    out = tmp_path / "resnet18.svg"
    result = invoke("graph", "configs/resnet18.yaml", "--input", "1x3x224x224", "--depth", "2", "-o", str(out))
    assert result.exit_code == 0
    assert out.read_text() == (ROOT / "docs/resnet18.svg").read_text(), (
        "regenerate: shapecli graph configs/resnet18.yaml --input 1x3x224x224 --depth 2 -o docs/resnet18.svg"
    )
    readme = (ROOT / "README.md").read_text()
    assert "shapecli graph configs/resnet18.yaml --input 1x3x224x224 --depth 2 -o docs/resnet18.svg" in readme
    assert "![" in readme and "(docs/resnet18.svg)" in readme


FUZZ_EXAMPLES = int(os.environ.get("SHAPECLI_GRAPH_FUZZ_EXAMPLES", "1000"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(seed=st.integers(0, 2**64 - 1))
def test_no_spec_crashes_the_drawings(seed):
    """The fuzz test's random specs through `graph` (every format, folded or not) and the HTML
    report: exit 0, 1 or 2, never 3, and an SVG that is well-formed XML."""
    rng = random.Random(seed)
    text, inputs = spec_text(rng)
    fmt = rng.choice(["svg", "svg", "mermaid", "dot", "html"])
    args = ["inspect", "-", "--format", "html"] if fmt == "html" else ["graph", "-", "--format", fmt]
    for shape in inputs:
        args += ["--input", shape]
    if fmt != "html" and rng.random() < 0.3:
        args += rng.choice([["--expand"], ["--depth", "1"], ["--depth", "2", "--expand"]])
    result = CliRunner().invoke(main, args, input=text.encode("utf-8", "surrogateescape"))
    assert result.exit_code in (0, 1, 2), (result.exit_code, text, args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if fmt == "svg" and result.exit_code != 2:
        ET.fromstring(result.stdout)
