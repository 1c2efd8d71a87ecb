"""The spec's initializers applied to a built torch.nn.Module with torch.nn.init.

A parameter whose role the spec initializes (its layer's `<role>_init`, a block's or
the top-level `init:`) gets that initializer, drawn by torch.nn.init from PyTorch's
generator (`torch.manual_seed` decides the values); every other parameter keeps what
its module's `reset_parameters` gave it, which is the framework default shapecli shows.
A shared or tied parameter is initialized once, by its owner. The names mean what
torch.nn.init means by them (the torch and mxnet conventions' semantics), so the fans of
xavier and kaiming are PyTorch's: dims 1 and 0 times the receptive field.
"""

from __future__ import annotations

from torch import nn

from .init_defaults import param_init
from .initializers import Initializer
from .plan import Plan, located

_APPLY = {
    "zeros": lambda t, a: nn.init.zeros_(t),
    "ones": lambda t, a: nn.init.ones_(t),
    "constant": lambda t, a: nn.init.constant_(t, a["value"]),
    "uniform": lambda t, a: nn.init.uniform_(t, a["low"], a["high"]),
    "normal": lambda t, a: nn.init.normal_(t, a["mean"], a["std"]),
    "truncated_normal": lambda t, a: nn.init.trunc_normal_(t, a["mean"], a["std"], a["a"], a["b"]),
    "xavier_uniform": lambda t, a: nn.init.xavier_uniform_(t, a["gain"]),
    "xavier_normal": lambda t, a: nn.init.xavier_normal_(t, a["gain"]),
    "kaiming_uniform": lambda t, a: nn.init.kaiming_uniform_(t, a["a"], a["mode"], a["nonlinearity"]),
    "kaiming_normal": lambda t, a: nn.init.kaiming_normal_(t, a["a"], a["mode"], a["nonlinearity"]),
    "orthogonal": lambda t, a: nn.init.orthogonal_(t, a["gain"]),
}
"""Initializer kind (initializers.SIGNATURES, torch semantics) → its torch.nn.init call."""


def spec_initialized(plan: Plan) -> list[tuple]:
    """(step, parameter info, initializer) for every parameter the spec names an initializer
    for, in graph order: owners only (a shared layer, a tied parameter are their owner's)."""
    chosen = []
    for step in plan.steps:
        node = step.node
        if step.make is None or not node.init:
            continue
        for p in step.info.params:
            if p.shared_with:
                continue
            _, init = param_init(node.layer, node.cfg, p.local, node.init)
            if init.loc is not None:
                chosen.append((step, p, init))
    return chosen


def apply_initializers(plan: Plan, modules: dict[str, nn.Module]) -> None:
    """Draw every spec-named initializer into the built modules (path → module)."""
    import torch

    for step, p, init in spec_initialized(plan):
        module = modules.get(step.node.path)
        if module is None:
            continue  # a functional layer: no parameter of its own
        holder = module
        *parents, name = p.local.split(".")
        for part in parents:
            holder = getattr(holder, part)
        tensor = getattr(holder, name)
        with torch.no_grad():
            _draw(plan, step, p, init, tensor)


def _draw(plan: Plan, step, p, init: Initializer, tensor) -> None:
    apply = _APPLY.get(init.kind)
    if init.semantics != "torch" or apply is None:
        raise located(
            f"{init.text} is a {init.semantics} initializer; PyTorch has no {init.kind} for {p.name}",
            plan.model,
            step.node,
            hint="build this spec in the framework of its convention",
        )
    try:
        apply(tensor, init.args)
    except ValueError as e:
        raise located(
            f"{init.text} cannot initialize {p.name} {tuple(tensor.shape)}: PyTorch says: {e}",
            plan.model,
            step.node,
            hint="give this role another initializer (zeros, constant, uniform, normal)",
        ) from None
