"""YAML text → located values: positions, duplicate keys, tags, aliases, bad bytes."""

from __future__ import annotations

import time

import pytest

from shapecli.errors import Loc, SpecError
from shapecli.yamlsrc import YList, YMap, decode, parse_yaml


def test_values_keep_positions():
    value = parse_yaml("layers:\n  - {type: Dense, units: 256}\n  - type: ReLU\n")
    assert isinstance(value, YMap)
    assert value.key_loc("layers") == Loc(1, 1)
    layers = value["layers"]
    assert isinstance(layers, YList)
    assert layers.item_locs == [Loc(2, 5), Loc(3, 5)]
    assert layers[0].value_loc("units") == Loc(2, 26)
    assert layers[1].key_loc("type") == Loc(3, 5)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x: 1e-3", 0.001),
        ("x: 1.5e3", 1500.0),
        ("x: '1e-3'", "1e-3"),
        ("x: 0x10", 16),
        ("x: 1_000", 1000),
        ("x: yes", True),
        ("x: null", None),
        ("x: ~", None),
        ("x: 2001-12-14", "2001-12-14"),
        ("on: 1", 1),
    ],
)
def test_scalars(text, expected):
    value = parse_yaml(text)
    assert list(value.values()) == [expected]
    assert list(value) == [text.split(":")[0]]


def test_merge_keys_fill_missing_keys_only():
    value = parse_yaml("base: &b {units: 8, use_bias: false}\nlayer: {<<: *b, units: 16}\n")
    assert value["layer"] == {"units": 16, "use_bias": False}
    assert value["layer"].value_loc("use_bias") == Loc(1, 31)


@pytest.mark.parametrize(
    "text, loc, message",
    [
        ("a: 1\nb: 2\na: 3\n", Loc(3, 1), "duplicate key 'a' (first given at line 1)"),
        (
            "x: !!python/object/apply:os.system ['echo hi']\n",
            Loc(1, 4),
            "tag '!!python/object/apply:os.system' is not allowed",
        ),
        ("x: !custom 3\n", Loc(1, 4), "tag '!custom' is not allowed"),
        ("x: !!binary aGVsbG8=\n", Loc(1, 4), "tag '!!binary' is not allowed"),
        ("a: [1, 2\n", Loc(2, 1), "invalid YAML"),
        ("a: b: c\n", Loc(1, 5), "invalid YAML: mapping values are not allowed"),
        ("a: \x00\n", Loc(1, 4), "control characters are not allowed"),
        ("a: 1\nb: é\ud800\n", Loc(2, 5), "invalid YAML: U+D800 is a lone surrogate, not a character"),
        ("", Loc(1, 1), "the spec is empty"),
        ("# only a comment\n", Loc(1, 1), "the spec is empty"),
        ("--- a\n--- b\n", Loc(2, 1), "invalid YAML: but found another document"),
        ("? [a, b]\n: 1\n", Loc(1, 3), "a mapping key must be a plain name"),
        ("x: &a [*a]\n", Loc(1, 4), "an alias refers to a node that contains it"),
        ("x: 1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21:22:23:24:25:26:27:28:29:30", None, None),
    ],
)
def test_errors_are_located(text, loc, message):
    if message is None:  # a valid YAML 1.1 sexagesimal int: accepted as a (large) number
        assert isinstance(parse_yaml(text)["x"], int)
        return
    with pytest.raises(SpecError) as caught:
        parse_yaml(text)
    assert message in caught.value.message
    if loc is not None:
        assert caught.value.loc == loc


def test_deep_nesting_is_refused():
    with pytest.raises(SpecError) as caught:
        parse_yaml("x: " + "[" * 5000 + "]" * 5000)
    assert "the YAML is nested too deeply" in caught.value.message


def test_nesting_beyond_the_limit_is_refused_by_the_builder():
    with pytest.raises(SpecError) as caught:
        parse_yaml("x: " + "[" * 250 + "]" * 250)
    assert "the YAML is nested too deeply (at most 200 levels)" in caught.value.message


def test_alias_bomb_is_refused_quickly():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        parse_yaml("\n".join(lines))
    assert time.perf_counter() - start < 5  # generous: the bench measures the real figure
    assert "aliases expand this spec beyond" in caught.value.message


def test_moderate_aliases_are_shared_not_copied():
    value = parse_yaml("d: &d {units: 4}\nlayers: [*d, *d, *d]\n")
    assert value["layers"][0] is value["layers"][2]


def test_decode():
    assert decode("x: é".encode()) == "x: é"
    assert decode(b"\xef\xbb\xbfx: 1") == "x: 1"
    with pytest.raises(SpecError) as caught:
        decode(b"a: 1\nb: \xff\xfe")
    assert caught.value.loc == Loc(2, 4)
    assert "not UTF-8 text (byte 0xff)" in caught.value.message
