"""Rule answers kept for the whole process.

Rules are pure functions of (configuration, input shapes), so what they give is kept here, for
every inference the process runs: a model's repeated layers, a spec's second run (on its declared
inputs after its `check:` ones), and the other specs `check` reads reuse it. A configuration is
keyed by its values with their types (`registry.config_key`), turned into a number once per
configuration object and propagation (`config_number`). Each table holds at most MAX_ENTRIES;
past that all start again empty, so a long-running process holds a bounded amount (the
configurations kept hold what they hold: a wrapped layer's YAML).
"""

from __future__ import annotations

import itertools

from .registry import config_key

ANSWERS: dict[tuple, object] = {}
"""infer's rule answers by (layer type, configuration number, input shapes...)."""
BEFORE: dict[tuple, tuple] = {}
"""Parameters before inference with their initializers, status and names, by (layer type,
configuration number, number of inputs, whether every argument is known), for layers whose
initializers the spec does not set."""
_NUMBERS: dict[tuple, int] = {}
"""Configuration key → its number: a short key, hashed once."""
_COUNTER = itertools.count()
"""Numbers are never given twice, so that one a propagation holds stays its configuration's when
the tables are emptied."""
MAX_ENTRIES = 50_000
"""Entries each table keeps at most."""


def config_number(cfg) -> int | None:
    """The number of a configuration's values (None when one cannot be a key, such as a mapping)."""
    key = config_key(cfg)
    try:
        number = _NUMBERS.get(key)
    except TypeError:
        return None
    if number is None:
        if len(_NUMBERS) >= MAX_ENTRIES:
            forget_answers()
        number = _NUMBERS[key] = next(_COUNTER)
    return number


def remember(table: dict, key: tuple, value) -> None:
    """table[key] = value, emptying the tables first when `table` is full."""
    if len(table) >= MAX_ENTRIES:
        forget_answers()
    table[key] = value


def forget_answers() -> None:
    """Empty the tables: for a caller that changes layer types, their rules or their default
    initializers while it runs (a test that patches one)."""
    ANSWERS.clear()
    BEFORE.clear()
    _NUMBERS.clear()
