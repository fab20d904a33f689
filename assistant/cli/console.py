"""The command line's consoles. On a terminal, rich fits output to the window. Piped or redirected, nothing is
wrapped or cut at 80 columns: tables take their natural width and a long path stays on one line, so a report path
can be copied and output can be searched."""

from __future__ import annotations

import sys

from rich.console import Console

UNWRAPPED_WIDTH = 10_000
EXIT_BAD_INPUT = 2  # every command: input the user must fix (the message names it in Chinese)


def make_console(stderr: bool = False, **kwargs) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr, **kwargs)
    return Console(stderr=stderr, width=UNWRAPPED_WIDTH, soft_wrap=True, **kwargs)
