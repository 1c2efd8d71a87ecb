"""The bodies of `shapecli init` and `shapecli run`: spec → trace → values, and what they print.

Both read the spec as `inspect` does; inputs come from --input, else the data
files' shapes (run), else the spec's `check:` inputs. The convention is
--convention, else the spec's `check:` one, else torch.
"""

from __future__ import annotations

from .errors import InputError, SpecError, diagnostic, diagnostics

from .kinds import EXIT_INVALID, EXIT_MISMATCH, EXIT_OK


class _Stop(Exception):
    """Ends a command early with an exit code (its diagnostics are already printed)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _print_json(document: dict) -> None:
    import sys

    from .render import write_json

    write_json(document, sys.stdout)


def _stdout_console():
    from .render import stdout_console

    return stdout_console()


def _report(diagnostics, text: str | None) -> None:
    from .render import report

    report(diagnostics, text)


def failure_json(file, convention, diagnostics) -> dict:
    """The JSON document of a failure (every key of inspect's, empty)."""
    from .render import failure_document

    return failure_document(file, convention, diagnostics)


def _load(spec: str, inputs, convention: str | None, output_format: str, data_shapes: dict | None = None):
    """(file, text, model, trace) for the spec, or _Stop after reporting why not."""
    from .dims import parse_input
    from .infer import infer
    from .spec import load_model
    from .yamlsrc import display_name, read_spec

    text = None
    file = display_name(spec)
    try:
        given = [parse_input(v) for v in inputs]
        file, text = read_spec(spec)
        model = load_model(text, file, convention)
        named = {name for name, _ in given}
        for name, shape in (data_shapes or {}).items():
            if name not in named and (name is not None or not given):
                given.append((name, shape))
        if not given:
            given = list(model.check.inputs)
        trace = infer(model, given)
    except (SpecError, InputError) as e:
        found = diagnostics(e)
        if output_format == "json":
            _print_json(failure_json(file, convention or "torch", found))
        _report(found, text)
        raise _Stop(EXIT_INVALID) from None
    if trace.errors:
        if output_format == "json":
            _print_json(failure_json(file, model.convention, trace.errors))
        _report(trace.errors, text)
        raise _Stop(EXIT_MISMATCH)
    return file, text, model, trace


def _fail(error, file, text, convention, output_format) -> int:
    if isinstance(error, SpecError) and error.file is None:
        error.file = file
    found = diagnostic(error)
    if output_format == "json":
        _print_json(failure_json(file, convention, [found]))
    _report([found], text)
    return EXIT_INVALID


def init_command(spec, inputs, convention, seed, dtype, output, output_format) -> int:
    """`shapecli init`: draw every parameter and buffer, write them to `output` (.npz)."""
    from .materialize import draw_parameters, plan_parameters, save_npz
    from .render_run import heading, init_json, init_table

    try:
        file, text, model, trace = _load(spec, inputs, convention, output_format)
    except _Stop as stop:
        return stop.code
    try:
        _refuse_to_overwrite(output, "-o", [spec])
        plans = plan_parameters(model, trace)
        values = draw_parameters(plans, seed, dtype)
        try:
            size = save_npz(output, values)
        except OSError as e:
            raise InputError(f"cannot write {output}: {e.strerror or e}") from None
    except (SpecError, InputError) as e:
        return _fail(e, file, text, model.convention, output_format)
    if output_format == "json":
        _print_json(init_json(file, model.convention, seed, dtype, output, plans, values, size))
        return EXIT_OK
    console = _stdout_console()
    count = sum(int(v.size) for v in values.values())
    extra = f" · seed {seed} · {dtype}"
    for part in (heading("init", file, model.convention, trace.inputs, extra), init_table(plans, values)):
        console.print(part, no_wrap=True, overflow="ignore", crop=False)
    console.print(f"Wrote {output}: {len(values)} arrays, {count:,} values ({size:,} bytes)", highlight=False)
    return EXIT_OK


def run_command(spec, inputs, convention, params_file, seed, data, output_format, save) -> int:
    """`shapecli run`: a numpy forward pass with statistics and initialization flags."""
    from .materialize import draw_parameters, load_params, plan_parameters, save_npz
    from .render_run import heading, outputs_text, run_json, run_table
    from .run import forward, load_array, make_inputs, shared_names

    try:
        choices, data_shapes = _data_choices(data, load_array)
    except InputError as e:
        return _fail(e, spec, None, convention or "torch", output_format)
    try:
        file, text, model, trace = _load(spec, inputs, convention, output_format, data_shapes)
    except _Stop as stop:
        return stop.code
    try:
        if save is not None:
            _refuse_to_overwrite(save, "--save", [spec, params_file, *(v.partition("=")[2] or v for v in data)])
        choices = _assign_data(choices, model)
        shapes = _concrete_inputs(trace)
        plans = plan_parameters(model, trace)
        if params_file:
            params = load_params(params_file, plans, shared_names(trace))
        else:
            params = draw_parameters(plans, seed)
        arrays = make_inputs(model, shapes, choices, seed)
        result = forward(model, trace, params, arrays, keep=save is not None)
        if save is not None:
            try:
                save_npz(save, result.saved)
            except OSError as e:
                raise InputError(f"cannot write {save}: {e.strerror or e}") from None
    except (SpecError, InputError) as e:
        return _fail(e, file, text, model.convention, output_format)
    if output_format == "json":
        _print_json(run_json(file, model.convention, seed, choices, params_file or "drawn", shapes, result))
    else:
        console = _stdout_console()
        source = f"params {params_file}" if params_file else f"seed {seed}"
        data_text = ", ".join(sorted({_data_label(kind) for kind in choices.values()}))
        head = heading("run", file, model.convention, trace.inputs, f" · data {data_text} · {source}")
        for part in (head, run_table(result), outputs_text(result)):
            console.print(part, no_wrap=True, overflow="ignore", crop=False)
    _report(result.flags, text)
    return EXIT_OK


def _refuse_to_overwrite(path: str, option: str, read: list) -> None:
    """shapecli never writes to the files it reads: refuse an output that is one of them."""
    import os

    for source in read:
        if (
            source
            and source != "-"
            and os.path.exists(path)
            and os.path.exists(source)
            and os.path.samefile(path, source)
        ):
            raise InputError(
                f"{option} {path} is a file this command reads; shapecli never writes to the files it reads"
            )


def _data_label(kind: str) -> str:
    return "uniform(0, 1)" if kind == "uniform" else kind


def _data_choices(data, load_array) -> tuple[dict, dict]:
    """--data values → ({input name or None: kind or path}, {input name or None: shape of a file})."""
    from .run import DATA_KINDS

    choices, shapes = {}, {}
    for value in data:
        name, separator, kind = value.partition("=")
        if not separator:
            name, kind = None, value
        if name in choices:
            raise InputError(f"--data gives {'the data' if name is None else repr(name)} twice")
        choices[name] = kind
        if kind not in DATA_KINDS:
            if not kind.endswith(".npy"):
                raise InputError(
                    f"--data {value}: expected uniform, normal, zeros or a .npy file",
                    hint="name one input's file with NAME=FILE.npy",
                )
            shapes[name] = tuple(load_array(kind).shape)
    return choices, shapes


def _assign_data(choices: dict, model) -> dict:
    """{input name: kind or path} for every input from the --data choices."""
    names = list(model.inputs)
    default = choices.get(None, "uniform")
    if None in choices and default not in ("uniform", "normal", "zeros") and len(names) > 1:
        raise InputError(
            f"the spec has inputs {', '.join(names)}: name the file of each, e.g. --data {names[0]}=FILE.npy"
        )
    for name in choices:
        if name is not None and name not in model.inputs:
            raise InputError(f"--data names '{name}', but the spec's inputs are {', '.join(names)}")
    return {name: choices.get(name, default) for name in names}


def _concrete_inputs(trace) -> dict:
    """The input shapes, which must be all numbers for a run."""
    from .dims import format_shape

    for name, shape in trace.inputs.items():
        if not all(isinstance(d, int) for d in shape):
            example = "x".join(str(d) if isinstance(d, int) else "1" for d in shape)
            raise InputError(
                f"input '{name}' is {format_shape(shape)}: a run needs every size",
                hint=f"give it with --input, e.g. --input {name}={example}",
            )
    return dict(trace.inputs)
