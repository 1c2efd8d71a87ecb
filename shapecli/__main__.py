"""`python -m shapecli` and the `shapecli` script: the command line (`cli.main`) as a process."""

import gc


def entry_point() -> None:
    """Run `cli.main` with the cyclic garbage collector off from the first import to the exit.

    A command builds many small objects and hardly any cycles (see `cli._guarded`), and all it
    builds lives until the process ends: collections would only trace it again and again — while
    the command line and the modules a command needs are imported, and in the interpreter's final
    collections at exit, out of whose reach gc.freeze() moves every object. Output files are closed
    by then, and the standard streams are flushed by the interpreter as before. Together about a
    fifth of a short command's time. `cli.main` itself, which tests and the API call, turns the
    collector off only while a command runs.
    """
    gc.disable()
    try:
        from .cli import main

        main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    entry_point()
