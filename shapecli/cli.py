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
from .errors import Diagnostic, InputError, ShapecliError, SpecError, diagnostic, diagnostics
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
  shapecli inspect configs/resnet50.yaml --input Bx3x224x224 --budget 24GiB
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


def _set_option():
    """The --set option: model parameters (the spec's top-level params:) for this run."""
    return click.option(
        "--set",
        "settings",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set a model parameter (the spec's params:), e.g. --set width=2 (repeatable).",
    )


def _overrides(settings) -> dict[str, str]:
    """NAME=VALUE texts → {name: value text}; a malformed one is an InputError."""
    found = {}
    for item in settings:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise InputError(f"--set {item}: expected NAME=VALUE, e.g. --set width=2")
        if name.strip() in found:
            raise InputError(f"--set gives '{name.strip()}' twice")
        found[name.strip()] = value
    return found


def _convention_option():
    """The --convention option: it overrides the spec's own."""
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
    if diagnostics:
        from .render import report

        report(diagnostics, text)


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
@_set_option()
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
    help="Element type of parameters and activations.",
)
@click.option(
    "--optimizer",
    type=click.Choice(["none", "sgd", "momentum", "adam", "adamw"]),
    default="adam",
    show_default=True,
    help="Optimizer whose state training memory counts.",
)
@click.option("--amp", type=click.Choice(["bf16", "fp16"]), default=None, help="Mixed precision (autocast) training.")
@click.option(
    "--device",
    type=click.Choice(["cuda", "cpu"]),
    default="cuda",
    show_default=True,
    help="Whose kernels the activations follow (dropout keeps a bool mask on CUDA).",
)
@click.option("--memory", "per_layer", is_flag=True, help="Show each layer's activation memory.")
@click.option("--budget", metavar="SIZE", help="Largest batch that fits this memory, e.g. 24GiB (2^30) or 24GB (10^9).")
@click.option("--solve", metavar="SYMBOL", help="Solve --budget for this symbol (default: the first input's first).")
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
def inspect(
    spec,
    inputs,
    convention,
    settings,
    output_format,
    output,
    dtype,
    optimizer,
    amp,
    device,
    per_layer,
    budget,
    solve,
    wheres,
    max_errors,
    depth,
    expand,
    sections,
    debug,
):
    """Show every parameter's shape before and after inference for SPEC (a YAML file, or - for stdin).

    Symbolic inputs (Bx3xHxW) give shapes as formulas of the symbols and the
    conditions under which the model fits ("Valid inputs require"). Without
    --input, the spec's own check: inputs (else its declared inputs) are used.
    The Memory section gives what training and inference need, and --budget
    the largest batch that fits.
    """
    from .memory.command import MemoryRequest

    def run():
        memory = MemoryRequest(dtype, optimizer, amp, device, per_layer, budget, solve)
        view = TableView(depth, expand, _sections(sections))
        return _inspect(
            spec, inputs, convention, output_format, dtype, wheres, max_errors, output, memory, settings, view
        )

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


def _inspect(
    spec,
    inputs,
    convention,
    output_format,
    dtype,
    wheres,
    max_errors=20,
    output=None,
    memory=None,
    settings=(),
    view=None,
) -> int:
    from . import lints
    from .contract import load_spec, run_spec
    from .dims import parse_input, parse_wheres
    from .explain import where_violations
    from .infer import evaluate_at
    from .yamlsrc import display_name, read_spec

    text = None
    file = display_name(spec)
    try:
        given = [parse_input(v) for v in inputs]
        overrides = _overrides(settings)
        file, text = read_spec(spec)
        _refuse_overwrite(output, spec)
        model = load_spec(text, file, convention, overrides)
        trace, _ = run_spec(model, given, dtype)
        warnings = lints.warnings(model, trace)
        evaluations = [evaluate_at(trace, b) for b in parse_wheres(wheres, trace.symbols)]
        memory = memory.run(model, trace, evaluations) if memory else None
    except (SpecError, InputError) as e:
        found = diagnostics(e)
        if output_format == "json":
            from .render.json import failure_document, write_json

            _write_output(output, lambda f: write_json(failure_document(file, convention or "torch", found), f))
        elif output_format == "html":
            from .report import failure_report

            _write_output(output, lambda f: f.write(failure_report(file, text, found)))
        _report(_limited(found, max_errors), text)
        return EXIT_INVALID
    violations = where_violations(trace, evaluations)
    extra = {"memory": (lambda: memory.parts(trace))} if memory else None
    if output_format == "json":
        from .render.json import inspect_document, write_json

        document = inspect_document(trace, evaluations, violations, warnings)
        if memory:
            memory.add_json(document)
        _write_output(output, lambda f: write_json(document, f))
    elif output_format == "html":
        from .report import inspect_report

        view = view or TableView()
        reported = trace._replace(warnings=warnings)
        page = inspect_report(model, reported, text, evaluations, depth=view.depth, expand=view.expand)
        _write_output(output, lambda f: f.write(page))
    elif output is not None:
        from rich.console import Console

        from .render.tables import render_tables

        with _destination(output) as f:
            console = Console(file=f, width=120, color_system=None, highlight=False)
            render_tables(trace, console, evaluations, model, view, extra)
    else:
        from .render.console import stdout_console
        from .render.tables import render_tables

        _output(lambda: render_tables(trace, stdout_console(), evaluations, model, view, extra))
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
@_set_option()
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
def check(paths, inputs, convention, settings, strict, excludes, output_format, output, max_errors, debug):
    """Check spec files, directories (every *.yaml / *.yml) and globs, for CI.

    Each spec runs on its check: inputs (or --input), and also on its declared
    symbolic inputs when it has some. YAML files without a layers: key are
    skipped (not specs). Exits 0 only if every spec passes; 1 if any has an
    error (or, with --strict, a warning); 2 for unusable arguments.
    """
    sys.exit(
        _guarded(
            debug,
            lambda: _check(paths, inputs, convention, strict, output_format, max_errors, output, settings, excludes),
        )
    )


def _check(paths, inputs, convention, strict, output_format, max_errors, output=None, settings=(), excludes=()) -> int:
    from .check import check_file, excluded, find_spec_files
    from .dims import parse_input
    from .render import check_document, check_line, check_summary, emit, github_annotations, stdout_console, write_json

    try:
        if output and output_format == "text":
            raise InputError("--output writes a JSON, HTML or GitHub report: add --format json, html or github")
        given = [parse_input(v) for v in inputs]
        overrides = _overrides(settings)
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
        result = check_file(
            path,
            given,
            convention,
            keep=output_format == "html",
            explicit=explicit,
            overrides=overrides,
            memory=output_format == "json",  # only the JSON report shows the totals
        )
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
    default=None,
    help="Parameter names, layouts and defaults of this framework [default: the spec's convention:, else torch].",
)
@_set_option()
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
def graph(spec, inputs, convention, settings, output_format, output, depth, expand, debug):
    """Draw SPEC as a graph: layers with their key arguments and parameter counts, edges with
    the tensor shapes, boxes around block uses, repeats folded to one node, a failed layer in red.

    Exits 1 (after drawing) when shapes do not fit, 2 for an invalid spec. Without input
    shapes the structure is drawn alone.
    """
    sys.exit(_guarded(debug, lambda: _graph(spec, inputs, convention, output_format, output, depth, expand, settings)))


def _graph(spec, inputs, convention, output_format, output, depth, expand, settings=()) -> int:
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
        model = load_model(text, file, convention, _overrides(settings))
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
@_set_option()
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
def export(spec, framework, inputs, settings, output, check_file, debug):
    """Write SPEC's model as standalone PyTorch or Keras source (a YAML file, or - for stdin).

    The source has a class per block and one for the model; its parameter names are
    those inspect prints under that framework's convention. A spec exports to the
    framework of its convention (its `check: {convention}`, else the one --to names).
    """
    sys.exit(_guarded(debug, lambda: _export(spec, framework, inputs, output, check_file, settings)))


def _export(spec, framework, inputs, output, check_file, settings=()) -> int:
    from . import api
    from .export import export_source

    if output and check_file:
        raise InputError("--check compares with FILE; it cannot be combined with --output")
    from .dims import parse_input

    given = [parse_input(v) for v in inputs]
    file = "<stdin>" if spec == "-" else spec
    if output and os.path.abspath(output) == os.path.abspath(file):
        raise InputError(f"--output {output} is the spec itself; shapecli never writes to the files it reads")
    try:
        from .yamlsrc import read_spec

        file, text = read_spec(spec)
        loaded = api.load_text(text, file, default=framework, overrides=_overrides(settings))
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
@click.option(
    "-c",
    "--convention",
    type=click.Choice(list(CONVENTIONS)),
    default=None,
    help="Show the defaults of this convention (default: each convention's where they differ).",
)
def layers(name, output_format, convention):
    """List the layer types, or describe TYPE: its arguments, other names and defaults.

    \b
    Examples:
      shapecli layers
      shapecli layers Conv2d
      shapecli layers BatchNormalization -c keras
      shapecli layers --format json
    """
    sys.exit(_guarded(False, lambda: _layers(name, output_format, convention)))


def _layers(name, output_format, convention=None) -> int:
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
            _output(lambda: write_json(describe(cls, convention), sys.stdout))
        else:
            _output(lambda: render_layer(cls, stdout_console(), convention))
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


_IMPORT_EXAMPLES = """
\b
Examples:
  shapecli import torch torchvision.models:resnet18 --input 1x3x224x224 -o resnet18.yaml
  shapecli import torch mypkg.models:Net --kwargs '{"num_classes": 10}' --input 2x3x32x32
  shapecli import keras model.keras -o model.yaml
"""


@main.group(name="import", epilog=_IMPORT_EXAMPLES, short_help="Write a spec for an existing PyTorch or Keras model.")
def import_group() -> None:
    """Write a spec for an existing model: its layers, blocks and parameter names.

    What the spec language cannot express is listed, all of it, and the
    command exits 2 without writing a spec.
    """


@import_group.command(name="torch", epilog=_IMPORT_EXAMPLES, short_help="Trace a PyTorch model with torch.fx.")
@click.argument("target", metavar="MODULE:CALLABLE")
@click.option("--kwargs", "kwargs_text", metavar="JSON", help="Keyword arguments for CALLABLE, as a JSON object.")
@_input_option(
    "Input shape (2x3x224x224, or NAME=SHAPE per forward parameter): the model runs once on zeros "
    "and the spec is checked against it, and becomes its check: inputs."
)
@click.option("-o", "--output", metavar="FILE", help="Write the spec to FILE instead of stdout.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def import_torch(target, kwargs_text, inputs, output, debug):
    """Import the PyTorch model MODULE:CALLABLE(**kwargs) (e.g. torchvision.models:resnet18) as a spec.

    Needs PyTorch (pip install 'shapecli[torch]'). Modules become layers and
    blocks whose parameter names are the model's state_dict keys.
    """

    def run():
        from .importers.torch_import import import_torch as run_import

        from .dims import parse_input

        given = [parse_input(v) for v in inputs]
        return _write_import(run_import(target, kwargs_text, given), output)

    sys.exit(_guarded(debug, run))


@import_group.command(name="keras", epilog=_IMPORT_EXAMPLES, short_help="Read a .keras archive or a to_json() file.")
@click.argument("file", metavar="FILE")
@click.option("-o", "--output", metavar="FILE", help="Write the spec to FILE instead of stdout.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def import_keras(file, output, debug):
    """Import a Keras model saved as a .keras archive or written by model.to_json(), as a spec.

    Keras need not be installed: both are read as zip and JSON.
    """

    def run():
        from .importers.keras_import import import_keras as run_import

        return _write_import(run_import(file), output)

    sys.exit(_guarded(debug, run))


def _write_import(result, output: str | None) -> int:
    """Write an imported spec to stdout or a file (whole, or not at all), and say what was checked."""
    if output is None:
        sys.stdout.write(result.text)
    else:
        partial = f"{output}.partial"
        try:
            with open(partial, "w", encoding="utf-8") as f:
                f.write(result.text)
            os.replace(partial, output)
        except OSError as e:
            if os.path.exists(partial):
                os.remove(partial)
            raise InputError(f"cannot write {output}: {e.strerror}") from None
    click.echo(f"shapecli: {result.summary}", err=True)
    return EXIT_OK


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
        report = getattr(e, "report", None)
        if report is not None:
            click.echo(report(), err=True)
        else:
            _report(diagnostics(e), None)
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
