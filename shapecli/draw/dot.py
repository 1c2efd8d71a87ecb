"""Diagram → Graphviz DOT, for people who have Graphviz (`dot -Tsvg model.dot`).

Boxes become `cluster_` subgraphs, shapes edge labels, shared and tied layers
dashed edges that do not constrain the ranks, failed layers red. Strings are
quoted with `"` and `\\` escaped, so no label can end a string or inject an
escape sequence (`\\N`, `\\G`) of Graphviz's.
"""

from __future__ import annotations

from ..diagram import Diagram, DiagramNode


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(lines: list[str]) -> str:
    """Lines of a node label, each centred (`\\n` separates them)."""
    return '"' + "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + '"'


def _node(node: DiagramNode) -> str:
    attributes = [f"label={_label([node.title, *node.lines, *node.message])}"]
    if node.kind in ("input", "output"):
        attributes.append('shape=box, style="rounded,filled", fillcolor="#ddf4ff", color="#54aeff"')
    elif node.kind == "group":
        attributes.append('style="rounded,filled,bold", fillcolor="#fff8c5", color="#bf8700"')
    if node.state == "error":
        attributes.append('color="#cf222e", fillcolor="#ffebe9", fontcolor="#82071e", penwidth=2')
    elif node.state == "skipped":
        attributes.append('style="rounded,dashed", fontcolor="#59636e"')
    if node.tooltip:
        attributes.append(f"tooltip={_quoted(node.tooltip)}")
    return f"{node.id} [{', '.join(attributes)}];"


def render_dot(diagram: Diagram) -> str:
    """The DOT text of `diagram`."""
    out = [
        "digraph model {",
        f"  graph [rankdir=TB, fontname=monospace, fontsize=10, label={_quoted(diagram.title)}, labelloc=t];",
        '  node [shape=box, style="rounded,filled", fillcolor="#f6f8fa", color="#8c959f", fontname=monospace, '
        "fontsize=11];",
        '  edge [fontname=monospace, fontsize=10, fontcolor="#0550ae", color="#6e7781"];',
    ]
    children: dict[str | None, list] = {}
    for cluster in diagram.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[DiagramNode]] = {}
    for node in diagram.nodes:
        members.setdefault(node.cluster, []).append(node)

    def emit(cluster_id: str | None, indent: str) -> None:
        for node in members.get(cluster_id, []):
            out.append(indent + _node(node))
        for cluster in children.get(cluster_id, []):
            style = "rounded,dashed" if cluster.kind == "repeat" else "rounded"
            color = "#cf222e" if cluster.state == "error" else "#8cb4e6"
            out.append(f"{indent}subgraph cluster_{cluster.id} {{")
            out.append(f'{indent}  label={_quoted(cluster.title)}; style="{style}"; color="{color}";')
            emit(cluster.id, indent + "  ")
            out.append(f"{indent}}}")

    emit(None, "  ")
    for edge in diagram.edges:
        if edge.kind == "data":
            label = f" [label={_quoted(edge.label)}]" if edge.label else ""
            out.append(f"  {edge.source} -> {edge.target}{label};")
        else:
            out.append(
                f"  {edge.source} -> {edge.target} [label={_quoted(edge.label or edge.kind)}, style=dashed, "
                'color="#8250df", fontcolor="#8250df", constraint=false];'
            )
    out.append("}")
    return "\n".join(out) + "\n"
