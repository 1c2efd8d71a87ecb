"""The `shapecli` command: parses options, runs the stages, maps errors to exit codes.

Exit codes: 0 the model fits; 1 shapes do not fit; 2 invalid spec or usage;
3 internal error (a bug in shapecli). The code reflects the result even when
the reader of the output goes away (`| head -1`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

import click

from . import __version__
from .conventions import CONVENTIONS, DTYPE_BYTES
from .errors import Diagnostic, InputError, ShapecliError, SpecError, diagnostic
from .kinds import EXIT_INTERNAL, EXIT_INVALID, EXIT_MISMATCH, EXIT_OK
from .views import SECTIONS, TableView

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


def _convention_option():
    """The --convention option of inspect, check, graph and diff: it overrides the spec's own."""
    return click.option(
        "-c",
        "--convention",
        type=click.Choice(list(CONVENTIONS)),
        default=None,
        help="Parameter names, layouts and defaults of this framework [default: the spec's convention, else torch].",
    )


def _max_errors_option(help_text: str):
    """The --max-errors option of inspect and check."""
    return click.option("--max-errors", type=click.IntRange(0), default=20, show_default=True, help=help_text)


def _report(diagnostics, text: str | None) -> None:
    """Print diagnostics on standard error."""
    if not diagnostics:
        return
    from .render import render_diagnostic, stderr_console

    console = stderr_console()
    for d in diagnostics:
        console.print(render_diagnostic(d, text))


def _output(write) -> None:
    """Run `write` (which prints results); if the reader of standard output has gone away,
    drop the rest silently — the exit code still tells the result."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


@contextlib.contextmanager
def _destination(output: str | None):
    """Standard output, or the file `output` opened for writing (an unwritable path is an InputError)."""
    if output is None:
        yield sys.stdout
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            yield f
    except OSError as e:
        raise InputError(f"cannot write {output}: {e.strerror or e}") from None


def _write_output(output: str | None, write) -> None:
    """Run `write(file)` on standard output (quietly if its reader goes away) or on the file `output`."""
    if output is None:
        _output(lambda: write(sys.stdout))
        return
    with _destination(output) as f:
        write(f)


def _refuse_overwrite(output: str | None, spec: str) -> None:
    """shapecli never writes to the files it reads."""
    if output and spec != "-" and os.path.exists(output) and os.path.exists(spec) and os.path.samefile(output, spec):
        raise InputError(f"-o {output} is the spec itself; shapecli never overwrites the files it reads")


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit


@main.command(epilog=_EXAMPLES, short_help="Infer a spec's shapes and parameters, or show where they do not fit.")
@click.argument("spec", metavar="SPEC")
@_input_option(
    "Input shape such as 2x20 or Bx3xHxW; name=SHAPE for each input of a multi-input spec "
    "[default: the spec's check: inputs, else its declared inputs]."
)
@_convention_option()
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "html"]),
    default="table",
    show_default=True,
    help="Tables for people, one JSON document for scripts, or a self-contained HTML report (with the graph).",
)
@click.option("-o", "--output", metavar="FILE", help="Write the result to FILE instead of standard output.")
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
@click.option(
    "--depth",
    type=click.IntRange(1),
    default=None,
    help="Fold the block uses nested deeper than N into one row each, with subtotals (torchinfo's depth).",
)
@click.option("--expand", is_flag=True, help="List every copy of a repeated layer or block (default: one row ×N).")
@click.option(
    "--sections",
    metavar="LIST",
    default=",".join(SECTIONS),
    show_default=True,
    help="The tables printed, comma-separated: " + ", ".join(SECTIONS) + ".",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def inspect(spec, inputs, convention, output_format, output, dtype, wheres, max_errors, depth, expand, sections, debug):
    """Show every parameter's shape before and after inference for SPEC (a YAML file, or - for stdin).

    Symbolic inputs (Bx3xHxW) give shapes as formulas of the symbols and the
    conditions under which the model fits ("Valid inputs require"). Without
    --input, the spec's own check: inputs (else its declared inputs) are used.
    """

    def run():
        view = TableView(depth, expand, _sections(sections))
        return _inspect(spec, inputs, convention, output_format, dtype, wheres, max_errors, output, view)

    sys.exit(_guarded(debug, run))


def _sections(value: str) -> tuple[str, ...]:
    """The --sections list, checked."""
    chosen = tuple(dict.fromkeys(word.strip().lower() for word in value.split(",") if word.strip()))
    unknown = [word for word in chosen if word not in SECTIONS]
    if unknown or not chosen:
        from .errors import did_you_mean

        hint = did_you_mean(unknown[0], SECTIONS) if unknown else None
        raise InputError(
            f"--sections {value!r}: "
            + (f"unknown section '{unknown[0]}'" if unknown else "no section")
            + f"; choose from {', '.join(SECTIONS)}",
            hint=hint,
        )
    return chosen


def _inspect(spec, inputs, convention, output_format, dtype, wheres, max_errors=20, output=None, view=None) -> int:
    from . import lints
    from .contract import DEFAULT_CONVENTION, load_spec, run_spec
    from .dims import parse_input, parse_where
    from .explain import where_violations
    from .infer import evaluate_at
    from .render import failure_document, inspect_document, render_tables, stdout_console, write_json
    from .yamlsrc import display_name, read_spec

    text = None
    file = display_name(spec)
    try:
        given = [parse_input(v) for v in inputs]
        file, text = read_spec(spec)
        _refuse_overwrite(output, spec)
        model = load_spec(text, file, convention)
        trace, _ = run_spec(model, given, dtype)
        warnings = lints.warnings(model, trace)
        evaluations = [evaluate_at(trace, b) for where in wheres for b in parse_where(where, trace.symbols)]
    except (SpecError, InputError) as e:
        found = diagnostic(e)
        if output_format == "json":
            document = failure_document(file, convention or DEFAULT_CONVENTION, [found])
            _write_output(output, lambda f: write_json(document, f))
        elif output_format == "html":
            from .report import failure_report

            _write_output(output, lambda f: f.write(failure_report(file, text, [found])))
        _report([found], text)
        return EXIT_INVALID
    violations = where_violations(trace, evaluations)
    if output_format == "json":
        document = inspect_document(trace, evaluations, violations, warnings)
        _write_output(output, lambda f: write_json(document, f))
    elif output_format == "html":
        from .report import inspect_report

        reported = trace._replace(warnings=warnings)
        view = view or TableView()
        page = inspect_report(model, reported, text, evaluations, depth=view.depth, expand=view.expand)
        _write_output(output, lambda f: f.write(page))
    elif output is not None:
        from rich.console import Console

        with _destination(output) as f:
            console = Console(file=f, width=120, color_system=None, highlight=False)
            render_tables(trace, console, evaluations, model, view)
    else:
        _output(lambda: render_tables(trace, stdout_console(), evaluations, model, view))
    _report(_limited(trace.errors, max_errors) + violations + warnings, text)
    return EXIT_MISMATCH if trace.errors or violations else EXIT_OK


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
@click.option("--strict", is_flag=True, help="Fail on warnings too (and on named files that are not specs).")
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="GLOB",
    help="Leave out the files a glob matches: a name (train.yaml, *.hydra.yaml, a folder's name) or a path "
    "(configs/legacy, **/hydra/*.yaml). Repeatable.",
)
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["text", "github", "json", "html"]),
    default="text",
    show_default=True,
    help="A line per file, GitHub Actions annotations, one JSON document, or an HTML overview with each report.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the JSON, HTML or GitHub report to FILE.")
@_max_errors_option("Most errors shown per file (0: all).")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def check(paths, inputs, convention, strict, excludes, output_format, output, max_errors, debug):
    """Check spec files, directories (every *.yaml / *.yml) and globs, for CI.

    Each spec runs on its check: inputs (or --input), and also on its declared
    symbolic inputs when it has some. YAML files without a layers: key are
    skipped (not specs). Exits 0 only if every spec passes; 1 if any has an
    error (or, with --strict, a warning); 2 for unusable arguments.
    """
    sys.exit(
        _guarded(debug, lambda: _check(paths, inputs, convention, strict, output_format, max_errors, output, excludes))
    )


def _check(paths, inputs, convention, strict, output_format, max_errors, output=None, excludes=()) -> int:
    from .check import check_file, excluded, find_spec_files
    from .dims import parse_input
    from .render import check_document, check_line, check_summary, emit, github_annotations, stdout_console, write_json

    try:
        if output and output_format == "text":
            raise InputError("--output writes a JSON, HTML or GitHub report: add --format json, html or github")
        given = [parse_input(v) for v in inputs]
        found = find_spec_files(list(paths))
        files = [(path, explicit) for path, explicit in found if not excluded(path, tuple(excludes))]
        if not found:
            raise InputError("no spec files found (looked for *.yaml and *.yml)")
        for path, _explicit in files:
            _refuse_overwrite(output, path)
    except InputError as e:
        if output_format == "json" and not (output and output_format == "text"):
            document = check_document([], strict, [diagnostic(e)])
            _output(lambda: write_json(document, sys.stdout))
        raise
    console = stdout_console()
    results = []
    for path, explicit in files:
        result = check_file(path, given, convention, keep=output_format == "html", explicit=explicit)
        results.append(result)
        if output_format == "text":
            line = check_line(result, strict)
            _output(lambda: emit(console, *line))  # noqa: B023 - called at once
            _report(_limited(result.errors, max_errors) + result.warnings, result.text)
    if output_format == "json":
        _write_output(output, lambda f: write_json(check_document(results, strict), f))
    elif output_format == "html":
        from .report import check_report

        _write_output(output, lambda f: f.write(check_report(results)))
        for result in results:
            _report(_limited(result.errors, max_errors) + result.warnings, result.text)
    elif output_format == "github":
        _write_output(output, lambda f: f.write("\n".join(github_annotations(results, strict)) + "\n"))
    else:
        _output(lambda: emit(console, check_summary(results, strict) + "\n", []))
    if any(r.internal for r in results):
        return EXIT_INTERNAL
    return EXIT_OK if all(r.passed(strict) for r in results) else EXIT_MISMATCH


def _limited(errors: list, limit: int) -> list:
    """At most `limit` errors (0: all), the rest counted in a last one."""
    if not limit or len(errors) <= limit:
        return errors
    more = len(errors) - limit
    return errors[:limit] + [
        Diagnostic(
            "more_errors",
            f"{more} more error{'s' if more > 1 else ''} not shown (raise --max-errors, or 0 for all)",
            errors[0].file,
        )
    ]


_GRAPH_EXAMPLES = """
\b
Examples:
  shapecli graph configs/resnet50.yaml --input 1x3x224x224 -o resnet50.svg
  shapecli graph configs/unet.yaml --input 1x3xHxW --depth 1 -f mermaid
  shapecli graph configs/bert_base.yaml -i input_ids=2x128 -i token_type_ids=2x128 --expand -o bert.dot
"""


@main.command(epilog=_GRAPH_EXAMPLES, short_help="Draw the model as a graph (SVG, Mermaid or DOT).")
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
    type=click.Choice(["svg", "mermaid", "dot"]),
    default=None,
    help="SVG (drawn by shapecli), Mermaid flowchart, or Graphviz DOT [default: from -o's suffix, else svg].",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--depth", type=click.IntRange(1), default=None, help="Fold block uses nested deeper than N (torchinfo's depth)."
)
@click.option("--expand", is_flag=True, help="Draw every copy of a repeated layer or block (default: one node ×N).")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def graph(spec, inputs, convention, output_format, output, depth, expand, debug):
    """Draw SPEC as a graph: layers with their key arguments and parameter counts, edges with
    the tensor shapes, boxes around block uses, repeats folded to one node, a failed layer in red.

    Exits 1 (after drawing) when shapes do not fit, 2 for an invalid spec. Without input
    shapes the structure is drawn alone.
    """
    sys.exit(_guarded(debug, lambda: _graph(spec, inputs, convention, output_format, output, depth, expand)))


def _graph(spec, inputs, convention, output_format, output, depth, expand) -> int:
    from .dims import parse_input
    from .errors import MissingInput
    from .graph import draw, format_for
    from .infer import infer
    from .spec import load_model
    from .yamlsrc import display_name, read_spec

    text = None
    file = display_name(spec)
    try:
        given = [parse_input(v) for v in inputs]
        file, text = read_spec(spec)
        model = load_model(text, file, convention)
        _refuse_overwrite(output, spec)
        notes = []
        try:
            trace = infer(model, given)
        except MissingInput as e:
            trace = None
            notes.append(
                Diagnostic(
                    "not_inferred",
                    f"the structure is drawn without shapes: {e.message}",
                    file,
                    hint="pass --input, or declare the input shapes in the spec",
                )
            )
        drawing = draw(model, trace, format_for(output, output_format), depth, expand)
    except (SpecError, InputError) as e:
        _report([diagnostic(e)], text)
        return EXIT_INVALID
    _write_output(output, lambda f: f.write(drawing.text))
    warnings = (trace.warnings if trace else model.warnings) + notes
    _report((trace.errors if trace else []) + warnings, text)
    for note in drawing.notes:
        click.echo(f"shapecli: note: {note}", err=True)
    return EXIT_MISMATCH if trace is not None and trace.errors else EXIT_OK


_DIFF_EXAMPLES = """
\b
Examples:
  shapecli diff old.yaml new.yaml
  shapecli diff HEAD~1:configs/resnet50.yaml configs/resnet50.yaml --format markdown
  shapecli diff main:models/net.yaml models/net.yaml -i 8x3x224x224 -f json
"""


@main.command(epilog=_DIFF_EXAMPLES, short_help="Show what a change to a spec does to the model.")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@_input_option("Input shape for both specs [default: each spec's check: inputs, else its declared inputs].")
@_convention_option()
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="Tables, one JSON document, or Markdown for a pull-request comment.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the result to FILE instead of standard output.")
@click.option(
    "--dtype",
    type=click.Choice(list(DTYPE_BYTES)),
    default="float32",
    show_default=True,
    help="Element type used for parameter memory.",
)
@_max_errors_option("Most errors shown per spec (0: all).")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def diff(old, new, inputs, convention, output_format, output, dtype, max_errors, debug):
    """Compare two specs OLD and NEW (files, - for stdin, or REV:PATH read from git): the layers
    added, removed and changed (matched by path), and the changes of the totals.

    Exits 0 when both specs infer (whether or not they differ), 1 when either has a shape
    error, 2 for an invalid spec, an unreadable REV:PATH or a bad argument.
    """
    sys.exit(_guarded(debug, lambda: _diff(old, new, inputs, convention, output_format, output, dtype, max_errors)))


def _diff(old, new, inputs, convention, output_format, output, dtype, max_errors) -> int:
    from .diff import diff_sides, load_side
    from .dims import parse_input
    from .render import stdout_console, write_json
    from .render.diff import diff_document, render_diff, render_markdown

    if old == "-" and new == "-":
        raise InputError("OLD and NEW cannot both be - (standard input)")
    given = [parse_input(v) for v in inputs]
    sides = []
    for argument in (old, new):
        _refuse_overwrite(output, argument)
        try:
            sides.append(load_side(argument, given, convention, dtype))
        except SpecError as e:
            _report([diagnostic(e)], getattr(e, "text", None) or _text_of(argument))
            return EXIT_INVALID
    result = diff_sides(*sides)
    if output_format == "json":
        _write_output(output, lambda f: write_json(diff_document(result), f))
    elif output_format == "markdown":
        _write_output(output, lambda f: f.write(render_markdown(result)))
    elif output is not None:
        from rich.console import Console

        with _destination(output) as f:
            render_diff(result, Console(file=f, width=120, color_system=None, highlight=False))
    else:
        _output(lambda: render_diff(result, stdout_console()))
    for side in sides:
        _report(_limited(side.trace.errors, max_errors), side.text)
    return EXIT_MISMATCH if result.errors else EXIT_OK


def _text_of(argument: str) -> str | None:
    """The text of a spec argument for a code frame (None when it cannot be read again)."""
    from .diff import read_argument

    if argument == "-":
        return None
    try:
        return read_argument(argument)[1]
    except (InputError, SpecError):
        return None


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
    from .render import stdout_console, write_json

    if name is not None:
        cls = lookup(name)
        if cls is None:
            hint = did_you_mean(name, all_type_names())
            error = Diagnostic("input_error", f"unknown layer type '{name}'" + (f" ({hint})" if hint else ""))
            if output_format == "json":
                _output(lambda: write_json({"layers": [], "errors": [_error_json(error)]}, sys.stdout))
            _report([error], None)
            return EXIT_INVALID
        if output_format == "json":
            _output(lambda: write_json(describe(cls), sys.stdout))
        else:
            _output(lambda: render_layer(cls, stdout_console()))
        return EXIT_OK
    if output_format == "json":
        _output(lambda: write_json({"layers": [describe(cls) for cls in layer_types()]}, sys.stdout))
    elif output_format == "markdown":
        _output(lambda: sys.stdout.write(markdown()))
    else:
        _output(lambda: render_catalog(stdout_console()))
    return EXIT_OK


def _error_json(error: Diagnostic) -> dict:
    from .render import diagnostic_json

    return diagnostic_json(error)


def _guarded(debug: bool, run) -> int:
    """Run a command body; an unexpected exception becomes a one-line report and exit 3.

    The cyclic garbage collector is off meanwhile: a command builds many small
    objects and hardly any cycles, and the collector would rescan the growing
    heap again and again (a third of the time on a 100,000-layer spec).
    """
    collecting = gc.isenabled()
    gc.disable()
    _open_closed_streams()
    try:
        return run()
    except ShapecliError as e:
        _report([diagnostic(e)], None)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_INTERNAL
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


def _open_closed_streams() -> None:
    """A standard output the caller closed (`>&-`) swallows writes instead of being None to
    every print (a closed standard input is reported when a spec is read from it)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives until exit
