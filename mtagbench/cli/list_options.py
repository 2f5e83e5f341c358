"""Options that take several values after one flag, as in ``--seeds 0 1 2 3 4``.

Click options take a fixed number of values, so a list option is normally repeated
(``--seeds 0 --seeds 1``). :class:`SeedsCommand` rewrites ``--seeds 0 1 2`` into that form before
Click parses the arguments, taking every following token that is an integer. Both spellings work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import click
from typer.core import TyperCommand

INTEGER = re.compile(r"^-?\d+$")


def expand_list_option(args: Sequence[str], name: str) -> list[str]:
    """Rewrite ``NAME a b c`` in ``args`` as ``NAME a NAME b NAME c`` for integer values.

    ``NAME=a`` stays as it is, and ``--`` ends option parsing, so nothing after it is rewritten.
    """
    expanded: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            expanded.extend(args[index:])
            break
        if token != name:
            expanded.append(token)
            index += 1
            continue

        index += 1
        values = []
        while index < len(args) and INTEGER.match(args[index]):
            values.append(args[index])
            index += 1
        if not values:
            # Let Click report the missing value.
            expanded.append(token)
        for value in values:
            expanded += [name, value]
    return expanded


class SeedsCommand(TyperCommand):
    """A Typer command whose ``--seeds`` option takes its values space-separated."""

    list_options = ("--seeds",)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for name in self.list_options:
            args = expand_list_option(args, name)
        return super().parse_args(ctx, args)
