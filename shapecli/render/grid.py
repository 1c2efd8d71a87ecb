"""A plain text table, and how numbers are written in tables.

rich's Table measures every cell through its renderable protocol (0.2 s for
ResNet-50's two tables); `Grid` lays out plain strings and prints them in chunks
with style spans, which costs a few microseconds per row.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Span, Text

from ..dims import Dim, format_dim, is_known
from .console import emit

GAP = "   "
NARROW_GAP = "  "
"""Between the columns of a table narrowed to fit."""
CHUNK_ROWS = 2_000
ELLIPSIS = "…"
MIN_COLUMN = 6
"""A column is not narrowed below this (or its header, or its widest cell if narrower)."""


def _cell_len(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


class Grid:
    """A table: a title, a header, aligned columns, multi-line cells.

    A cell is a string or a (string, style) pair; `right` lists the columns aligned right.

    With `max_width` set, a table wider than that is made to fit: first by the steps of
    `narrowing`, in order — `(column, floor)` narrows a column down to `floor` characters,
    `(column, None)` leaves the column out — then, if it is still too wide, by narrowing the
    widest columns alike (`fit_widths`). A cell too long for its column ends in `…`.
    """

    def __init__(self, title: str, headers: list[str], right: tuple[int, ...] = (), header: bool = True):
        self.title, self.headers, self.right, self.header = title, headers, right, header
        self.rows: list[tuple] = []
        self.max_width: int | None = None
        self.narrowing: tuple[tuple[int, int | None], ...] = ()
        self._limits: list[int] | None = None
        self._right = right
        self._gap = GAP

    def add_row(self, *cells) -> None:
        """Add a row (one cell per column)."""
        self.rows.append(cells)

    def _widths(self, rows) -> list[int]:
        widths = [0] * len(self.headers)
        for row in rows:
            for i, cell in enumerate(row):
                text = cell if type(cell) is str else cell[0]
                if "\n" in text:
                    length = max(_cell_len(line) for line in text.split("\n"))
                else:
                    length = len(text) if text.isascii() else cell_len(text)
                if length > widths[i]:
                    widths[i] = length
        return widths

    def _fit(self, natural: list[int]) -> tuple[list[int], list[int]]:
        """(the columns kept, their widths) for `max_width`: the `narrowing` steps, trying each
        number of its column drops in turn (a dropped column gives its room back to the others)."""
        self._gap = GAP
        every = list(range(len(natural)))
        if self.max_width is None or _line_width(natural) <= self.max_width:
            return every, natural
        self._gap = NARROW_GAP
        drops = [index for index, (_column, floor) in enumerate(self.narrowing) if floor is None]
        for dropped in range(len(drops) + 1):
            # the steps before the next drop, with the drops so far (from the natural widths again)
            steps = self.narrowing[: drops[dropped]] if dropped < len(drops) else self.narrowing
            keep = [i for i in every if i not in {self.narrowing[d][0] for d in drops[:dropped]}]
            widths = list(natural)
            for column, floor in steps:
                over = _line_width([widths[i] for i in keep], NARROW_GAP) - self.max_width
                if over <= 0:
                    break
                if floor is not None and column in keep and widths[column] > floor:
                    widths[column] = max(floor, widths[column] - over)
            kept = [widths[i] for i in keep]
            if _line_width(kept, NARROW_GAP) <= self.max_width:
                return keep, kept
        least = [len(self.headers[i]) if self.header else 0 for i in keep]
        return keep, fit_widths(kept, least, self.max_width, NARROW_GAP)

    def chunks(self):
        """The table as (plain text, [(start, end, style)]) pieces of at most CHUNK_ROWS rows."""
        rows = [tuple((h, "bold") for h in self.headers)] if self.header else []
        all_rows = rows + self.rows
        natural = self._widths(all_rows)
        keep, widths = self._fit(natural)
        dropped = len(keep) < len(natural)
        self._limits = widths if dropped or widths != natural else None
        self._right = tuple(keep.index(i) for i in self.right if i in keep) if dropped else self.right
        parts: list[str] = [self.title + "\n"]
        spans: list[tuple[int, int, str]] = [(0, len(self.title), "bold italic")]
        size = len(parts[0])
        for index, row in enumerate(all_rows):
            if dropped:
                row = tuple(row[i] for i in keep)
            size = self._row(row, widths, parts, spans, size)
            if index == 0 and self.header:
                rule = " " + "─" * (sum(widths) + len(self._gap) * (len(widths) - 1) + 2) + "\n"
                parts.append(rule)
                size += len(rule)
            if (index + 1) % CHUNK_ROWS == 0 and index + 1 < len(all_rows):
                yield "".join(parts), spans
                parts, spans, size = [], [], 0
        yield "".join(parts), spans

    def _row(self, row, widths, parts, spans, size) -> int:
        texts, styles, several = [], [], False
        for cell in row:
            text, style = (cell, "") if type(cell) is str else cell
            texts.append(text)
            styles.append(style)
            several = several or "\n" in text
        if self._limits is not None:
            texts = [_elide_lines(t, w) for t, w in zip(texts, widths)]
        if not several:
            return self._line(texts, styles, widths, parts, spans, size)
        lines = [text.split("\n") for text in texts]
        for n in range(max(len(cell) for cell in lines)):
            texts = [cell[n] if n < len(cell) else "" for cell in lines]
            size = self._line(texts, styles, widths, parts, spans, size)
        return size

    def _line(self, texts, styles, widths, parts, spans, size) -> int:
        if not any(styles) and "".join(texts).isascii():
            right = self._right
            cells = [t.rjust(w) if i in right else t.ljust(w) for i, (t, w) in enumerate(zip(texts, widths))]
            line = ("  " + self._gap.join(cells)).rstrip() + "\n"
            parts.append(line)
            return size + len(line)
        pieces = []
        position = size
        right = self._right
        for i, text in enumerate(texts):
            lead = "  " if i == 0 else self._gap
            pad = widths[i] - (len(text) if text.isascii() else cell_len(text))
            if i in right:
                piece = lead + " " * pad + text
                start = position + len(lead) + pad
            else:
                piece = lead + text + " " * pad
                start = position + len(lead)
            if styles[i] and text:
                spans.append((start, start + len(text), styles[i]))
            pieces.append(piece)
            position += len(piece)
        line = "".join(pieces).rstrip() + "\n"
        parts.append(line)
        return size + len(line)

    def print(self, console) -> None:
        """Print the table on `console`."""
        for plain, spans in self.chunks():
            emit(console, plain, spans)

    def text(self) -> str:
        """The table as plain text (for tests and other renderers)."""
        return "".join(plain for plain, _ in self.chunks())

    def render(self) -> Text:
        """The table as one styled rich Text (for a small table printed with others)."""
        out = Text()
        for plain, spans in self.chunks():
            offset = len(out)
            out.append(plain)
            out.spans.extend(Span(offset + start, offset + end, style) for start, end, style in spans)
        return out


def _line_width(widths: list[int], gap: str = GAP) -> int:
    """The width of a table: its rule, one character wider than its lines (2 + widths + gaps)."""
    return 3 + sum(widths) + len(gap) * (len(widths) - 1)


def fit_widths(widths: list[int], least: list[int], total: int, gap: str = GAP) -> list[int]:
    """Column widths whose table (see `_line_width`) fits `total` characters: the widest columns
    are narrowed first, none below min(its width, max(its `least`, MIN_COLUMN)); when even that is
    too wide, every column is at that floor."""
    room = total - 3 - len(gap) * (len(widths) - 1)
    if sum(widths) <= room:
        return widths
    floors = [min(w, max(m, MIN_COLUMN)) for w, m in zip(widths, least)]
    if sum(floors) >= room:
        return floors
    low, high = 0, max(widths)  # the largest cap at which the columns fit
    while low < high:
        cap = (low + high + 1) // 2
        if sum(min(w, max(cap, f)) for w, f in zip(widths, floors)) <= room:
            low = cap
        else:
            high = cap - 1
    return [min(w, max(low, f)) for w, f in zip(widths, floors)]


def elide(text: str, width: int) -> str:
    """`text` cut to `width` cells, ending in `…` when cut."""
    if len(text) <= width and text.isascii():
        return text
    if _cell_len(text) <= width:
        return text
    cut = text[: max(width - 1, 0)]
    while cut and _cell_len(cut) > width - 1:
        cut = cut[:-1]
    return cut + ELLIPSIS


def _elide_lines(text: str, width: int) -> str:
    if len(text) <= width and text.isascii():
        return text
    if "\n" in text:
        return "\n".join(elide(line, width) for line in text.split("\n"))
    return elide(text, width)


def count(value: Dim | None, unknown: str = "?") -> str:
    """A count with thousands separators, an expression, or the unknown mark."""
    if value is None or not is_known(value):
        return unknown
    return f"{value:,}" if isinstance(value, int) else format_dim(value)


def _ratio(value: int, factor: int) -> str:
    """value / factor with two decimals, in integer arithmetic (values may exceed a float)."""
    hundredths = (value * 100 + factor // 2) // factor
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def scaled(value: Dim | None) -> str:
    """`15360` → `15,360 (15.36 K)`; symbolic values are written as they are."""
    if not isinstance(value, int):
        return count(value)
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if value >= factor:
            return f"{value:,} ({_ratio(value, factor)} {prefix})"
    return f"{value:,}"


def byte_size(value: Dim | None) -> str:
    """`31784` → `31,784 bytes (31.0 KiB)` (binary units)."""
    if not isinstance(value, int):
        return count(value)
    for factor, prefix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if value >= factor:
            tenths = (value * 10 + factor // 2) // factor
            return f"{value:,} bytes ({tenths // 10}.{tenths % 10} {prefix})"
    return f"{value:,} bytes"
