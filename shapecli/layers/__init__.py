"""Layer families; importing this package registers every layer type."""

from . import activation, attention, conv, core, merge, norm, pool, recurrent, reshape  # noqa: F401
from . import adapt, einsum, tensors  # noqa: F401
