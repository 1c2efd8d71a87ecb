"""A corpus of broken specs: each must fail with its exit code, position and message.

tests/corpus/expected.json lists, for each file, the command-line arguments,
the exit code, the position of the first error (`line:col`, or null for errors
that are not in the file) and a fragment of the message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main

CORPUS = Path(__file__).parent / "corpus"
CASES = json.loads((CORPUS / "expected.json").read_text())
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (error|warning): ")


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_broken_spec(case):
    result = CliRunner().invoke(main, ["inspect", str(CORPUS / case["file"]), *case["args"]], catch_exceptions=False)
    assert result.exit_code == case["exit"], result.output
    assert "Traceback" not in result.output
    assert case["message"] in result.stderr, result.stderr
    first = next((line for line in result.stderr.splitlines() if case["message"] in line or LOCATED.match(line)), "")
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    if case["at"] is None:
        assert errors == [] or not LOCATED.match(errors[0]) or case["exit"] == 1, errors
    else:
        match = LOCATED.match(errors[0])
        assert match, errors
        assert f"{match['line']}:{match['col']}" == case["at"], errors[0]
        assert match["file"].endswith(case["file"])
    assert first


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60
    assert sum(c["at"] is not None for c in CASES) >= 60
    assert {c["file"] for c in CASES} == {p.name for p in CORPUS.iterdir() if p.suffix == ".yaml"}
