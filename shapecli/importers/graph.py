"""What an importer produces: layers in the scopes (modules) they sit in, and what could not be mapped.

An importer walks a framework's graph and calls `add_op` for each layer it can
express as a shapecli layer type, in topological order, and `problem` for each
part it cannot; the spec writer turns the result into spec text. Nothing here
knows a framework.
"""

from __future__ import annotations

from ..records import NamedTuple
from ..errors import ShapecliError
from ..render.escape import printable


class Value(NamedTuple):
    """A tensor of the imported graph: output `index` of op `producer`, or the model input named `producer`."""

    producer: int | str
    index: int = 0


class Problem(NamedTuple):
    """A part of the model with no spec equivalent: where it is (module path, layer name) and what it is."""

    where: str
    what: str


class ImportFailure(ShapecliError):
    """The model could not be made, traced or run; the message says where in the user's code."""


class ImportedSpec(NamedTuple):
    """The spec text, and what was checked (a line for the user)."""

    text: str
    summary: str


class UnmappableModel(ShapecliError):
    """The model has parts the spec language cannot express; `problems` lists every one."""

    def __init__(self, message: str, problems: list[Problem], *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = problems

    def report(self) -> str:
        """The message and one line per problem, with control characters escaped for a terminal."""
        lines = [f"shapecli: error: {printable(self.message)}"]
        groups: dict[str, list[str]] = {}
        for problem in self.problems:
            groups.setdefault(problem.what, []).append(problem.where)
        for what, wheres in groups.items():
            if len(wheres) == 1:
                lines.append(f"  {printable(wheres[0])}: {printable(what)}")
                continue
            lines.append(f"  {len(wheres)} places: {printable(what)}")
            lines += [f"    {printable(where)}" for where in wheres]
        if self.hint:
            lines.append(f"  hint: {printable(self.hint)}")
        return "\n".join(lines)


class Scope:
    """A module (or a container of modules) whose layers become one block use.

    `name` is its name inside the parent scope ('0', 'layer1'); `kind` names the
    block it becomes (the class name); `origin` is the full class name, for the
    block's comment; `generic` marks plain containers (Sequential, ModuleList),
    whose blocks are named after their path instead; `input_names` and
    `output_values` are what its forward takes and returns, when known.
    """

    __slots__ = ("key", "parent", "name", "kind", "origin", "path", "generic", "input_names", "output_values")

    def __init__(self, key, parent: Scope | None, name: str, kind: str, origin: str, path: str, generic: bool):
        self.key, self.parent, self.name, self.kind, self.origin = key, parent, name, kind, origin
        self.path, self.generic = path, generic
        self.input_names: dict[Value, str] = {}
        self.output_values: list[Value] = []

    def chain(self) -> list[Scope]:
        """This scope and its ancestors up to (not including) the root, outermost first."""
        scopes = []
        scope = self
        while scope is not None and scope.parent is not None:
            scopes.append(scope)
            scope = scope.parent
        return scopes[::-1]

    def __repr__(self) -> str:
        return f"Scope({self.path!r}, {self.kind})"


class Op:
    """One layer: its type and arguments (as a spec writes them), inputs, and scope.

    `name` is fixed when the framework names it (a module's attribute name, which
    the parameter names depend on); otherwise the writer names it from `stem`.
    `share` is the op whose layer (and parameters) it applies again; `shapes` are
    the framework's output shapes, when the model was run; `origin` says where
    in the model it comes from, for messages; `owns_params` marks a layer with
    parameters or buffers, which must stay where the model has it.
    """

    __slots__ = ("id", "scope", "name", "stem", "type", "args", "sources", "share", "origin", "shapes", "owns_params")

    def __init__(self, id: int, scope: Scope, name: str | None, stem: str, type: str, args: dict, sources, origin: str):
        self.id, self.scope, self.name, self.stem, self.type = id, scope, name, stem, type
        self.args, self.sources, self.origin = args, list(sources), origin
        self.share: int | None = None
        self.shapes: list[tuple] | None = None
        self.owns_params = False

    def __repr__(self) -> str:
        return f"Op({self.id}, {self.name or self.stem!r}, {self.type}, {self.sources})"


class ImportedGraph:
    """An imported model: inputs, ops in topological order, outputs, and the problems found."""

    def __init__(self, source: str, convention: str):
        self.source = source
        self.convention = convention
        self.root = Scope((), None, "", "", "", "", True)
        self.inputs: dict[str, tuple | None] = {}
        """Input name → its declared shape (None for an unknown size), or None when even the rank is unknown."""
        self.check_inputs: dict[str, str | list] = {}
        """Input name → its shape in `check: {inputs}` ('1x3x224x224', or a list with symbols)."""
        self.ops: list[Op] = []
        self.outputs: list[Value] = []
        self.problems: list[Problem] = []
        self.header: list[str] = []
        """Comment lines that open the spec."""
        self._scopes: dict[object, Scope] = {}

    def scope(self, parent: Scope, key, name: str, kind: str, origin: str, path: str, generic: bool = False) -> Scope:
        """The child scope `key` of `parent`, made on first use."""
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = Scope(key, parent, name, kind, origin, path, generic)
        return found

    def add_op(self, scope: Scope, type: str, args: dict, sources, origin: str, *, name=None, stem=None) -> Op:
        """Append a layer; `name` fixes its name, else the writer derives one from `stem` (or the type)."""
        op = Op(len(self.ops), scope, name, stem or type.lower(), type, args, sources, origin)
        self.ops.append(op)
        return op

    def problem(self, where: str, what: str) -> None:
        """Record a part of the model that has no spec equivalent."""
        self.problems.append(Problem(where, what))
