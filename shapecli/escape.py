"""Text from a spec made safe to show: control characters made visible, markup escaped.

Names, values, messages and file names can hold anything a YAML file or a
command line can: ESC sequences that would restyle a terminal, newlines that
would forge a line of output, bidirectional overrides that reorder what is
read ("Trojan Source"), `<script>`. Every drawing and report passes such text
through `visible` (and `markup` for HTML and SVG) before writing it.
"""

from __future__ import annotations

import html
import unicodedata


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with control and format characters (C0, C1, DEL, line separators, bidi controls)
    written as `\\x1b` / `\\u202e`; everything else unchanged."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def markup(text: str) -> str:
    """`visible(text)` escaped for HTML and XML text and attribute values."""
    return html.escape(visible(text), quote=True)


def is_wide(char: str) -> bool:
    """Whether a character takes two cells of a fixed-width font (East Asian wide or full-width)."""
    return unicodedata.east_asian_width(char) in ("W", "F")
