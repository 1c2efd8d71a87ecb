"""The layer registry described for people: `shapecli layers` and the README's list."""

from __future__ import annotations

from .registry import LAYER_TYPES, REQUIRED, Layer, PerConvention, load_layers


def layer_types() -> list[type[Layer]]:
    """Every registered layer type, sorted by name."""
    load_layers()
    return sorted(LAYER_TYPES, key=lambda cls: cls.type_name.lower())


def summary(cls: type[Layer]) -> str:
    """The first sentence of a layer type's docstring."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def _default(arg, convention: str | None = None) -> str:
    """An argument's default as text: the convention's, or every convention's when none is chosen."""
    if isinstance(arg.default, PerConvention):
        if convention is not None:
            return _value(arg.default.pick(convention))
        return "; ".join(f"{k}: {_value(v)}" for k, v in arg.default.values.items())
    return _value(arg.default)


def _value(value) -> str:
    if value is REQUIRED:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def arguments(cls: type[Layer], convention: str | None = None) -> list[dict]:
    """One row per argument: name, other names, kind, default (the `convention`'s, or each
    convention's where they differ), description."""
    return [
        {
            "name": name,
            "aliases": list(arg.aliases),
            "kind": str(arg.kind),
            "default": _default(arg, convention),
            "doc": arg.doc,
        }
        for name, arg in cls.args.items()
    ]


def describe(cls: type[Layer], convention: str | None = None) -> dict:
    """A layer type as a JSON-ready dict (`convention`: its defaults only, and a `convention` key)."""
    described = {
        "type": cls.type_name,
        "aliases": list(cls.aliases),
        "inputs": [cls.min_inputs, cls.max_inputs],
        "doc": " ".join((cls.__doc__ or "").split()),
        "arguments": arguments(cls, convention),
    }
    return described if convention is None else {**described, "convention": convention}


def markdown() -> str:
    """The whole catalog as a Markdown table (what the README embeds)."""
    lines = ["| type (other names) | arguments (default) | what it does |", "| --- | --- | --- |"]
    for cls in layer_types():
        names = f"`{cls.type_name}`" + (f" ({', '.join(f'`{a}`' for a in cls.aliases)})" if cls.aliases else "")
        args = ", ".join(
            "`"
            + "`/`".join((a["name"], *a["aliases"]))
            + "`"
            + ("" if a["default"] == "required" else f" ({a['default']})")
            for a in arguments(cls)
        )
        lines.append(f"| {names} | {args or '—'} | {summary(cls).replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def render_catalog(console) -> None:
    """Print every layer type with its other names and what it does."""
    from .render import Grid

    grid = Grid(
        f"{len(layer_types())} layer types (shapecli layers TYPE describes one)",
        ["Type", "Other names", "What it does"],
    )
    for cls in layer_types():
        grid.add_row(cls.type_name, ", ".join(cls.aliases), summary(cls))
    grid.print(console)


def render_layer(cls: type[Layer], console, convention: str | None = None) -> None:
    """Print one layer type: its description and its arguments, with the defaults of
    `convention` (each convention's where they differ when it is None)."""
    from rich.text import Text

    from .render import Grid

    names = cls.type_name + (f" ({', '.join(cls.aliases)})" if cls.aliases else "")
    high = "any number of" if cls.max_inputs is None else str(cls.max_inputs)
    inputs = str(cls.min_inputs) if cls.min_inputs == cls.max_inputs else f"{cls.min_inputs} to {high}"
    console.print(Text(names, style="bold"))
    console.print(" ".join((cls.__doc__ or "").split()), soft_wrap=False)
    console.print(f"Inputs: {inputs}")
    title = "\nArguments" + (f" ({convention} convention)" if convention else "")
    grid = Grid(title, ["Argument", "Other names", "Kind", "Default", "Meaning"])
    for a in arguments(cls, convention):
        grid.add_row(a["name"], ", ".join(a["aliases"]), a["kind"], a["default"], a["doc"])
    if not grid.rows:
        grid.add_row("(none)", "", "", "", "")
    grid.print(console)
