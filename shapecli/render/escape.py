"""Text from a spec made safe for a terminal, a CI log or a JSON document.

Names, values and file names come from files anyone may write: an ESC sequence
can hide text, retitle a terminal or write its clipboard, and a newline can
start a GitHub workflow command. Every string from a spec passes through one of
these functions before it is printed.
"""

from __future__ import annotations

import re
from functools import cache

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


@cache
def _json_unsafe() -> re.Pattern:
    """What json.dumps(ensure_ascii=False) leaves raw but a terminal may act on: DEL and C1 controls,
    line separators, bidirectional overrides, and lone surrogates (undecodable file names). Compiled
    on first use: most texts are ASCII."""
    return re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with every non-printable character (controls, bidi overrides, line separators)
    shown as an escape: ESC → `\\e`, newline → `\\n`, others → `\\xNN` / `\\uNNNN`."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_safe(text: str) -> str:
    """A JSON text with the characters above written as `\\uNNNN` escapes (still valid JSON)."""
    if text.isascii():
        return text.replace("\x7f", "\\u007f")
    return _json_unsafe().sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def display_path(path: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by Python as surrogates) become `\\xNN`."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command: `%`, CR and LF escaped as GitHub reads them,
    other controls shown as escapes."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def workflow_property(text: str) -> str:
    """A property value of a GitHub workflow command (also `:` and `,` escaped)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def markup(text: str) -> str:
    """`printable(text)` escaped for HTML and XML text and attribute values."""
    import html  # only the HTML report and the SVG drawing need it

    return html.escape(printable(text), quote=True)


def markup_lines(text: str) -> str:
    """Lines of text (joined by newlines, each already printable) escaped for HTML and XML,
    the newlines kept: a tooltip's or a code frame's line breaks."""
    return "\n".join(markup(line) for line in text.split("\n"))


def is_wide(char: str) -> bool:
    """Whether a character takes two cells of a fixed-width font (East Asian wide or full-width)."""
    import unicodedata  # only drawings measure text

    return unicodedata.east_asian_width(char) in ("W", "F")
