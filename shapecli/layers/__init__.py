"""Layer families; importing this package registers every layer type."""

from . import activation, core, merge  # noqa: F401
