"""Layer families, one module each; importing a family registers its layer types.

`registry.lookup` imports a family when a spec first names one of its types (`index.py` says
which); `registry.load_layers` imports them all, in this order.
"""

FAMILIES = (
    "activation",
    "attention",
    "conv",
    "core",
    "merge",
    "norm",
    "pool",
    "recurrent",
    "reshape",
    "cells",
    "distance",
    "fold",
    "pixelshuffle",
    "stochastic_depth",
    "transformer",
    "preprocessing",  # Keras' preprocessing layers
    "wrappers",  # and wrappers
    "adapt",
    "einsum",
    "tensors",
)
"""Every family module of this package, in registration order."""
