"""`python -m shapecli` runs the command-line tool."""

from .cli import main

main()
