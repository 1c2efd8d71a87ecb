"""`shapecli graph`: a model drawn as SVG, Mermaid or DOT.

The stages are the inspection's (spec → Model → Trace), then `diagram` decides
what is drawn and a module of `draw` writes it in one format.
"""

from __future__ import annotations

import os

from .records import NamedTuple
from .diagram import build_diagram
from .errors import InputError

FORMATS = ("svg", "mermaid", "dot")
SUFFIXES = {".svg": "svg", ".mmd": "mermaid", ".mermaid": "mermaid", ".md": "mermaid", ".dot": "dot", ".gv": "dot"}


class Drawing(NamedTuple):
    """A drawn graph: the text of the file, and notes for the user (e.g. over Mermaid's limits)."""

    text: str
    notes: list[str]


def format_for(output: str | None, requested: str | None) -> str:
    """The format asked for, else the one the output file's suffix names, else SVG."""
    if requested:
        return requested
    if output:
        return SUFFIXES.get(os.path.splitext(output)[1].lower(), "svg")
    return "svg"


def draw(model, trace, output_format: str, depth: int | None = None, expand: bool = False) -> Drawing:
    """Draw `model` with the shapes of `trace` (None: structure only) in `output_format`.

    Raises InputError when an SVG would have too many boxes to lay out readably.
    """
    from .draw import dot, mermaid, svg

    diagram = build_diagram(model, trace, depth, expand)
    if output_format == "svg":
        try:
            return Drawing(svg.render_svg(diagram), [])
        except svg.TooLarge as e:
            raise InputError(f"{e}; fold it with --depth N (or without --expand)") from None
    if output_format == "mermaid":
        text = mermaid.render_mermaid(diagram)
        over = mermaid.limits(text, diagram)
        notes = [f"the Mermaid text has {' and '.join(over)}: fold it with --depth N"] if over else []
        return Drawing(text, notes)
    return Drawing(dot.render_dot(diagram), [])
