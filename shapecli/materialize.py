"""Parameter values: every parameter and buffer of an inferred model, drawn with numpy.

Deferred initialization made real: the trace fixes each parameter's shape, the
spec (or the framework's default) its initializer, and this draws the values.
Each parameter draws from its own generator, seeded by the run's seed and the
parameter's name, so a parameter's values do not change when another layer is
added, and the same seed and spec give the same bytes. Fans are counted as the
convention's framework counts them: PyTorch from dims 1 and 0 of its own
layout (torch.nn.init._calculate_fan_in_and_fan_out), Keras from the last two
(keras.initializers' compute_fans, or the einsum axes of its attention kernels).

numpy is imported inside the functions that draw and write, never on import.
"""

from __future__ import annotations

import hashlib
import math

from .records import NamedTuple
from .dims import UNKNOWN, Expr, format_shape
from .errors import InputError, SpecError
from .init_defaults import param_init
from .initializers import Initializer, format_number
from .spec import Model, Node

FLOAT_DTYPES = ("float32", "float64", "float16")
"""The --dtype values init accepts (numpy has no bfloat16)."""


class ParamPlan(NamedTuple):
    """One parameter or buffer to draw: its full name, layer, local name, concrete shape,
    initializer, Keras fan axes, the shapes of its layer's other parameters (for bounds
    taken from the weight) and whether it is an integer counter."""

    name: str
    node: Node
    local: str
    shape: tuple
    init: Initializer
    fan_axes: tuple | None
    siblings: dict
    integer: bool


def plan_parameters(model: Model, trace) -> list[ParamPlan]:
    """Every distinct parameter and buffer in graph order (a shared or tied one once).

    Raises SpecError, at the layer, for a size that is still symbolic or unknown
    (saying which input size to give), and for a `<role>_init` that names a
    role the layer does not have with these arguments (`bias_init` with `use_bias: false`).
    """
    plans = []
    for node, layer in zip(model.nodes, trace.layers):
        present = set()
        siblings = {p.local: p.after for p in layer.params}
        for p in layer.params:
            spec, init = param_init(node.layer, node.cfg, p.local, node.init)
            present.add(spec.role)
            if p.shared_with:
                continue
            if init.kind == "unknown":
                raise SpecError(
                    f"shapecli does not know how {node.type_label} initializes its parameter '{p.local}'",
                    node.loc,
                    hint="a layer type without an entry in shapecli/init_defaults.py; please report it",
                )
            if any(not isinstance(d, int) for d in p.after):
                raise _symbolic(model, trace, node, p)
            # PyTorch's batch counter, Keras Normalization's sample count
            integer = p.local.endswith("num_batches_tracked") or (node.layer.type_name, p.local) == (
                "Normalization",
                "count",
            )
            plans.append(ParamPlan(p.name, node, p.local, p.after, init, spec.fan_axes, siblings, integer))
        if node.owner is None:
            for role, init in node.init.items():
                if role not in present and init.key and init.key != "init":
                    raise SpecError(
                        f"{init.key} is given, but {node.type_label} '{node.path}' has no {role} parameter "
                        "with these arguments",
                        init.loc,
                        hint="remove it, or enable the parameter (e.g. use_bias: true)",
                    ).at(node.loc)
    return plans


def _symbolic(model: Model, trace, node: Node, param) -> SpecError:
    symbols = sorted({s for d in param.after if isinstance(d, Expr) for s in d.symbols})
    where = []
    for name, shape in trace.inputs.items():
        for axis, d in enumerate(shape):
            if (isinstance(d, Expr) and set(d.symbols) & set(symbols)) or (d is UNKNOWN and not symbols):
                where.append(f"axis {axis} of input '{name}'")
    what = ", ".join(symbols) if symbols else "an unknown size"
    return SpecError(
        f"{param.name} is {format_shape(param.after)}, which depends on {what}: its values need a concrete size",
        node.loc,
        hint=f"give {' and '.join(where) or 'the input size'} a number with --input, e.g. --input 2x20",
    )


def parameter_seed(seed: int, name: str) -> list[int]:
    """The entropy of one parameter's generator: the run's seed and a hash of the parameter's name."""
    digest = hashlib.sha256(name.encode()).digest()
    return [seed, *(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))]


def draw_parameters(plans: list[ParamPlan], seed: int, dtype: str = "float32") -> dict:
    """name → numpy array for every plan, drawn from its initializer."""
    import numpy as np

    values = {}
    for plan in plans:
        if plan.integer:
            values[plan.name] = np.zeros(plan.shape, np.int64)
            continue
        rng = np.random.default_rng(np.random.SeedSequence(parameter_seed(seed, plan.name)))
        wide = np.float64 if dtype == "float64" else np.float32
        values[plan.name] = draw(plan.init, plan.shape, rng, wide, plan).astype(dtype, copy=False)
    return values


# -- fans and gains ---------------------------------------------------------------------------


class FanError(Exception):
    """An initializer that needs fans was given a parameter it cannot count them for."""


def torch_fans(shape: tuple) -> tuple[int, int]:
    """torch.nn.init._calculate_fan_in_and_fan_out: dims 1 and 0 times the receptive field."""
    if len(shape) < 2:
        raise FanError("PyTorch counts fan-in and fan-out on parameters of at least 2 dimensions")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def keras_fans(shape: tuple, axes: tuple | None = None) -> tuple[int, int]:
    """keras.src.initializers.random_initializers.compute_fans (with explicit input/output axes)."""
    if axes is not None:
        return math.prod(shape[a] for a in axes[0]), math.prod(shape[a] for a in axes[1])
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def torch_gain(nonlinearity: str, a: float) -> float:
    """torch.nn.init.calculate_gain(nonlinearity, a)."""
    if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + a**2))
    return 3.0 / 4  # selu


# -- the distributions ---------------------------------------------------------------------------


def draw(init: Initializer, shape: tuple, rng, wide, plan: ParamPlan | None = None):
    """Values of `init` for a parameter of `shape` (float32, or float64 for wide)."""
    import numpy as np

    args, kind = init.args, init.kind
    size = math.prod(shape)
    try:
        if kind in ("zeros", "ones", "constant"):
            value = {"zeros": 0.0, "ones": 1.0}.get(kind, args.get("value"))
            return np.full(shape, value, wide)
        if size == 0:
            return np.zeros(shape, wide)
        if kind == "uniform":
            return _uniform(rng, shape, args["low"], args["high"], wide)
        if kind == "normal":
            values = rng.standard_normal(shape, dtype=wide) * wide(args["std"]) + wide(args["mean"])
            if "zero_row" in args:
                values[args["zero_row"]] = 0
            return values
        if kind == "truncated_normal":
            mean, std = args["mean"], args["std"]
            if init.semantics == "keras":
                return keras_truncated_normal(rng, shape, mean, std, wide)
            return truncated_normal(rng, shape, mean, std, args["a"], args["b"], wide)
        if kind == "bias_uniform":
            fan_in = torch_fans(plan.siblings[args["of"]])[0]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            return _uniform(rng, shape, -bound, bound, wide)
        if kind == "dim_uniform":
            bound = 1 / math.sqrt(plan.siblings[args["of"]][args["axis"]])
            return _uniform(rng, shape, -bound, bound, wide)
        if kind == "unit_forget_bias":
            units = args["units"]
            inner = args["inner"]
            pieces = [
                draw(inner, (units,), rng, wide, plan),
                np.ones(units, wide),
                draw(inner, (2 * units,), rng, wide, plan),
            ]
            return np.concatenate(pieces).reshape(shape)
        if kind == "orthogonal":
            return orthogonal(rng, shape, args["gain"], init.semantics, wide)
        return _scaled(init, shape, rng, wide, plan)
    except FanError as e:
        raise SpecError(
            f"{init.text} cannot initialize {plan.name if plan else 'a parameter'} {format_shape(shape)}: {e}",
            init.loc,
            hint="give this role another initializer (zeros, constant, uniform, normal)",
        ).at(plan.node.loc if plan else None) from None


def _uniform(rng, shape, low, high, wide):
    return wide(low) + rng.random(shape, dtype=wide) * wide(high - low)


def _scaled(init: Initializer, shape: tuple, rng, wide, plan):
    """The xavier/glorot and kaiming/he families, as PyTorch or Keras computes them."""
    args, kind = init.args, init.kind
    axes = plan.fan_axes if plan is not None else None
    uniform = kind.endswith("uniform")
    if init.semantics == "torch":
        fan_in, fan_out = torch_fans(shape)
        if kind.startswith("xavier"):
            std = args["gain"] * math.sqrt(2.0 / float(fan_in + fan_out))
        else:
            fan = fan_in if args["mode"] == "fan_in" else fan_out
            std = torch_gain(args["nonlinearity"], args["a"]) / math.sqrt(fan)
        if uniform:
            bound = math.sqrt(3.0) * std
            return _uniform(rng, shape, -bound, bound, wide)
        return rng.standard_normal(shape, dtype=wide) * wide(std)
    # keras.initializers.VarianceScaling: glorot = (scale 1, fan_avg), he = (scale 2, fan_in)
    fan_in, fan_out = keras_fans(shape, axes)
    if kind.startswith("xavier"):
        scale = args["gain"] ** 2 / max(1.0, (fan_in + fan_out) / 2.0)
    else:
        fan = fan_in if args["mode"] == "fan_in" else fan_out
        scale = torch_gain(args["nonlinearity"], args["a"]) ** 2 / max(1.0, fan)
    if uniform:
        limit = math.sqrt(3.0 * scale)
        return _uniform(rng, shape, -limit, limit, wide)
    return keras_truncated_normal(rng, shape, 0.0, math.sqrt(scale) / 0.87962566103423978, wide)


def truncated_normal(rng, shape, mean, std, low, high, wide):
    """N(mean, std²) restricted to [low, high], by redrawing the values outside."""
    mass = 0.5 * (math.erf((high - mean) / (std * math.sqrt(2))) - math.erf((low - mean) / (std * math.sqrt(2))))
    if std == 0 or mass < 1e-3:
        raise FanError(
            f"[{format_number(low)}, {format_number(high)}] holds {mass:.2g} of N({format_number(mean)}, "
            f"{format_number(std)}²); shapecli draws truncated normals that keep at least 0.1%"
        )
    values = rng.standard_normal(shape, dtype=wide) * wide(std) + wide(mean)
    outside = (values < low) | (values > high)
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()), dtype=wide) * wide(std) + wide(mean)
        outside = (values < low) | (values > high)
    return values


def keras_truncated_normal(rng, shape, mean, std, wide):
    """keras.random.truncated_normal as Keras computes it on its torch backend
    (keras/src/backend/torch/random.py): of four standard normal draws per value the
    first inside (-2, 2), or the first when none is (a 4e-6 chance), times std plus mean."""
    import numpy as np

    draws = rng.standard_normal((*shape, 4), dtype=wide)
    valid = (draws > -2) & (draws < 2)
    chosen = np.take_along_axis(draws, valid.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    return chosen * wide(std) + wide(mean)


def orthogonal(rng, shape, gain, semantics, wide):
    """A (semi-)orthogonal matrix reshaped to `shape`: torch.nn.init.orthogonal_ flattens
    the trailing dims into columns, keras.initializers.Orthogonal the leading ones into rows."""
    import numpy as np

    if len(shape) < 2:
        raise FanError("an orthogonal initializer needs a parameter of at least 2 dimensions")
    if semantics == "torch":
        rows = shape[0]
        cols = math.prod(shape) // rows
    else:
        rows, cols = math.prod(shape[:-1]), shape[-1]
    flat = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (q.reshape(shape) * gain).astype(wide)


# -- the .npz file ----------------------------------------------------------------------------------


def save_npz(path: str, arrays: dict) -> int:
    """Write arrays to an uncompressed .npz (a zip of .npy files) with fixed timestamps,
    so the same arrays give the same bytes; returns the number of bytes written."""
    import os
    import zipfile

    import numpy as np

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, np.require(array, requirements="C"), allow_pickle=False)
    return os.path.getsize(path)


def load_params(path: str, plans: list[ParamPlan], shared_names: set[str]) -> dict:
    """name → array from a .npz written by `shapecli init` (or any with the convention's names).

    Every planned parameter must be there with its shape; names of shared or tied
    parameters are accepted and ignored; any other name is refused.
    """
    import numpy as np

    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read the parameters file {path}: {e}") from None
    with archive:
        stored = {name: archive[name] for name in archive.files}
    expected = {plan.name: plan for plan in plans}
    unexpected = [name for name in stored if name not in expected and name not in shared_names]
    if unexpected:
        shown = ", ".join(unexpected[:5]) + (f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else "")
        raise InputError(
            f"{path} has parameters the model does not: {shown}",
            hint="was it written for another spec or --convention? shapecli init writes a matching file",
        )
    values = {}
    for name, plan in expected.items():
        if name not in stored:
            raise InputError(
                f"{path} has no '{name}' (the model needs {format_shape(plan.shape)})",
                hint="write the file with shapecli init for the same spec, inputs and convention",
            )
        array = stored[name]
        if tuple(array.shape) != plan.shape:
            raise InputError(
                f"{path}: '{name}' is {format_shape(array.shape)}, the model needs {format_shape(plan.shape)}"
            )
        if plan.integer:
            values[name] = array
        elif not np.issubdtype(array.dtype, np.floating):
            raise InputError(f"{path}: '{name}' holds {array.dtype} values; parameters are floating point")
        else:
            values[name] = array.astype(np.float32, copy=False)
    return values
