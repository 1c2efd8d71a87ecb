"""The `shapecli` command: parses options, runs the stages, maps errors to exit codes.

Exit codes: 0 the model fits; 1 shapes do not fit; 2 invalid spec or usage;
3 internal error (a bug in shapecli).
"""

from __future__ import annotations

import gc
import json
import os
import sys

import click

from . import __version__
from .conventions import CONVENTIONS, DTYPE_BYTES
from .errors import InputError, ShapecliError, SpecError, diagnostic

EXIT_OK, EXIT_MISMATCH, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3

_EXAMPLES = """
\b
Examples:
  shapecli inspect configs/mlp.yaml --input 2x20
  shapecli inspect configs/siamese.yaml -i query=2x20 -i doc=2x20 --format json
  shapecli inspect configs/mlp.yaml -i 2x20 --convention keras
  cat model.yaml | shapecli inspect - --input Bx20
  shapecli inspect configs/unet.yaml --input 1x3xHxW --where H=256,W=256
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="shapecli", message="%(prog)s %(version)s")
def main() -> None:
    """Infer every tensor and parameter shape of a model spec, before training.

    A spec is a YAML file of layers declared without input sizes, as in
    MXNet Gluon, Keras or PyTorch's Lazy modules; shapecli propagates the
    input shape through it and shows each parameter before and after
    inference, or exactly where the shapes do not fit.
    """


def _input_option(help_text: str):
    """The --input option of inspect and check."""
    return click.option("-i", "--input", "inputs", multiple=True, metavar="[NAME=]SHAPE", help=help_text)


def _max_errors_option(help_text: str):
    """The --max-errors option of inspect and check."""
    return click.option("--max-errors", type=click.IntRange(0), default=20, show_default=True, help=help_text)


def _parse_input(value: str) -> tuple[str | None, tuple]:
    from .dims import parse_shape

    name, separator, shape = value.partition("=")
    if not separator:
        return None, parse_shape(value)
    try:
        return name.strip(), parse_shape(shape)
    except InputError as e:
        raise InputError(f"--input {value}: {e.message}") from None


def _stdout_console():
    from rich.console import Console

    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
    return Console(width=width, highlight=False, emoji=False)


def _report(diagnostics, text: str | None) -> None:
    from rich.console import Console

    from .render import render_diagnostic

    console = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)
    for d in diagnostics:
        console.print(render_diagnostic(d, text))


@main.command(epilog=_EXAMPLES, short_help="Infer a spec's shapes and parameters, or show where they do not fit.")
@click.argument("spec", metavar="SPEC")
@_input_option("Input shape such as 2x20 or Bx3xHxW; name=SHAPE for each input of a multi-input spec.")
@click.option(
    "-c",
    "--convention",
    type=click.Choice(list(CONVENTIONS)),
    default="torch",
    show_default=True,
    help="Parameter names, layouts and defaults of this framework.",
)
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Tables for people, or one JSON document for scripts.",
)
@click.option(
    "--dtype",
    type=click.Choice(list(DTYPE_BYTES)),
    default="float32",
    show_default=True,
    help="Element type used for parameter memory.",
)
@click.option(
    "-w",
    "--where",
    "wheres",
    multiple=True,
    metavar="SYM=V[,V…][,SYM=V…]",
    help="Evaluate the symbolic result at these values, e.g. H=224,W=224 or H=224,225,256 (each is checked).",
)
@_max_errors_option("Most errors shown (0: all).")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def inspect(spec, inputs, convention, output_format, dtype, wheres, max_errors, debug):
    """Show every parameter's shape before and after inference for SPEC (a YAML file, or - for stdin).

    Symbolic inputs (Bx3xHxW) give shapes as formulas of the symbols and the
    conditions under which the model fits ("Valid inputs require").
    """
    code = _guarded(debug, lambda: _inspect(spec, inputs, convention, output_format, dtype, wheres, max_errors))
    sys.exit(code)


def _inspect(spec, inputs, convention, output_format, dtype, wheres, max_errors=20) -> int:
    from .dims import parse_where
    from .explain import where_violations
    from .infer import evaluate_at, infer
    from .render import failure_json, render_tables, trace_json
    from .spec import load_model
    from .yamlsrc import read_spec

    text = None
    file = "<stdin>" if spec == "-" else spec
    try:
        given = [_parse_input(v) for v in inputs]
        file, text = read_spec(spec)
        model = load_model(text, file, convention)
        trace = infer(model, given, dtype)
        evaluations = [evaluate_at(trace, b) for where in wheres for b in parse_where(where, trace.symbols)]
    except (SpecError, InputError) as e:
        found = diagnostic(e)
        if output_format == "json":
            _print_json(failure_json(file, convention, [found]))
        _report([found], text)
        return EXIT_INVALID
    if output_format == "json":
        _print_json(trace_json(trace, evaluations))
    else:
        render_tables(trace, _stdout_console(), evaluations)
    _report(_limited(trace.errors, max_errors) + where_violations(trace, evaluations) + trace.warnings, text)
    failed = trace.errors or any(e.violated for e in evaluations)
    return EXIT_MISMATCH if failed else EXIT_OK


_CHECK_EXAMPLES = """
\b
Examples:
  shapecli check configs/
  shapecli check 'models/**/*.yaml' --strict --format github
  shapecli check model.yaml --input 8x3x224x224

\b
A spec names the inputs it is meant for with a top-level key:
  check: {inputs: {image: 8x3x224x224}}
"""


@main.command(epilog=_CHECK_EXAMPLES, short_help="Check spec files, folders and globs (for CI).")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@_input_option("Input shape for every spec (default: each spec's check: inputs).")
@click.option(
    "-c",
    "--convention",
    type=click.Choice(list(CONVENTIONS)),
    default=None,
    help="Convention for every spec (default: each spec's, else torch).",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="A line per file, GitHub Actions annotations, or one JSON document.",
)
@_max_errors_option("Most errors shown per file (0: all).")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def check(paths, inputs, convention, strict, output_format, max_errors, debug):
    """Check spec files, directories (every *.yaml / *.yml) and globs, for CI.

    Exits 0 only if every spec passes; 1 if any has an error (or, with
    --strict, a warning); 2 for unusable arguments.
    """
    sys.exit(_guarded(debug, lambda: _check(paths, inputs, convention, strict, output_format, max_errors)))


def _check(paths, inputs, convention, strict, output_format, max_errors) -> int:
    from .check import check_file, find_specs
    from .render import check_json, check_line, check_summary, github_annotations

    given = [_parse_input(v) for v in inputs]
    files = find_specs(list(paths))
    if not files:
        raise InputError("no spec files found (looked for *.yaml and *.yml)")
    console = _stdout_console()
    results = []
    for path in files:
        result = check_file(path, given, convention)
        results.append(result)
        if output_format == "text":
            console.print(check_line(result, strict), no_wrap=True, overflow="ignore", crop=False)
            _report(_limited(result.errors, max_errors) + result.warnings, result.text)
    if output_format == "json":
        _print_json(check_json(results, strict))
    elif output_format == "github":
        sys.stdout.write("\n".join(github_annotations(results, strict)) + "\n")
    else:
        console.print(check_summary(results, strict), no_wrap=True, overflow="ignore", crop=False)
    return EXIT_OK if all(r.passed(strict) for r in results) else EXIT_MISMATCH


def _limited(errors: list, limit: int) -> list:
    """At most `limit` errors (0: all), the rest counted in a last one."""
    if not limit or len(errors) <= limit:
        return errors
    from .errors import Diagnostic

    more = len(errors) - limit
    return errors[:limit] + [
        Diagnostic(
            "more_errors",
            f"{more} more error{'s' if more > 1 else ''} not shown (raise --max-errors, or 0 for all)",
            errors[0].file,
        )
    ]


_EXPORT_EXAMPLES = """
\b
Examples:
  shapecli export configs/resnet50.yaml --to torch -o resnet50.py
  shapecli export configs/mlp.yaml --to torch --input 2x20
  shapecli export configs/mlp.yaml --to keras --input 2x20 -o mlp_keras.py
  shapecli export configs/resnet50.yaml --to torch --check resnet50.py   # in CI
"""


@main.command(epilog=_EXPORT_EXAMPLES, short_help="Write a spec's model as PyTorch or Keras source.")
@click.argument("spec", metavar="SPEC")
@click.option(
    "-t", "--to", "framework", type=click.Choice(["torch", "keras"]), required=True, help="The framework to write."
)
@_input_option("Input shape, where a parameter's size depends on it (name=SHAPE for each input).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write to FILE (default: stdout).")
@click.option(
    "--check",
    "check_file",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Exit 1 if FILE is not what this command writes now (stale), 0 if it is.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def export(spec, framework, inputs, output, check_file, debug):
    """Write SPEC's model as standalone PyTorch or Keras source (a YAML file, or - for stdin).

    The source has a class per block and one for the model; its parameter names are
    those inspect prints under that framework's convention. A spec exports to the
    framework of its convention (its `check: {convention}`, else the one --to names).
    """
    sys.exit(_guarded(debug, lambda: _export(spec, framework, inputs, output, check_file)))


def _export(spec, framework, inputs, output, check_file) -> int:
    from . import api
    from .export import export_source

    if output and check_file:
        raise InputError("--check compares with FILE; it cannot be combined with --output")
    given = [_parse_input(v) for v in inputs]
    file = "<stdin>" if spec == "-" else spec
    if output and os.path.abspath(output) == os.path.abspath(file):
        raise InputError(f"--output {output} is the spec itself; shapecli never writes to the files it reads")
    try:
        from .yamlsrc import read_spec

        file, text = read_spec(spec)
        loaded = api.load_text(text, file, default=framework)
        plan = loaded._plan(framework, given)
    except api.ShapeError as e:
        _report(e._sources, e._text)
        return EXIT_MISMATCH
    except (api.SpecError, api.InputError) as e:
        _report(e._sources, e._text)
        return EXIT_INVALID
    except (SpecError, InputError) as e:
        _report([diagnostic(e)], None)
        return EXIT_INVALID
    command = " ".join(["shapecli export", file, "--to", framework, *(f"--input {v}" for v in inputs)])
    source = export_source(plan, loaded.sha256, command)
    if check_file:
        return _check_export(check_file, source, command)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(source)
    else:
        sys.stdout.write(source)
    return EXIT_OK


def _check_export(path: str, source: str, command: str) -> int:
    """Exit 0 if the file at `path` is `source`; else report where it is stale and exit 1."""
    from .errors import Diagnostic, Loc
    from .export import recorded_sha

    hint = f"regenerate it: {command} -o {path}"
    try:
        with open(path, encoding="utf-8") as f:
            current = f.read()
    except OSError as e:
        _report([Diagnostic("stale_export", f"{path} cannot be read ({e.strerror or e})", path, hint=hint)], None)
        return EXIT_MISMATCH
    if current == source:
        return EXIT_OK
    old, new = current.splitlines(), source.splitlines()
    recorded, now = recorded_sha(current), recorded_sha(source)
    if recorded and now and recorded[1] != now[1]:
        line = recorded[0]
        message = f"{path} is stale: it was generated from another version of the spec (spec sha256 differs)"
    else:
        line = next((i for i, (a, b) in enumerate(zip(old, new), 1) if a != b), min(len(old), len(new)) + 1)
        message = f"{path} is stale: line {line} differs from what shapecli export writes now"
    _report([Diagnostic("stale_export", message, path, Loc(max(line, 1), 1), hint=hint)], current)
    return EXIT_MISMATCH


@main.command(short_help="List the layer types, or describe one.")
@click.argument("name", required=False, metavar="[TYPE]")
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="Tables, JSON, or the Markdown list the README embeds.",
)
def layers(name, output_format):
    """List the layer types, or describe TYPE: its arguments, other names and defaults.

    \b
    Examples:
      shapecli layers
      shapecli layers Conv2d
      shapecli layers --format json
    """
    sys.exit(_guarded(False, lambda: _layers(name, output_format)))


def _layers(name, output_format) -> int:
    from .catalog import describe, layer_types, markdown, render_catalog, render_layer
    from .errors import did_you_mean
    from .registry import all_type_names, lookup

    if name is not None:
        cls = lookup(name)
        if cls is None:
            hint = did_you_mean(name, all_type_names())
            click.echo(f"shapecli: error: unknown layer type '{name}'" + (f" ({hint})" if hint else ""), err=True)
            return EXIT_INVALID
        if output_format == "json":
            _print_json(describe(cls))
        else:
            render_layer(cls, _stdout_console())
        return EXIT_OK
    if output_format == "json":
        _print_json({"layers": [describe(cls) for cls in layer_types()]})
    elif output_format == "markdown":
        sys.stdout.write(markdown())
    else:
        render_catalog(_stdout_console())
    return EXIT_OK


def _print_json(document: dict) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _guarded(debug: bool, run) -> int:
    """Run a command body; an unexpected exception becomes a one-line report and exit 3.

    The cyclic garbage collector is off meanwhile: a command builds many small
    objects and hardly any cycles, and the collector would rescan the growing
    heap again and again (a third of the time on a 100,000-layer spec).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return run()
    except ShapecliError as e:
        click.echo(f"shapecli: error: {e.message}", err=True)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:
        if debug:
            raise
        click.echo(
            f"shapecli: internal error: {type(e).__name__}: {e}\n"
            "This is a bug in shapecli; please report it with the spec and command. "
            "Run again with --debug to see the traceback.",
            err=True,
        )
        return EXIT_INTERNAL
    finally:
        if collecting:
            gc.enable()
