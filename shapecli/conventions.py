"""How each framework names parameters and shows unknown sizes, and dtype sizes."""

from __future__ import annotations

from collections.abc import Sequence


class Convention:
    """One framework's way of showing a model.

    `separator` joins a layer path and a parameter name (torch `fc1.weight`,
    mxnet `fc1_weight`, keras `fc1/kernel`); `unknown` is how the framework
    shows an unknown size; `dot` replaces the `.` of a repeat copy's name
    ('stage1.0') where the framework's names cannot hold one: a Keras layer
    is a torch module under the torch backend, and torch refuses a `.` in a
    module's name, so the Keras builder names the copy 'stage1_0'.
    """

    __slots__ = ("name", "separator", "unknown", "dot")

    def __init__(self, name: str, separator: str, unknown: str, dot: str = "."):
        self.name, self.separator, self.unknown, self.dot = name, separator, unknown, dot

    def param_name(self, layer_path: str, local: str) -> str:
        """Full name of parameter `local` ('weight', 'out_proj.weight') of the layer at `layer_path`.

        An empty `local` is a layer that is itself a tensor (a Parameter, a Buffer, torchvision's
        `layer_scale`): its name is the path, as PyTorch names an nn.Parameter attribute."""
        return self.param_names(layer_path, (local,))[0]

    def param_names(self, layer_path: str, locals_: Sequence[str]) -> list[str]:
        """`param_name` of each of `locals_`, the layer's path converted once."""
        separator = self.separator
        path = (layer_path if self.dot == "." else layer_path.replace(".", self.dot)).replace("/", separator)
        names = []  # (a loop, not a comprehension: each comprehension run is a function call)
        for local in locals_:
            if not local:
                names.append(path)
            else:
                names.append(path + separator + (local if separator == "." else local.replace(".", separator)))
        return names


CONVENTIONS = {
    "torch": Convention("torch", ".", "?"),
    "keras": Convention("keras", "/", "None", dot="_"),
    "mxnet": Convention("mxnet", "_", "-1"),
}

DTYPE_BYTES = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
}
"""Bytes per element of each dtype --dtype accepts."""
