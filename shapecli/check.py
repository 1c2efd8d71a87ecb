"""`shapecli check`: find spec files and check each with the inputs it is meant for."""

from __future__ import annotations

import fnmatch
import os

from .records import NamedTuple
from . import lints
from .contract import declared_findings, declared_run, load_spec, run_spec
from .errors import Diagnostic, InputError, MissingInput, SpecError, diagnostics, did_you_mean
from .spec.schema import TOP_KEYS
from .totals import run_totals
from .yamlsrc import display_name, parse_yaml, read_spec

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
    outputs: dict | None = None
    """The model's outputs and their shapes, when the shapes were inferred."""
    totals: object = None
    """The run's `totals.RunTotals` (params, trainable, buffers, MACs, memory), when the shapes were inferred."""
    requires: list = ()
    """The conditions on the input symbols (of the run on the declared inputs, when there is one)."""
    skipped: bool = False
    """A YAML file that is not a spec (no `layers:`): not checked."""

    def passed(self, strict: bool) -> bool:
        """No errors (and, when strict, no warnings)."""
        return not self.errors and not (strict and self.warnings)


def find_specs(paths: list[str], exclude: tuple[str, ...] = ()) -> list[str]:
    """The spec files named by files, directories (searched for *.yaml / *.yml) and globs."""
    return [path for path, _explicit in find_spec_files(paths, exclude)]


def find_spec_files(paths: list[str], exclude: tuple[str, ...] = ()) -> list[tuple[str, bool]]:
    """(path, named explicitly) of the files named by files, directories (searched for *.yaml /
    *.yml) and globs, less those an `exclude` glob matches (see `excluded`).

    Directory symlinks are not followed (a link loop cannot make the search endless); a
    named path that exists but cannot be read is kept, to be reported as that file's error.
    """
    found: dict[str, bool] = {}
    for path in paths:
        if any(c in path for c in "*?["):
            matches = _glob(path)
            if not matches:
                raise InputError(f"no file matches {display_name(path)}")
            for match in matches:
                found.setdefault(match, False)
        elif os.path.isdir(path):
            for match in _walk(path):
                found.setdefault(match, False)
        elif path == "-" or os.path.lexists(path):
            found[path] = True
        else:
            raise InputError(f"{display_name(path)}: no such file or directory")
    return [(path, explicit) for path, explicit in found.items() if not excluded(path, exclude)]


def excluded(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether an --exclude glob matches `path`: a glob with a `/` matches the path or a folder it is
    in (`configs/legacy`, `**/hydra/*.yaml`); one without matches the file's or a folder's name
    (`train.yaml`, `*.hydra.yaml`, `legacy`). `*`, `?` and `[…]` stay within a name; `**` spans folders."""
    if not patterns or path == "-":
        return False
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    for pattern in patterns:
        names = _names(absolute if os.path.isabs(pattern) else relative)
        parts = _names(pattern)
        if len(parts) == 1:
            if any(fnmatch.fnmatchcase(name, parts[0]) for name in names):
                return True
        elif parts and any(_matches(parts, names[:end]) for end in range(1, len(names) + 1)):
            return True
    return False


def _names(path: str) -> list[str]:
    """The components of a path or glob, without empty and `.` ones."""
    return [name for name in path.replace(os.sep, "/").split("/") if name not in ("", ".")]


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
    path: str,
    given: list,
    convention: str | None,
    keep: bool = False,
    explicit: bool = True,
    overrides: dict | None = None,
    memory: bool = True,
) -> FileResult:
    """Check one spec with the inputs of the contract (`contract.run_inputs`): `given` when there are
    any, else each variant of its own `check:` key (its inputs, the parameters it sets, its
    assertions and memory limit); with concrete inputs, also on its declared symbolic inputs. The
    result's outputs, totals and requirements are those of the first variant that ran (the spec as
    written, when its `check:` lists the default first); its problems are every variant's.

    A YAML file that is not a spec (see `looks_like_spec`) is skipped, with a `not_a_spec` warning
    when it was named `explicit`ly. A bug met on one file is reported for that file (and makes the
    run exit 3) without stopping the others. `keep` keeps the model and trace in the result;
    without `memory` the totals leave the training memory uncomputed (None), for reports that do
    not show it.
    """
    text = None
    name = display_name(path)
    try:
        name, text = read_spec(path)
        try:
            model = load_spec(text, name, convention, overrides)
        except SpecError:
            if not looks_like_spec(text):
                return _not_a_spec(name, text, explicit)
            raise
    except (SpecError, InputError) as e:
        return FileResult(name, text, [d._replace(file=d.file or name) for d in diagnostics(e)], [])
    except Exception as e:  # noqa: BLE001 - one file's bug must not hide the others' results
        return _internal(name, text, e)
    errors, warnings, requires = [], [], []
    trace = variant = None
    shown = None  # (variant, trace, requires) of the first variant that ran: what the result reports
    variants = [None] if given else model.variants
    for index, plan in enumerate(variants):
        label = _variant_label(index, plan, len(variants))
        try:
            variant = model
            if plan is not None and plan.set:
                variant = load_spec(text, name, convention, {**dict(plan.set), **(overrides or {})})
            if plan is not None and plan is not variant.check:
                variant.check = plan
            trace, inputs = run_spec(variant, given)
            found = lints.warnings(variant, trace)
            requires = trace.requires
            symbolic = declared_run(variant, trace, inputs)
            if symbolic is not None:
                found += declared_findings(variant, found, lints.warnings(variant, symbolic))
                requires = symbolic.requires
        except MissingInput as e:
            skipped = Diagnostic(
                "not_inferred",
                f"the spec is valid, but shapes were not inferred: {e.message}",
                name,
                hint=e.hint or "give the spec a `check: {inputs: {x: 2x20}}` key, or pass --input",
            )
            warnings += [w for w in (*model.warnings, skipped) if w not in warnings]
            continue
        except (SpecError, InputError) as e:
            errors += [_noted(d._replace(file=d.file or name), label) for d in diagnostics(e)]
            continue
        except Exception as e:  # noqa: BLE001 - one file's bug must not hide the others' results
            return _internal(name, text, e)
        problems = list(trace.errors)
        if plan is not None and plan.max_memory is not None and not problems:
            from .memory.budget import memory_limit_errors

            problems += memory_limit_errors(variant, trace, plan.max_memory)
        if plan is not None and plan.expect:
            from .assertions import check_assertions

            problems += check_assertions(variant, plan, trace)
        errors += [_noted(d, label) for d in problems]
        warnings += [_noted(w, label) for w in found if _noted(w, label) not in warnings]
        shown = shown or (variant, trace, requires)
    if shown is None:
        return FileResult(name, text, errors, warnings, model=model if keep else None)
    variant, trace, requires = shown
    return FileResult(
        name,
        text,
        errors,
        warnings,
        model=variant if keep else None,
        trace=trace._replace(warnings=warnings) if keep else None,
        outputs=trace.outputs,
        totals=run_totals(variant, trace, memory),
        requires=[r.text for r in requires],
    )


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


SPEC_KEYS = (*TOP_KEYS, "convention")
"""Top-level keys only a spec has: a mapping with one of them is a spec, if a broken one."""


def looks_like_spec(text: str) -> bool:
    """Whether a YAML file that failed to load as a spec is meant as one: a mapping with `layers:`,
    another spec key, or a key close to `layers` (a typo). A list, a scalar, an empty file or a
    mapping of other keys (a Hydra or CI config next to the specs) is not; invalid YAML may be."""
    if all(not line.strip() or line.lstrip().startswith(("#", "---", "...")) for line in text.splitlines()):
        return False
    try:
        root = parse_yaml(text)
    except SpecError:
        return True
    if not isinstance(root, dict):
        return False
    keys = [key for key in root if isinstance(key, str)]
    return any(key in SPEC_KEYS for key in keys) or any(did_you_mean(key, ["layers"]) for key in keys)


def _not_a_spec(name: str, text: str, explicit: bool) -> FileResult:
    """The result of a YAML file that is not a spec: skipped, with a warning if it was named."""
    warnings = []
    if explicit:
        warnings.append(
            Diagnostic(
                "not_a_spec",
                "not a spec (no layers: key): skipped",
                name,
                hint="leave it out of the paths checked, or pass --exclude for it",
            )
        )
    return FileResult(name, text, [], warnings, skipped=True)
