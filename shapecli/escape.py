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


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every non-printable character (controls, DEL, line separators, bidi
    overrides, the lone surrogates of an undecodable file name) shown as an escape: ESC →
    `\\e`, newline → `\\n`, others → `\\xNN` / `\\uNNNN` (as the terminal output writes them)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def markup(text: str) -> str:
    """`visible(text)` escaped for HTML and XML text and attribute values."""
    return html.escape(visible(text), quote=True)


def markup_lines(text: str) -> str:
    """Lines of text (joined by newlines, each already made `visible`) escaped for HTML and XML,
    the newlines kept: a tooltip's or a code frame's line breaks."""
    return "\n".join(markup(line) for line in text.split("\n"))


def is_wide(char: str) -> bool:
    """Whether a character takes two cells of a fixed-width font (East Asian wide or full-width)."""
    return unicodedata.east_asian_width(char) in ("W", "F")
