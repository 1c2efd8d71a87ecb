"""Layer families; importing this package registers every layer type."""

from . import activation, attention, conv, core, merge, norm, pool, recurrent, reshape  # noqa: F401
from . import cells, distance, fold, pixelshuffle, stochastic_depth, transformer  # noqa: F401
from . import preprocessing, wrappers  # noqa: F401  (Keras' preprocessing layers and wrappers)
from . import adapt, einsum, tensors  # noqa: F401
