"""The plain-subset reader (yamlplain) against the event builder: where it reads a text, every value,
type, key order and position is the same; anything outside its subset is left to the event builder."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from shapecli.errors import SpecError
from shapecli.yamlplain import read_plain
from shapecli.yamlsrc import YList, YMap, parse_yaml, protect_expressions

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    [*ROOT.glob("configs/*.yaml"), *ROOT.glob("tests/**/*.yaml")],
    key=lambda path: str(path),
)


def located(value):
    """A value with every position and type spelled out, for comparing two readings."""
    if isinstance(value, YMap):
        entries = [(k, value.key_locs[k], value.value_locs[k], located(v)) for k, v in value.items()]
        return ("map", value.loc, entries)
    if isinstance(value, YList):
        return ("list", value.loc, [(where, located(v)) for v, where in zip(value, value.item_locs)])
    return (type(value).__name__, repr(value))


def full_reading(text: str):
    """The event builder's values, or its error (message and position)."""
    try:
        return located(parse_yaml(text, plain=False))
    except SpecError as e:
        return ("error", e.message, e.loc)


def plain_reading(text: str):
    """yamlplain's values, None where it leaves the text to the event builder."""
    found = read_plain(protect_expressions(text))
    return None if found is None else located(found)


@pytest.mark.parametrize("path", SPECS, ids=lambda path: str(path.relative_to(ROOT)))
def test_shipped_and_test_specs_read_the_same(path):
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (a test of bad bytes)")
    plain = plain_reading(text)
    if plain is not None:
        assert plain == full_reading(text)


READ = [
    "layers:\n  - {type: Dense, units: 256}\n  - type: ReLU\n",
    "inputs:\n  x: [batch, 3, 224, 224]   # NCHW\nlayers:\n- {type: Conv2d, filters: 64, kernel_size: [3, 3]}\n",
    "a: 1e-3\nb: 0x10\nc: 1_000\nd: yes\ne: null\nf: ~\ng: 2001-12-14\nh: -.inf\ni: 99999999999999999999\n",
    "on: 1\n1: x\nx.y: [1, [2, [3]], {a: {b: c}}]\n",
    "a: {f: $x.shape[1] // 2, g: $max(a, b)}\nb: [$w, -$w, $f(1, 2)]\nc: $t if $u else 3\n",
    "a: 'q, [x]'\nb: \"0\"\nc: {d: '1', e: \"# no comment\"}\nd: ['', \"\"]\n",
    "a: x[1],y\nb: café — ok\nc: a  b   # comment\n# a comment line\n\n  # indented comment\nd: e#f\n",
    "blocks:\n  B:\n    params: {w: int}\n    layers:\n      - type: Dense\n        units: $w\n"
    "      -   name: y\n          type: ReLU\n",
    "a:\n- 1\n- 2\nb: 3\n",
    "a: {}\nb: []\nc: { x: 1 ,  y: 2 }\nd: [ 1 , 2 ]\n",
    "layers:\n  - {type: Dense,  # a comment\n     units: 4}   # another\n  - {type: ReLU}\n",
    "a: {x: [1, 2,\n      3], y: {p: 1,\n\n   # a comment line\n  q: 2}}\nb: [\n  1, 2]\nc: {\n  x: 1}\n",
    # lines repeated: a later one reuses the first's values and columns (positions still its own)
    "layers:\n" + "  - {type: Dense, units: 4}\n" * 3 + "  - {type: Dense, units: $w}  # c\n" * 2,
    "layers:\n" + "  - {a: [1, 2], b: 3}\n" * 2 + "  - {a: {x: 1}}\n" * 2 + "  - {a: 1,\n     b: 2}\n" * 2,
    "a:\n  - {x: 1}\n  - {x: 1}\nb:\n  - {x: 1}\n  -   {x: 1}\n",
]


@pytest.mark.parametrize("text", READ)
def test_plain_texts_are_read_by_the_plain_reader(text):
    plain = plain_reading(text)
    assert plain is not None
    assert plain == full_reading(text)


LEFT = [
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "a: !!str 1\n",  # a tag
    "base: &b {x: 1}\nc:\n  <<: *b\n",  # a merge key
    "a: |\n  text\n",  # a block scalar
    "a: {x: 1,\ny: 2}\n",  # a flow mapping going on left of its block
    "a:\n  b: [1,\n  2]\n",
    "a: {x: 1\n    , y: 2}\n",  # a line break before a comma
    "a: 'it''s'\n",  # an escaped quote
    'a: "x\\ty"\n',  # an escape
    "a:\nb: 1\n",  # an empty value
    "a: 1\na: 2\n",  # a duplicate key (the event builder's message)
    "a: {x: 1, x: 2}\n",
    "a:\n\t- 1\n",  # a tab
    "a: 1\r\nb: 2\r\n",  # carriage returns
    "--- \na: 1\n",  # a document marker
    "a: 1\n---\nb: 2\n",
    "a: b: c\n",  # invalid YAML
    "a: multi\n  line\n",  # a plain scalar over two lines
    "a: x:y\n",
    "a: {x: 1,}\n",  # a trailing comma
    "- - 1\n",  # a list in a list
    "a: =\n",  # YAML 1.1's value tag (refused by the event builder)
    "'a': 1\n",  # a quoted key
    "a: [1, 2]x\n",
    "x\n",  # a scalar document
    "",
    "# only a comment\n",
    "a: " + "[" * 60 + "]" * 60 + "\n",  # deep nesting
    # in a text beyond ASCII: each character refused there
    *(f"a: é{c}\n" for c in ("\x01", "\t", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff")),
    "a: é\ud800\n",  # a lone surrogate
]


@pytest.mark.parametrize("text", LEFT)
def test_other_texts_are_left_to_the_event_builder(text):
    assert plain_reading(text) is None
    assert full_reading(text) == _parse_yaml_reading(text)


def _parse_yaml_reading(text: str):
    try:
        return located(parse_yaml(text))
    except SpecError as e:
        return ("error", e.message, e.loc)


_SCALARS = [
    "1", "0", "-1", "+1", "007", "0o17", "0x1F", "0b101", "1_000", "1e-3", "1E5", "-1.5e+3", ".5", "1.", "-.inf",
    ".NaN", "1:30", "~", "null", "Null", "true", "yes", "No", "on", "y", "2001-12-14", "<x", "a b", "-a", "x#y",
    "$x.shape[1] // 2", "$max(a, b)", "-$w", "a[1]", "a,b", "3x224x224", "99999999999999999999", "-0.0", "1e999",
    "a'b", "a!b", "a*b", "a>b", "a?b", "'q'", '"q"', "'a b'", "' '", "''", "café", "😀", "a\u00a0b", "-", "--", "@a",
    "`a", "!a", "&a", "*a", "|", ">", "%a", "?a", ":a", "a:", "'a''b'", '"a\\nb"', "a #c", "{}", "[]",
]  # fmt: skip
_KEYS = ["a", "type", "units", "from", "x1", "1", "on", "a.b", "a-b", "a/b", "_k", "k", "dup", "dup", "<<", "'q'"]


def _flow(rng: random.Random, depth: int) -> str:
    if depth > 3 or rng.random() < 0.6:
        return rng.choice(_SCALARS)
    if rng.random() < 0.5:
        return "[" + ", ".join(_flow(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    return "{" + ", ".join(f"{rng.choice(_KEYS)}: {_flow(rng, depth + 1)}" for _ in range(rng.randrange(4))) + "}"


def _block(rng: random.Random, indent: int, depth: int, lines: list[str]) -> None:
    comment = rng.choice(["", "", " # c", "  #c", "#c"])
    if depth > 2 or rng.random() < 0.3:
        for _ in range(rng.randrange(1, 4)):
            if rng.random() < 0.5:
                lines.append(" " * indent + "- " + _flow(rng, 1) + comment)
            else:
                lines.append(" " * indent + f"- {rng.choice(_KEYS)}: {_flow(rng, 1)}")
                lines.append(" " * (indent + 2) + f"{rng.choice(_KEYS)}: {_flow(rng, 1)}" + comment)
        return
    for _ in range(rng.randrange(1, 4)):
        key = rng.choice(_KEYS)
        if rng.random() < 0.4:
            lines.append(" " * indent + f"{key}:" + comment)
            _block(rng, indent + rng.choice([0, 2, 2, 4]), depth + 1, lines)
        else:
            lines.append(" " * indent + f"{key}: {_flow(rng, 1)}" + comment)
    if rng.random() < 0.3:  # flow collections going on to the next lines, some too far left
        lines[-1] = lines[-1].replace(", ", ",\n" + " " * rng.randrange(indent + 4), 1)


def test_generated_texts_read_the_same():
    rng = random.Random(9)
    read = 0
    for _ in range(3000):
        lines: list[str] = []
        _block(rng, 0, 0, lines)
        text = "\n".join(lines) + "\n"
        plain = plain_reading(text)
        if plain is not None:
            read += 1
            assert plain == full_reading(text), text
    assert read > 300  # the plain reader takes a good share of them


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0", 0),
        ("4", 4),
        ("0123", 83),  # YAML 1.1: an octal int
        ("007", 7),
        ("123456789012345678", 123456789012345678),
        ("1234567890123456789", 1234567890123456789),
        ("-0", 0),
        ("+12", 12),
        ("1_000", 1000),
        ("٣", "٣"),  # a digit, but not an ASCII one: text
        ("Dense", "Dense"),
        ("-$w", "-$w"),
        ("$f(a, b)", "$f(a, b)"),
    ],
)
def test_plain_scalar_values(text, expected):
    for plain in (True, False):
        value = parse_yaml(f"x: {text}\n", plain=plain)["x"]
        assert (type(value), value) == (type(expected), expected)
