"""Command-line interface: ``mtagbench COMMAND``.

Each command lives in its own module and registers itself on :data:`mtagbench.cli.app.app`. This
layer only parses options and calls the library; a :class:`~mtagbench.errors.MtagbenchError` is
printed as one message with exit code 2, without a traceback.
"""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.markup import escape

from mtagbench.cli.app import app
from mtagbench.errors import MtagbenchError

# Importing a command module registers its commands.
from mtagbench.cli import compare, data, explain, results, run, zoo  # noqa: E402,F401

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line, turning a user mistake into a one-line error and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True)
    try:
        app()
    except MtagbenchError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True)
        sys.exit(2)
    except (PermissionError, FileExistsError, NotADirectoryError, IsADirectoryError) as error:
        console.print(
            f"[bold red]error:[/] cannot write {escape(repr(error.filename))}: {error.strerror}; "
            "choose another output folder",
            highlight=False,
            markup=True,
        )
        sys.exit(2)
    except KeyboardInterrupt:
        console.print(
            "interrupted. A training run keeps its last completed epoch: rerun the same command with --resume "
            "to continue it."
        )
        sys.exit(130)
