"""Diagram → Mermaid `flowchart TD`, for GitHub markdown and pull-request comments.

Boxes become nested `subgraph`s, shapes edge labels, shared and tied layers
dotted links, failed layers a red class. Mermaid refuses a diagram of more than
MAX_TEXT characters or MAX_EDGES edges (its `maxTextSize` and `maxEdges`
defaults): `limits` says when a text is over, so the command can suggest folding.
Text from the spec is written with Mermaid's entity codes (`#quot;`, `#lt;`), so
no label can end a string, open a tag, or start a directive.
"""

from __future__ import annotations

from ..diagram import Diagram, DiagramNode

MAX_TEXT = 50_000
"""Mermaid's default `maxTextSize`."""

MAX_EDGES = 500
"""Mermaid's default `maxEdges`."""

_ENTITIES = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "#": "#35;", "`": "#96;", "|": "#124;", ";": "#59;"}


def _text(text: str) -> str:
    return "".join(_ENTITIES.get(c, c) for c in text)


def _label(node: DiagramNode) -> str:
    return "<br/>".join(_text(t) for t in [node.title, *node.lines, *node.message])


def render_mermaid(diagram: Diagram) -> str:
    """The Mermaid text of `diagram`."""
    out = ["flowchart TD"]
    children: dict[str | None, list] = {}
    for cluster in diagram.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[DiagramNode]] = {}
    for node in diagram.nodes:
        members.setdefault(node.cluster, []).append(node)

    def emit(cluster_id: str | None, indent: str) -> None:
        for node in members.get(cluster_id, []):
            shape = ('(["', '"])') if node.kind in ("input", "output") else ('["', '"]')
            out.append(f"{indent}{node.id}{shape[0]}{_label(node)}{shape[1]}")
        for cluster in children.get(cluster_id, []):
            out.append(f'{indent}subgraph {cluster.id}["{_text(cluster.title)}"]')
            emit(cluster.id, indent + "  ")
            out.append(f"{indent}end")

    emit(None, "  ")
    for edge in diagram.edges:
        if edge.kind == "data":
            label = f'|"{_text(edge.label)}"|' if edge.label else ""
            out.append(f"  {edge.source} -->{label} {edge.target}")
        else:
            out.append(f'  {edge.source} -.->|"{_text(edge.label or edge.kind)}"| {edge.target}')
    out.append("  classDef error fill:#ffebe9,stroke:#cf222e,stroke-width:2px,color:#82071e")
    out.append("  classDef skipped stroke-dasharray:4 3,color:#59636e")
    out.append("  classDef group fill:#fff8c5,stroke:#bf8700")
    for kind in ("group", "skipped", "error"):
        ids = [n.id for n in diagram.nodes if (n.kind if kind == "group" else n.state) == kind]
        if ids:
            out.append(f"  class {','.join(ids)} {kind}")
    out += [f"  style {c.id} stroke:#cf222e,stroke-width:2px" for c in diagram.clusters if c.state == "error"]
    return "\n".join(out) + "\n"


def limits(text: str, diagram: Diagram) -> list[str]:
    """What in `text` is over Mermaid's default limits (empty: nothing)."""
    over = []
    if len(text) > MAX_TEXT:
        over.append(f"{len(text):,} characters (Mermaid's maxTextSize is {MAX_TEXT:,})")
    edges = len(diagram.edges)
    if edges > MAX_EDGES:
        over.append(f"{edges:,} edges (Mermaid's maxEdges is {MAX_EDGES:,})")
    return over
