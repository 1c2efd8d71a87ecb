"""`shapecli check`: find spec files and check each with the inputs it is meant for."""

from __future__ import annotations

import glob
import os
from typing import NamedTuple

from .errors import Diagnostic, InputError, MissingInput, SpecError, diagnostic
from .infer import infer
from .spec import load_model
from .yamlsrc import read_spec

SPEC_SUFFIXES = (".yaml", ".yml")


class FileResult(NamedTuple):
    """The outcome of checking one spec file."""

    file: str
    text: str | None
    errors: list[Diagnostic]
    warnings: list[Diagnostic]

    def passed(self, strict: bool) -> bool:
        """No errors (and, when strict, no warnings)."""
        return not self.errors and not (strict and self.warnings)


def find_specs(paths: list[str]) -> list[str]:
    """The spec files named by files, directories (searched for *.yaml / *.yml) and globs."""
    found: list[str] = []
    for path in paths:
        if any(c in path for c in "*?["):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise InputError(f"no file matches {path}")
            found += [m for m in matches if os.path.isfile(m)]
        elif os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found += [os.path.join(root, f) for f in sorted(files) if f.endswith(SPEC_SUFFIXES)]
        elif os.path.isfile(path) or path == "-":
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return list(dict.fromkeys(found))


def check_file(path: str, given: list, convention: str | None) -> FileResult:
    """Check one spec: with `given` inputs when there are any, else its own `check: {inputs}`."""
    text = None
    name = "<stdin>" if path == "-" else path
    try:
        name, text = read_spec(path)
        model = load_model(text, name, convention or "torch")
        if convention is None and model.check.convention not in (None, "torch"):
            model = load_model(text, name, model.check.convention)
        trace = infer(model, given or model.check.inputs)
    except MissingInput as e:
        skipped = Diagnostic(
            "not_inferred",
            f"the spec is valid, but shapes were not inferred: {e.message}",
            name,
            hint="give the spec a `check: {inputs: {x: 2x20}}` key, or pass --input",
        )
        return FileResult(name, text, [], [*model.warnings, skipped])
    except (SpecError, InputError) as e:
        return FileResult(name, text, [diagnostic(e)._replace(file=name)], [])
    errors = trace.errors
    if model.check.max_memory is not None and not errors:
        from .memory.budget import memory_limit_errors

        errors = errors + memory_limit_errors(model, trace, model.check.max_memory)
    return FileResult(name, text, errors, trace.warnings)
