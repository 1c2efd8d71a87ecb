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


_INIT_EXAMPLES = """
\b
Examples:
  shapecli init configs/mlp.yaml --input 2x20 --seed 0 -o params.npz
  shapecli init configs/resnet50.yaml -i 1x3x224x224 --dtype float16 -o resnet50.npz
"""


@main.command(epilog=_INIT_EXAMPLES, short_help="Draw every parameter with numpy and write them to a .npz file.")
@click.argument("spec", metavar="SPEC")
@_input_option("Input shape such as 2x20 (default: the spec's check: inputs).")
@click.option(
    "-c",
    "--convention",
    type=click.Choice(list(CONVENTIONS)),
    default=None,
    help="Parameter names, layouts and initializers of this framework (default: the spec's, else torch).",
)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed of the random values.")
@click.option(
    "--dtype",
    type=click.Choice(["float32", "float64", "float16"]),
    default="float32",
    show_default=True,
    help="Element type of the parameters.",
)
@click.option("-o", "--output", required=True, metavar="FILE.npz", help="Where to write the parameters.")
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table of what was written, or one JSON document.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def init(spec, inputs, convention, seed, dtype, output, output_format, debug):
    """Initialize every parameter and buffer of SPEC for the given input: the deferred
    initialization made real. Values come from each layer's initializer (the spec's,
    else the framework's default), keyed by the convention's names; the same seed
    and spec give a byte-identical file.
    """
    from .execute import init_command

    sys.exit(_guarded(debug, lambda: init_command(spec, inputs, convention, seed, dtype, output, output_format)))


_RUN_EXAMPLES = """
\b
Examples:
  shapecli run configs/mlp.yaml --input 2x20
  shapecli run configs/resnet50.yaml -i 1x3x224x224 --data normal --format json
  shapecli run configs/mlp.yaml -i 2x20 --params params.npz --save activations.npz
"""


@main.command(epilog=_RUN_EXAMPLES, short_help="Run a forward pass in numpy, with activation statistics.")
@click.argument("spec", metavar="SPEC")
@_input_option("Input shape such as 2x20 (default: the --data file's, else the spec's check: inputs).")
@click.option(
    "-c",
    "--convention",
    type=click.Choice(list(CONVENTIONS)),
    default=None,
    help="Semantics, layouts and initializers of this framework (default: the spec's, else torch).",
)
@click.option(
    "--params",
    "params_file",
    default=None,
    metavar="FILE.npz",
    help="Parameters written by shapecli init (default: drawn with --seed).",
)
@click.option(
    "--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed of the parameters and the dummy data."
)
@click.option(
    "--data",
    multiple=True,
    metavar="uniform|normal|zeros|[NAME=]FILE.npy",
    help="The input data (default uniform(0, 1)); inputs that feed an Embedding get integer indices.",
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
@click.option("--save", default=None, metavar="FILE.npz", help="Keep every layer's output in a .npz file.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def run(spec, inputs, convention, params_file, seed, data, output_format, save, debug):
    """Run SPEC forward in numpy on dummy data, checking every layer's shape against the
    inference, and show each layer's activation statistics with the initialization
    problems they reveal (NaN/Inf, dead ReLUs, a std that shrinks or grows across the depth).
    """
    from .execute import run_command

    sys.exit(
        _guarded(debug, lambda: run_command(spec, inputs, convention, params_file, seed, data, output_format, save))
    )


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
