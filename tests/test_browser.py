"""The graph and the HTML report in a real browser: headless Chromium, driven by selenium.

The pages are made by the real command line into a temporary folder and opened
from file:// (as a user opens a report), with the network of the browser off.
One browser serves the whole module; each test loads its page and drains the
console first, so a console error is charged to the page that made it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)

# What a box may exceed its text by, in px: none, up to rounding of the coordinates.
TOLERANCE = 0.6


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="shapecli-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _cli(*args: str) -> int:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Every page the tests open, made by the command line."""
    folder = tmp_path_factory.mktemp("pages")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        made = {
            "resnet50.svg": ("graph", "configs/resnet50.yaml", "--input", "1x3x224x224"),
            "unet.svg": ("graph", "configs/unet.yaml", "--input", "1x3xHxW"),
            "bert.svg": ("graph", "configs/bert_base.yaml", "-i", "input_ids=2x128", "-i", "token_type_ids=2x128"),
            "resnet50_expanded.svg": ("graph", "configs/resnet50.yaml", "--input", "1x3x224x224", "--expand"),
            "unet.html": ("inspect", "configs/unet.yaml", "--input", "1x3xHxW", "--format", "html"),
            "resnet50.html": ("inspect", "configs/resnet50.yaml", "--input", "1x3x224x224", "--format", "html"),
            "mismatch.html": ("inspect", "configs/mlp_mismatch.yaml", "--input", "2x20", "--format", "html"),
            "check.html": ("check", "configs", "--format", "html"),
        }
        for name, args in made.items():
            assert _cli(*args, "-o", str(folder / name)) in (0, 1), name
        hostile = folder / "<script>alert(1)<\x1b[31m>.yaml"
        hostile.write_text("layers:\n  - {type: Dense, units: 4}\n  - {type: '<img src=x onerror=alert(2)>'}\n")
        assert (
            _cli("inspect", str(hostile), "--input", "2x3", "--format", "html", "-o", str(folder / "hostile.html")) == 2
        )
        fine = folder / "<b>bold<i>\x1b[31m.yaml"
        fine.write_text((ROOT / "configs/residual_mlp.yaml").read_text())
        assert _cli("inspect", str(fine), "--format", "html", "-o", str(folder / "escaped.html")) == 0
    finally:
        os.chdir(cwd)
    return folder


def _open(browser, path: Path) -> None:
    browser.get_log("browser")
    browser.get(path.as_uri())


def _console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


_MEASURE = """
const tolerance = arguments[0];
const problems = [];
function inside(inner, outer) {
  return inner.x >= outer.x - tolerance && inner.y >= outer.y - tolerance &&
    inner.x + inner.width <= outer.x + outer.width + tolerance &&
    inner.y + inner.height <= outer.y + outer.height + tolerance;
}
function describe(box) { return [box.x, box.y, box.width, box.height].map(v => v.toFixed(1)).join(","); }
document.querySelectorAll(".shapecli-graph g.node, .shapecli-graph g.tensor, .shapecli-graph g.cluster")
  .forEach(g => {
    const frame = g.querySelector("rect").getBBox();
    g.querySelectorAll("text").forEach(t => {
      const box = t.getBBox();
      if (!inside(box, frame)) problems.push(`${g.getAttribute("class")} '${t.textContent}' ${describe(box)} ` +
                                             `outside ${describe(frame)}`);
    });
  });
const boxes = [...document.querySelectorAll(".shapecli-graph g.node > rect, .shapecli-graph g.tensor > rect")]
  .map(r => [r.parentNode.textContent, r.getBBox()]);
for (let i = 0; i < boxes.length; i++) {
  for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height)
      problems.push(`'${a}' overlaps '${b}'`);
  }
}
return problems;
"""


def _count(browser, selector: str) -> int:
    return browser.execute_script(f"return document.querySelectorAll({selector!r}).length")


# ResNet-50 folded (the default): the input, conv1, bn1, relu, maxpool; per stage the 12 layers
# of its DownBottleneck and one node for the repeated Bottleneck (4 × 13); avgpool, flatten, fc;
# the output: 1 + 4 + 52 + 3 + 1 = 61 nodes. Edges: 4 along the stem; per stage 2 into the
# DownBottleneck (conv1 and downsample), 11 inside it, 1 to the repeat node (4 × 14); 3 from
# the last repeat node to fc and 1 to the output: 4 + 56 + 4 = 64.
# U-Net: the input, 67 layers, the output (69 nodes); 66 edges along the chain of layers plus
# the input's, the output's and the four skip connections into the Concat layers: 72.
# BERT: two inputs, 8 layers and the repeat node, two outputs (13 nodes). Edges: one from each
# input to its embedding, two into their Add, four along the chain to the repeat node, two from
# it (first_token and the output 'layer'), first_token to pooler and pooler to its output: 12.
SHAPES = [
    ("resnet50.svg", 61, 64),
    ("resnet50_expanded.svg", 177, 192),
    ("unet.svg", 69, 72),
    ("bert.svg", 13, 12),
]


@pytest.mark.parametrize(("page", "nodes", "edges"), SHAPES)
def test_svg_loads_with_every_node_and_edge_and_no_text_outside_its_box(browser, pages, page, nodes, edges):
    _open(browser, pages / page)
    assert _console_errors(browser) == []
    assert _count(browser, ".shapecli-graph g.node") == nodes
    assert _count(browser, ".shapecli-graph path.edge") == edges
    assert browser.execute_script(_MEASURE, TOLERANCE) == []


def test_resnet50_svg_is_a_readable_picture(browser, pages):
    """The monospace estimate holds for the font the browser picked: each line of a node is
    at most as wide as the box's text area, and the text is no smaller than 11 px."""
    _open(browser, pages / "resnet50.svg")
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('.shapecli-graph text')].map(t => "
        "parseFloat(getComputedStyle(t).fontSize))"
    )
    assert min(sizes) >= 11
    family = browser.execute_script(
        "return getComputedStyle(document.querySelector('.shapecli-graph .node text')).fontFamily"
    )
    assert "monospace" in family


def test_html_report_loads_offline_with_conditions_and_graph(browser, pages):
    _open(browser, pages / "unet.html")
    assert _console_errors(browser) == []
    conditions = browser.execute_script(
        "return [...document.querySelectorAll('table.conditions code')].map(c => c.textContent)"
    )
    assert conditions == ["H % 16 == 0", "W % 16 == 0"]
    assert _count(browser, ".shapecli-graph g.node") == 69
    assert browser.execute_script(_MEASURE, TOLERANCE) == []
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []


def test_clicking_a_node_scrolls_to_its_row(browser, pages):
    from selenium.webdriver.common.by import By

    _open(browser, pages / "unet.html")
    node = browser.find_element(By.CSS_SELECTOR, '.shapecli-graph g.node[data-anchor="up2/conv/conv1"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", node)
    before = browser.execute_script("return window.scrollY")
    node.click()
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-path="up2/conv/conv1"]')
    top, bottom, height = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight]", row
    )
    assert top >= 0 and bottom <= height
    assert browser.execute_script("return window.scrollY") > before
    assert "flash" in row.get_attribute("class")
    assert row.find_element(By.CSS_SELECTOR, "td.name").text == "conv1"
    assert _console_errors(browser) == []


def test_clicking_a_folded_node_opens_its_group(browser, pages):
    from selenium.webdriver.common.by import By

    _open(browser, pages / "resnet50.html")
    browser.find_element(By.CSS_SELECTOR, 'button[data-action="fold"]').click()
    copy = browser.find_element(By.CSS_SELECTOR, 'tr[data-path="layer3/rest.2/conv2"]')
    assert not copy.is_displayed()
    node = browser.find_element(By.CSS_SELECTOR, '.shapecli-graph g.node[data-anchor="layer3/rest"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", node)
    node.click()
    group = browser.find_element(By.CSS_SELECTOR, 'tr[data-path="layer3/rest"]')
    assert group.is_displayed()
    assert group.get_attribute("data-open") == "true"
    assert group.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text == "Bottleneck ×5 (1,117,184 params each)"
    # its copies are listed (folded), the layers inside them stay folded until opened
    assert browser.find_element(By.CSS_SELECTOR, 'tr[data-path="layer3/rest.2"]').is_displayed()
    assert not copy.is_displayed()
    assert _console_errors(browser) == []


def test_groups_fold_and_unfold(browser, pages):
    from selenium.webdriver.common.by import By

    _open(browser, pages / "resnet50.html")
    inner = browser.find_element(By.CSS_SELECTOR, 'tr[data-path="layer1/0/conv1"]')
    assert inner.is_displayed()
    toggle = browser.find_element(By.CSS_SELECTOR, 'tr[data-path="layer1"] button.toggle')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", toggle)
    toggle.click()
    assert not inner.is_displayed()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert browser.find_element(By.CSS_SELECTOR, 'tr[data-path="layer2/0/conv1"]').is_displayed()
    toggle.click()
    assert inner.is_displayed()


def test_dark_and_print_styles(browser, pages):
    from selenium.webdriver.common.by import By

    _open(browser, pages / "resnet50.html")
    light = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    try:
        dark = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        graph_bg = browser.execute_script("return getComputedStyle(document.querySelector('.shapecli-graph .bg')).fill")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light == "rgb(255, 255, 255)"
    assert dark == "rgb(13, 17, 23)"
    assert graph_bg == "rgb(13, 17, 23)"
    browser.find_element(By.CSS_SELECTOR, 'button[data-action="fold"]').click()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script(
            "return getComputedStyle(document.querySelector('tr[data-path=\"layer1/0/conv1\"]')).display"
        )
        toggle = browser.execute_script("return getComputedStyle(document.querySelector('button.toggle')).display")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert (shown, toggle) == ("table-row", "none")


def test_a_failed_layer_is_red_with_its_message(browser, pages):
    _open(browser, pages / "mismatch.html")
    assert _console_errors(browser) == []
    state, stroke, message = browser.execute_script(
        "const g = document.querySelector('.shapecli-graph g.node[data-anchor=\"dense0\"]');"
        "return [g.dataset.state, getComputedStyle(g.querySelector('rect')).stroke,"
        " [...g.querySelectorAll('text.message')].map(t => t.textContent).join(' ')]"
    )
    assert state == "error"
    assert stroke == "rgb(207, 34, 46)"
    assert message == "Dense 'dense0' declares in_units=30 but receives (2, 20)"
    frame = browser.execute_script("return document.querySelector('.diagnostic.error pre').textContent")
    assert " 4 |   - {type: Dense, units: 256, activation: relu, in_units: 30}" in frame
    assert browser.execute_script(_MEASURE, TOLERANCE) == []


def test_check_overview_links_to_each_report(browser, pages):
    from selenium.webdriver.common.by import By

    _open(browser, pages / "check.html")
    assert _console_errors(browser) == []
    specs = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))
    names = browser.execute_script(
        "return [...document.querySelectorAll('table.overview tbody tr td:first-child')].map(td => td.textContent)"
    )
    assert sorted(Path(n).name for n in names) == specs
    link = browser.find_element(By.LINK_TEXT, "configs/unet.yaml")
    link.click()
    details = browser.find_element(By.CSS_SELECTOR, f"details#s{specs.index('unet.yaml')}-report")
    assert details.get_attribute("open") is not None
    assert details.find_element(By.CSS_SELECTOR, ".shapecli-graph").is_displayed()


def test_text_from_the_spec_is_escaped(browser, pages):
    """A file name and a type holding markup and an ESC character show as text, and run nothing."""
    for page, title in (
        ("hostile.html", "<script>alert(1)<\\e[31m>.yaml"),
        ("escaped.html", "<b>bold<i>\\e[31m.yaml"),
    ):
        _open(browser, pages / page)
        assert _console_errors(browser) == []
        assert browser.execute_script("return document.scripts.length") == 1
        assert _count(browser, "img") == 0
        assert _count(browser, "main b, main i") == 0
        heading = browser.execute_script("return document.querySelector('h1').textContent")
        assert heading.endswith(title), heading
        if page == "hostile.html":
            head = browser.execute_script("return document.querySelector('.diagnostic .head').textContent")
            assert head.endswith("error: unknown layer type '<img src=x onerror=alert(2)>'"), head
