"""Diagram → SVG, laid out by `shapecli.layout` (no Graphviz, no browser).

Every tensor's shape is a small label box of its own in the layout, just below
the layer that makes it, and the edges to its consumers leave from it: one label
per tensor, never on top of another box. Text is measured with a fixed-width
estimate (the drawing uses a monospace font) and every box is sized to its text.
The SVG carries its own style, light and dark (prefers-color-scheme).

Elements a reader (or a test) can find: `g.node` (`data-anchor` the layer or group
path, `data-kind`, `data-state`), `path.edge` (`data-source`, `data-target`, and
`data-tensor` the id of its shape label: a Diagram edge each), `g.tensor` (a shape
label), `g.cluster`, `g.link` (shares/ties).
"""

from __future__ import annotations

import math
import unicodedata

from ..diagram import Diagram, DiagramEdge, DiagramNode
from ..render.escape import is_wide, markup, markup_lines
from ..layout import Box, Cluster, Layout, Rect, Spacing, layered_layout

FONT_FAMILY = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', 'Courier New', monospace"
FONT_SIZE = 12
SMALL_SIZE = 11
CHAR_EM = 0.62
"""Advance of one character, in em: the widest of the font stack's (DejaVu Sans Mono and Menlo
0.602, Liberation Mono and Courier New 0.600, Consolas 0.550), rounded up."""
LINE_HEIGHT = 15
PAD_X, PAD_Y = 10, 6
TENSOR_HEIGHT = 15
TENSOR_PAD = 5
MIN_NODE_WIDTH = 56
SPACING = Spacing()

MAX_BOXES = 4000
"""Most boxes (nodes and shape labels) an SVG lays out; a bigger graph must be folded."""


def text_width(text: str, size: float) -> float:
    """The width of `text` in a fixed-width font of `size` px: wide characters count twice,
    combining marks not at all."""
    cells = sum(0 if unicodedata.combining(c) else 2 if is_wide(c) else 1 for c in text)
    return cells * size * CHAR_EM


class TooLarge(ValueError):
    """The diagram has more boxes than a drawing lays out readably (MAX_BOXES)."""


def node_size(node: DiagramNode) -> tuple[float, float]:
    """Width and height of a node's box: its widest line plus padding, a line per text line."""
    texts = [node.title, *node.lines, *node.message]
    width = math.ceil(max(text_width(t, FONT_SIZE) for t in texts) + 2 * PAD_X)
    return max(width, MIN_NODE_WIDTH), 2 * PAD_Y + LINE_HEIGHT * len(texts)


def render_svg(diagram: Diagram, id_prefix: str = "g-") -> str:
    """The SVG document of `diagram`; element ids start with `id_prefix` (several graphs can
    share one HTML page)."""
    boxes, edges, tensor_of = _boxes(diagram)
    if len(boxes) > MAX_BOXES:
        raise TooLarge(
            f"the graph has {len(boxes):,} boxes (nodes and shape labels), more than the {MAX_BOXES:,} "
            "an SVG lays out readably"
        )
    clusters = [Cluster(c.id, c.parent, text_width(c.title, SMALL_SIZE)) for c in diagram.clusters]
    layout = layered_layout(boxes, edges, clusters, SPACING)
    return _draw(diagram, layout, tensor_of, id_prefix)


def _boxes(diagram: Diagram):
    """Layout boxes for the nodes and for one shape label per tensor; the layout's edges; and, for
    each data edge, the id of its label box (or None)."""
    boxes = [Box(n.id, *node_size(n), n.cluster) for n in diagram.nodes]
    cluster_of = {n.id: n.cluster for n in diagram.nodes}
    tensors: dict[tuple[str, str], str] = {}
    edges: list[tuple[str, str]] = []
    tensor_of: dict[int, str | None] = {}
    for index, edge in enumerate(diagram.edges):
        if edge.kind != "data":
            continue
        if edge.label is None:
            edges.append((edge.source, edge.target))
            tensor_of[index] = None
            continue
        key = (edge.source, edge.port)
        if key not in tensors:
            tensors[key] = f"t{len(tensors)}"
            width = math.ceil(text_width(edge.label, SMALL_SIZE) + 2 * TENSOR_PAD)
            boxes.append(Box(tensors[key], width, TENSOR_HEIGHT, cluster_of[edge.source]))
            edges.append((edge.source, tensors[key]))
        edges.append((tensors[key], edge.target))
        tensor_of[index] = tensors[key]
    return boxes, edges, tensor_of


_STYLE = """
.shapecli-graph{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--node:#f6f8fa;--node-line:#8c959f;
--group:#fff8c5;--group-line:#bf8700;--io:#ddf4ff;--io-line:#54aeff;--box:rgba(84,174,255,.07);
--box-line:#8cb4e6;--edge:#6e7781;--tensor:#0550ae;--tensor-bg:#ffffff;--error:#cf222e;--error-bg:#ffebe9;
--link:#8250df}
@media (prefers-color-scheme:dark){.shapecli-graph{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--node:#161b22;
--node-line:#6e7681;--group:#2e2a14;--group-line:#d29922;--io:#0c2d4d;--io-line:#388bfd;
--box:rgba(56,139,253,.08);--box-line:#31527c;--edge:#8b949e;--tensor:#79c0ff;--tensor-bg:#0d1117;
--error:#ff7b72;--error-bg:#3d1214;--link:#d2a8ff}}
.shapecli-graph text{font-family:FONTS;fill:var(--fg);white-space:pre}
.shapecli-graph .bg{fill:var(--bg)}
.shapecli-graph .node rect{fill:var(--node);stroke:var(--node-line);stroke-width:1}
.shapecli-graph .node.group rect{fill:var(--group);stroke:var(--group-line);stroke-width:1.5}
.shapecli-graph .node.input rect,.shapecli-graph .node.output rect{fill:var(--io);stroke:var(--io-line)}
.shapecli-graph .node.error rect{fill:var(--error-bg);stroke:var(--error);stroke-width:2}
.shapecli-graph .node.skipped rect{stroke-dasharray:4 3}
.shapecli-graph .node.skipped text{fill:var(--muted)}
.shapecli-graph .node .title{font-weight:bold}
.shapecli-graph .node .detail{fill:var(--muted)}
.shapecli-graph .node .message{fill:var(--error)}
.shapecli-graph .cluster rect{fill:var(--box);stroke:var(--box-line);stroke-width:1}
.shapecli-graph .cluster.repeat rect{stroke-dasharray:6 3}
.shapecli-graph .cluster.error rect{stroke:var(--error);stroke-width:2}
.shapecli-graph .cluster text{fill:var(--muted);font-size:SMALLpx}
.shapecli-graph .edge,.shapecli-graph .wire{fill:none;stroke:var(--edge);stroke-width:1.2}
.shapecli-graph .arrow{fill:var(--edge)}
.shapecli-graph .tensor rect{fill:var(--tensor-bg);stroke:none;opacity:.85}
.shapecli-graph .tensor text{fill:var(--tensor);font-size:SMALLpx}
.shapecli-graph .link path{fill:none;stroke:var(--link);stroke-width:1.5;stroke-dasharray:5 4}
.shapecli-graph .link text{fill:var(--link);font-size:SMALLpx}
""".replace("FONTS", FONT_FAMILY).replace("SMALL", str(SMALL_SIZE))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _draw(diagram: Diagram, layout: Layout, tensor_of: dict, prefix: str) -> str:
    width, height = _num(layout.width), _num(layout.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="shapecli-graph" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{markup(FONT_FAMILY)}" font-size="{FONT_SIZE}" '
        f'role="img" aria-labelledby="{prefix}title">',
        f'<title id="{prefix}title">{markup("shapecli graph of " + diagram.title)}</title>',
        f"<style>{_STYLE}</style>",
        f'<defs><marker id="{prefix}arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path class="arrow" d="M0,0L10,5L0,10z"/></marker></defs>',
        f'<rect class="bg" width="{width}" height="{height}"/>',
        '<g class="clusters">',
    ]
    for cluster in diagram.clusters:
        rect = layout.clusters[cluster.id]
        out.append(
            f'<g class="cluster {cluster.kind} {cluster.state}" id="{prefix}{cluster.id}" '
            f'data-anchor="{markup(cluster.anchor)}"><title>{markup_lines(cluster.tooltip)}</title>'
            f'<rect x="{_num(rect.x)}" y="{_num(rect.y)}" width="{_num(rect.width)}" '
            f'height="{_num(rect.height)}" rx="6"/><text x="{_num(rect.x + SPACING.cluster_pad)}" '
            f'y="{_num(rect.y + SPACING.title_height)}">{markup(cluster.title)}</text></g>'
        )
    out.append("</g>")
    routes = {(r.source, r.target): r.points for r in layout.routes}
    out.append('<g class="edges">')
    wired = set()
    for index, edge in enumerate(diagram.edges):
        if edge.kind != "data":
            continue
        tensor = tensor_of[index]
        if tensor is not None and tensor not in wired:
            wired.add(tensor)
            out.append(
                f'<path class="wire" data-source="{prefix}{edge.source}" d="{_path(routes[(edge.source, tensor)])}"/>'
            )
        start = tensor if tensor is not None else edge.source
        label = f' data-tensor="{prefix}{tensor}"' if tensor is not None else ""
        out.append(
            f'<path class="edge" data-source="{prefix}{edge.source}" data-target="{prefix}{edge.target}"{label} '
            f'd="{_path(routes[(start, edge.target)])}" marker-end="url(#{prefix}arrow)"/>'
        )
    out.append("</g>")
    out.append('<g class="links">')
    for edge in diagram.edges:
        if edge.kind != "data":
            out.append(_link(edge, layout.boxes[edge.source], layout.boxes[edge.target], prefix))
    out.append("</g>")
    out.append('<g class="tensors">')
    drawn = set()
    for index, edge in enumerate(diagram.edges):
        tensor = tensor_of.get(index)
        if tensor is None or tensor in drawn:
            continue
        drawn.add(tensor)
        rect = layout.boxes[tensor]
        out.append(
            f'<g class="tensor" id="{prefix}{tensor}" data-source="{prefix}{edge.source}">'
            f'<rect x="{_num(rect.x)}" y="{_num(rect.y)}" '
            f'width="{_num(rect.width)}" height="{_num(rect.height)}" rx="3"/>'
            f'<text x="{_num(rect.center_x)}" y="{_num(rect.y + rect.height - 4)}" text-anchor="middle">'
            f"{markup(edge.label)}</text></g>"
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for node in diagram.nodes:
        out.append(_node(node, layout.boxes[node.id], prefix))
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def _node(node: DiagramNode, rect: Rect, prefix: str) -> str:
    parts = [
        f'<g class="node {node.kind} {node.state}" id="{prefix}{node.id}" data-anchor="{markup(node.anchor)}" '
        f'data-kind="{node.kind}" data-state="{node.state}" tabindex="0">',
    ]
    if node.tooltip:
        parts.append(f"<title>{markup_lines(node.tooltip)}</title>")
    parts.append(
        f'<rect x="{_num(rect.x)}" y="{_num(rect.y)}" width="{_num(rect.width)}" height="{_num(rect.height)}" '
        f'rx="{10 if node.kind in ("input", "output") else 4}"/>'
    )
    y = rect.y + PAD_Y + LINE_HEIGHT - 4
    for text, kind in (
        [(node.title, "title")] + [(t, "detail") for t in node.lines] + [(t, "message") for t in node.message]
    ):
        parts.append(
            f'<text class="{kind}" x="{_num(rect.center_x)}" y="{_num(y)}" text-anchor="middle">{markup(text)}</text>'
        )
        y += LINE_HEIGHT
    parts.append("</g>")
    return "".join(parts)


def _path(points: list[tuple[float, float]]) -> str:
    """Curves across the gaps between ranks, straight lines through the ranks a long edge crosses."""
    (x, y), rest = points[0], points[1:]
    d = [f"M{_num(x)},{_num(y)}"]
    for i, (nx, ny) in enumerate(rest):
        if i % 2 == 0:
            middle = (y + ny) / 2
            d.append(f"C{_num(x)},{_num(middle)} {_num(nx)},{_num(middle)} {_num(nx)},{_num(ny)}")
        else:
            d.append(f"L{_num(nx)},{_num(ny)}")
        x, y = nx, ny
    return "".join(d)


def _link(edge: DiagramEdge, a: Rect, b: Rect, prefix: str) -> str:
    """A dashed curve between the sides of two boxes, labelled with what links them."""
    if a.x + a.width <= b.x:
        start, end = (a.x + a.width, a.y + a.height / 2), (b.x, b.y + b.height / 2)
    elif b.x + b.width <= a.x:
        start, end = (a.x, a.y + a.height / 2), (b.x + b.width, b.y + b.height / 2)
    elif a.y >= b.bottom:
        start, end = (a.x + 6, a.y), (b.x + 6, b.bottom)
    else:
        start, end = (a.x + 6, a.bottom), (b.x + 6, b.y)
    (x0, y0), (x1, y1) = start, end
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    return (
        f'<g class="link {edge.kind}" data-source="{prefix}{edge.source}" data-target="{prefix}{edge.target}">'
        f'<path d="M{_num(x0)},{_num(y0)}Q{_num(mx)},{_num(my - 14)} {_num(x1)},{_num(y1)}"/>'
        f'<text x="{_num(mx)}" y="{_num(my - 10)}" text-anchor="middle">{markup(edge.label or edge.kind)}</text></g>'
    )
