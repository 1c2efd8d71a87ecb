"""`shapecli check`: find spec files and check each with the inputs it is meant for."""

from __future__ import annotations

import fnmatch
import os
from typing import NamedTuple

from .errors import Diagnostic, InputError, MissingInput, SpecError, diagnostic
from .infer import infer
from .spec import load_model
from .yamlsrc import display_name, read_spec

SPEC_SUFFIXES = (".yaml", ".yml")


class FileResult(NamedTuple):
    """The outcome of checking one spec file; `internal` marks a bug in shapecli met on it."""

    file: str
    text: str | None
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    internal: bool = False
    model: object = None
    """The Model, when kept (for the HTML overview) and the spec could be read."""
    trace: object = None
    """The Trace, when kept (for the HTML overview) and the shapes were inferred."""

    def passed(self, strict: bool) -> bool:
        """No errors (and, when strict, no warnings)."""
        return not self.errors and not (strict and self.warnings)


def find_specs(paths: list[str]) -> list[str]:
    """The spec files named by files, directories (searched for *.yaml / *.yml) and globs.

    Directory symlinks are not followed (a link loop cannot make the search endless); a
    named path that exists but cannot be read is kept, to be reported as that file's error.
    """
    found: list[str] = []
    for path in paths:
        if any(c in path for c in "*?["):
            matches = _glob(path)
            if not matches:
                raise InputError(f"no file matches {display_name(path)}")
            found += matches
        elif os.path.isdir(path):
            found += _walk(path)
        elif path == "-" or os.path.lexists(path):
            found.append(path)
        else:
            raise InputError(f"{display_name(path)}: no such file or directory")
    return list(dict.fromkeys(found))


def _walk(folder: str) -> list[str]:
    """The spec files below `folder`, in order, without following directory symlinks."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        found += [os.path.join(root, f) for f in sorted(files) if f.endswith(SPEC_SUFFIXES)]
    return found


def _glob(pattern: str) -> list[str]:
    """The files matching `pattern` (`*`, `?`, `[…]` within a name, `**` for any depth), in order,
    as glob.glob(recursive=True) finds them but without following directory symlinks."""
    parts = pattern.split("/")
    fixed = 0
    while fixed < len(parts) - 1 and not any(c in parts[fixed] for c in "*?["):
        fixed += 1
    base = "/".join(parts[:fixed]) or ("/" if pattern.startswith("/") else "")
    wanted = parts[fixed:]
    deep = "**" in wanted
    found = []
    for root, dirs, files in os.walk(base or "."):
        relative = os.path.relpath(root, base or ".")
        names = [] if relative == "." else relative.split(os.sep)
        dirs.sort()
        if not deep and len(names) >= len(wanted) - 1:
            dirs.clear()
        for file in sorted(files):
            if _matches(wanted, [*names, file]):
                found.append(os.path.join(base, *names, file) if base else os.path.join(*names, file))
    return found


def _matches(patterns: list[str], names: list[str]) -> bool:
    """Whether path components `names` match glob components `patterns`."""
    if not patterns:
        return not names
    head = patterns[0]
    if head == "**":
        return any(_matches(patterns[1:], names[i:]) for i in range(len(names) + 1))
    if not names or (names[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatch.fnmatchcase(names[0], head) and _matches(patterns[1:], names[1:])


def check_file(path: str, given: list, convention: str | None, keep: bool = False) -> FileResult:
    """Check one spec: with `given` inputs when there are any, else its own `check: {inputs}`.

    A bug met on one file is reported for that file (and makes the run exit 3) without
    stopping the others. `keep` keeps the model and trace in the result (for a report).
    """
    text = None
    name = display_name(path)
    model = None
    try:
        name, text = read_spec(path)
        try:
            model = load_model(text, name, convention or "torch")
        except SpecError:
            declared = None if convention else _declared_convention(text)
            if declared in (None, "torch"):
                raise
            model = load_model(text, name, declared)
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
        return FileResult(name, text, [], [*model.warnings, skipped], model=model if keep else None)
    except (SpecError, InputError) as e:
        return FileResult(name, text, [diagnostic(e)._replace(file=name)], [])
    except Exception as e:  # noqa: BLE001 - one file's bug must not hide the others' results
        bug = Diagnostic(
            "input_error",
            f"internal error in shapecli on this file ({type(e).__name__}: {e}); please report it",
            name,
        )
        return FileResult(name, text, [bug], [], internal=True)
    if keep:
        return FileResult(name, text, trace.errors, trace.warnings, model=model, trace=trace)
    return FileResult(name, text, trace.errors, trace.warnings)


def _declared_convention(text: str) -> str | None:
    """The `check: {convention}` a spec names, read without building it (for a spec valid only under it)."""
    from .yamlsrc import YMap, parse_yaml

    try:
        root = parse_yaml(text)
    except SpecError:
        return None
    plan = root.get("check") if isinstance(root, YMap) else None
    return plan.get("convention") if isinstance(plan, YMap) and isinstance(plan.get("convention"), str) else None
