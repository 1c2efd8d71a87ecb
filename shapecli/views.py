"""What the tables of `inspect` show: the sections to print and how the layers are folded.

Kept apart from the renderer so that the command line can offer the choices
without importing what prints them.
"""

from __future__ import annotations

from .records import NamedTuple

SECTIONS = ("before", "after", "summary", "memory", "conditions")
"""What `--sections` chooses from, in the order the tables print."""


class TableView(NamedTuple):
    """How the tables are laid out: `depth` folds block uses nested deeper (None: none), `expand`
    lists every copy of a repeat, `sections` are the tables printed (see SECTIONS)."""

    depth: int | None = None
    expand: bool = False
    sections: tuple[str, ...] = SECTIONS
