"""The lazy layer registry: `layers/index.py` says which family registers each type name, so that
`lookup` imports only that family; the index must equal what importing every family registers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shapecli.layers import FAMILIES
from shapecli.layers.index import FAMILY_OF
from shapecli.registry import LAYER_TYPES

ROOT = Path(__file__).parent.parent
STALE = "shapecli/layers/index.py is out of date: run python tools/gen_layer_index.py"


def _run(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter, where no family has been imported yet."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )


def test_the_index_equals_what_the_families_register():
    registered = {word.lower(): cls.__module__ for cls in LAYER_TYPES for word in (cls.type_name, *cls.aliases)}
    assert {word: f"shapecli.layers.{family}" for word, family in FAMILY_OF.items()} == registered, STALE


def test_every_family_module_is_listed():
    modules = {path.stem for path in (ROOT / "shapecli" / "layers").glob("*.py")} - {"__init__", "index"}
    assert set(FAMILIES) == modules
    assert len(FAMILIES) == len(set(FAMILIES))


def test_importing_a_family_alone_registers_every_name_the_index_gives_it():
    code = (
        "import importlib\n"
        "from shapecli import registry\n"
        "from shapecli.layers.index import FAMILY_OF\n"
        "for family in sorted(set(FAMILY_OF.values())):\n"
        "    importlib.import_module('shapecli.layers.' + family)\n"
        "    missing = [w for w, f in FAMILY_OF.items() if f == family and w not in registry._LAYERS]\n"
        "    assert not missing, (family, missing)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_lookup_imports_only_the_family_of_the_type():
    code = (
        "import sys\n"
        "from shapecli.registry import lookup\n"
        "assert lookup('dense').type_name == 'Dense'\n"
        "assert lookup('Conv2d').type_name == 'Conv2d'\n"
        "assert lookup('Bottleneck') is None  # a block's name: no family is imported for it\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('shapecli.layers.'))))\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    imported = {name.removeprefix("shapecli.layers.") for name in result.stdout.split()}
    # conv and core, what they import (core: activation's ActivationWord), and the index: no other family
    assert {"conv", "core", "index"} <= imported <= {"conv", "core", "index", "activation"}


def test_layer_types_keep_the_family_order_whichever_family_was_looked_up_first():
    code = (
        "from shapecli.layers import FAMILIES\n"
        "from shapecli.registry import lookup\n"
        "for name in ('TransformerEncoder', 'Flatten', 'Dense'):\n"
        "    lookup(name)\n"
        "from shapecli.registry import LAYER_TYPES\n"
        "order = [FAMILIES.index(cls.__module__.rpartition('.')[2]) for cls in LAYER_TYPES]\n"
        "assert order == sorted(order), order\n"
        "assert len(LAYER_TYPES) == len({c.__module__ + c.__qualname__ for c in LAYER_TYPES})\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_an_unknown_name_is_none_and_a_known_one_in_any_case_is_found():
    from shapecli.registry import lookup

    assert lookup("NoSuchLayer") is None
    assert lookup("dEnSe") is lookup("Linear") is lookup("dense")
