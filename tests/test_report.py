"""The HTML report and the check overview, read as HTML (the browser tests run them)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.check import check_file
from shapecli.cli import main
from shapecli.hierarchy import LAYER, build_hierarchy
from shapecli.report import EXTRA_SECTIONS_MARK, Section, inspect_report

ROOT = Path(__file__).parent.parent


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text of the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Elements:
    elements = _Elements()
    elements.feed(page)
    return elements


def _report(tmp_path, *args: str) -> tuple[int, str]:
    out = tmp_path / "report.html"
    result = invoke(*args, "-o", str(out))
    return result.exit_code, out.read_text()


def assert_self_contained(page: str) -> None:
    """Nothing is fetched: no src, no link, no href leaving the page, no url() but to the page's
    own markers, no import; the one URL is the SVG namespace."""
    elements = parse(page)
    for tag, attrs in elements.tags:
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        assert attrs.get("href", "#").startswith("#"), (tag, attrs)
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg ")
    assert "@import" not in page and "@font-face" not in page
    assert re.findall(r"url\((?!#)", page) == []
    assert sum(tag == "script" for tag, _ in elements.tags) == 1


def test_unet_report_is_self_contained_with_conditions_graph_and_layers(tmp_path):
    code, page = _report(tmp_path, "inspect", "configs/unet.yaml", "--input", "1x3xHxW", "--format", "html")
    assert code == 0
    assert_self_contained(page)
    elements = parse(page)
    ids = [attrs["id"] for _, attrs in elements.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    for section in ("summary", "conditions", "graph", "layers", "before"):
        assert section in ids
    assert "diagnostics" not in ids
    codes = re.findall(r"<tr><td><code>(.*?)</code></td>", page)
    assert codes == ["H % 16 == 0", "W % 16 == 0"]
    layer_rows = [a for t, a in elements.tags if t == "tr" and "layer" in a.get("class", "").split()]
    group_rows = [a for t, a in elements.tags if t == "tr" and "group" in a.get("class", "").split()]
    assert len(layer_rows) == 67
    assert [a["data-path"] for a in group_rows][:4] == ["inc", "down1", "down1/conv", "down2"]
    # each row names the groups around it, outermost first
    conv = next(a for a in layer_rows if a["data-path"] == "down1/conv/conv1")
    by_path = {a["data-path"]: a["id"] for a in group_rows}
    assert conv["data-parents"].split() == [by_path["down1"], by_path["down1/conv"]]
    assert page.index('id="graph"') < page.index(EXTRA_SECTIONS_MARK) < page.index('id="layers"')


def test_every_layer_and_group_has_a_row(tmp_path):
    result = check_file("configs/resnet50.yaml", [], None, keep=True)
    page = inspect_report(result.model, result.trace, result.text)
    rows = re.findall(r'<tr class="(layer|group)[^"]*" id="([^"]+)" data-path="([^"]+)"', page)
    walked = list(build_hierarchy(result.model).walk())
    assert [path for _, _, path in rows] == [r.group.path for r in walked]
    assert sum(kind == "layer" for kind, _, _ in rows) == sum(r.group.kind == LAYER for r in walked) == 175
    # a graph node's anchor names a row
    anchors = set(re.findall(r'<g class="node (?:layer|group) [^"]+" id="[^"]+" data-anchor="([^"]+)"', page))
    assert anchors and anchors <= {path for _, _, path in rows}
    assert "Bottleneck ×5 (1,117,184 params each)" in page


def test_extra_sections_go_after_the_graph():
    result = check_file("configs/mlp.yaml", [("x", (2, 20))], None, keep=True)
    sections = [Section("memory", "Memory", "<p>activations: 1 KiB</p>"), Section("notes", "Notes <&>", "<p>n</p>")]
    page = inspect_report(result.model, result.trace, result.text, extra_sections=sections)
    mark = page.index(EXTRA_SECTIONS_MARK)
    memory = page.index('<section id="memory" class="extra"><h2>Memory</h2><p>activations: 1 KiB</p></section>')
    notes = page.index('<section id="notes" class="extra"><h2>Notes &lt;&amp;&gt;</h2><p>n</p></section>')
    assert page.index('id="graph"') < mark < memory < notes < page.index('id="layers"')
    assert '<a href="#memory">Memory</a>' in page


def test_a_mismatch_report_has_the_diagnostic_with_its_code_frame(tmp_path):
    code, page = _report(tmp_path, "inspect", "configs/mlp_mismatch.yaml", "--input", "2x20", "--format", "html")
    assert code == 1
    text = "".join(parse(page).text)
    assert "configs/mlp_mismatch.yaml:4:5: error: Dense 'dense0' declares in_units=30 but receives (2, 20)" in text
    assert " 4 |   - {type: Dense, units: 256, activation: relu, in_units: 30}\n   |     ^\n" in text
    assert '<a class="to-row" href="#" data-path="dense0">show the layer</a>' in page
    assert '<span class="badge fail">1 error</span>' in page
    assert 'data-state="error"' in page


def test_an_invalid_spec_gets_a_report_of_its_error(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("layers:\n  - {type: Dense, unit: 4}\n")
    code, page = _report(tmp_path, "inspect", str(spec), "--input", "2x3", "--format", "html")
    assert code == 2
    assert_self_contained(page)
    text = "".join(parse(page).text)
    assert f"{spec}:2:19: error: unknown argument 'unit' for Dense" in text
    assert "hint: did you mean 'units'?" in text


def test_text_from_the_spec_is_escaped(tmp_path):
    spec = tmp_path / "<script>alert(1)</\x1b[31m.yaml".replace("/", "_")
    spec.write_text("layers:\n  - {type: Dense, units: 4}\n  - {type: '<img src=x onerror=alert(2)>'}\n")
    code, page = _report(tmp_path, "inspect", str(spec), "--input", "2x3", "--format", "html")
    assert code == 2
    assert_self_contained(page)
    assert "\x1b" not in page
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;_\\e[31m.yaml" in page
    assert "unknown layer type &#x27;&lt;img src=x onerror=alert(2)&gt;&#x27;" in page


def test_check_overview(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "good.yaml").write_text((ROOT / "configs/residual_mlp.yaml").read_text())
    (folder / "broken.yaml").write_text(
        "layers:\n  - {type: Dense, units: 4, in_units: 3}\ncheck: {inputs: {x: 2x5}}\n"
    )
    (folder / "invalid.yaml").write_text("layers: [{type: Nope}]\n")
    (folder / "no_input.yaml").write_text("layers: [{type: Dense, units: 2}]\n")
    code, page = _report(tmp_path, "check", str(folder), "--format", "html")
    assert code == 1
    assert_self_contained(page)
    rows = re.findall(
        r'<tr class="(\w+)"><td><a href="#(s\d-report)">([^<]+)</a></td><td><span class="badge \w+">([^<]+)<', page
    )
    assert [(css, anchor, Path(file).name, status) for css, anchor, file, status in rows] == [
        ("fail", "s0-report", "broken.yaml", "FAIL"),
        ("ok", "s1-report", "good.yaml", "ok"),
        ("fail", "s2-report", "invalid.yaml", "FAIL"),
        ("warn", "s3-report", "no_input.yaml", "not inferred"),
    ]
    ids = [a["id"] for _, a in parse(page).tags if "id" in a]
    assert len(ids) == len(set(ids))
    for anchor in ("s0-report", "s1-report", "s2-report", "s3-report", "s1-graph", "s1-layers"):
        assert anchor in ids
    assert page.count("<svg ") == 2  # the reports of the specs that were inferred
    assert "25,610" in page  # residual_mlp's parameters in its row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["check", "configs/mlp.yaml", "-o", "x.txt"],
            "shapecli: error: --output writes a JSON, HTML or GitHub report: add --format json, html or github\n",
        ),
        (
            ["check", "configs/mlp.yaml", "-f", "html", "-o", "configs/mlp.yaml"],
            "shapecli: error: -o configs/mlp.yaml is the spec itself; shapecli never overwrites the files it reads\n",
        ),
    ],
)
def test_check_refusals(args, message):
    result = invoke(*args)
    assert (result.exit_code, result.stderr) == (2, message)


@pytest.mark.parametrize(("fmt", "starts"), [("table", "shapecli · configs/mlp.yaml"), ("json", "{")])
def test_inspect_writes_any_format_to_a_file(tmp_path, fmt, starts):
    out = tmp_path / "out"
    result = invoke("inspect", "configs/mlp.yaml", "-i", "2x20", "-f", fmt, "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_text().startswith(starts)
    assert "\x1b" not in out.read_text()
