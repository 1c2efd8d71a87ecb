"""`shapecli check`: find spec files and check each with the inputs it is meant for."""

from __future__ import annotations

import fnmatch
import os
from typing import NamedTuple

from .errors import Diagnostic, InputError, MissingInput, SpecError, diagnostics
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


def check_file(
    path: str, given: list, convention: str | None, keep: bool = False, overrides: dict | None = None
) -> FileResult:
    """Check one spec: with `given` inputs when there are any, else with each variant of its
    own `check:` key (its inputs, and the model parameters it sets), under `convention` or
    the spec's own.

    A bug met on one file is reported for that file (and makes the run exit 3) without
    stopping the others. `keep` keeps the model and trace in the result (for a report).
    """
    text = None
    name = display_name(path)
    try:
        name, text = read_spec(path)
        model = load_model(text, name, convention, overrides)
    except (SpecError, InputError) as e:
        return FileResult(name, text, [d._replace(file=d.file or name) for d in diagnostics(e)], [])
    except Exception as e:  # noqa: BLE001 - one file's bug must not hide the others' results
        return _internal(name, text, e)
    errors, warnings, trace = [], [], None
    variants = [None] if given else model.variants
    for index, plan in enumerate(variants):
        label = _variant_label(index, plan, len(variants))
        try:
            variant = (
                model if plan is None or not plan.set else load_model(text, name, convention, _merged(plan, overrides))
            )
            trace = infer(variant, given or plan.inputs)
        except MissingInput as e:
            skipped = Diagnostic(
                "not_inferred",
                f"the spec is valid, but shapes were not inferred: {e.message}",
                name,
                hint="give the spec a `check: {inputs: {x: 2x20}}` key, or pass --input",
            )
            warnings += [*model.warnings, skipped]
            continue
        except (SpecError, InputError) as e:
            errors += [_noted(d._replace(file=d.file or name), label) for d in diagnostics(e)]
            continue
        except Exception as e:  # noqa: BLE001 - one file's bug must not hide the others' results
            return _internal(name, text, e)
        found = list(trace.errors)
        if plan is not None and plan.max_memory is not None and not found:
            from .memory.budget import memory_limit_errors

            found += memory_limit_errors(variant, trace, plan.max_memory)
        if plan is not None and plan.expect:
            from .assertions import check_assertions

            found += check_assertions(variant, plan, trace)
        errors += [_noted(d, label) for d in found]
        warnings += [w for w in trace.warnings if w not in warnings]
    if keep:
        return FileResult(name, text, errors, warnings, model=model, trace=trace)
    return FileResult(name, text, errors, warnings)


def _merged(plan, overrides: dict | None) -> dict:
    """A check variant's `set:` values, with the command line's --set winning."""
    return {**dict(plan.set), **(overrides or {})}


def _variant_label(index: int, plan, count: int) -> str | None:
    """A note naming the check variant a problem was found in, when there are several."""
    if count < 2:
        return None
    settings = ", ".join(f"{k}={v}" for k, v in (plan.set or {}).items())
    return f"in check variant {index + 1}" + (f" (set: {settings})" if settings else "")


def _noted(d: Diagnostic, label: str | None) -> Diagnostic:
    return d if label is None else d._replace(notes=(*d.notes, label))


def _internal(name: str, text: str | None, e: Exception) -> FileResult:
    bug = Diagnostic(
        "input_error",
        f"internal error in shapecli on this file ({type(e).__name__}: {e}); please report it",
        name,
    )
    return FileResult(name, text, [bug], [], internal=True)
