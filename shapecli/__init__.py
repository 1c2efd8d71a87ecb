"""shapecli: deferred shape inference for deep-learning model specs, without a framework."""

__version__ = "0.1.0"
