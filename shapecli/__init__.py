"""shapecli: deferred shape inference for deep-learning model specs, without a framework.

The Python API (`shapecli.load`, `shapecli.build_torch`, `shapecli.build_keras`, the
errors) lives in `shapecli.api` and is imported on first use, so that `import shapecli.cli`
costs no more than the command line needs.
"""

__version__ = "0.1.0"

_API = (
    "load",
    "build_torch",
    "build_keras",
    "Spec",
    "Result",
    "SpecError",
    "ShapeError",
    "InputError",
    "BuildError",
    "FrameworkMissing",
)

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'shapecli' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_API})
