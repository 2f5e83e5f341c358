"""Reader options from the command line: ``--name value`` pairs matched to a reader's keyword parameters.

A reader is ``reader(directory, *, option: type = default, ...)``. Each value is converted with the
parameter's annotation by :func:`mtagbench.options.convert_value`. An option whose annotation is a
``tuple`` may be repeated, and its values are collected in order.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Sequence
from typing import Any, get_origin

from mtagbench.errors import ConfigError
from mtagbench.options import convert_value


def reader_parameters(reader: Callable[..., Any]) -> dict[str, Any]:
    """Return keyword-only parameter name to annotation for ``reader``."""
    hints = typing.get_type_hints(reader)
    return {
        name: hints.get(name, str)
        for name, parameter in inspect.signature(reader).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def parse_reader_options(reader: Callable[..., Any], args: Sequence[str], owner: str) -> dict[str, Any]:
    """Turn ``["--seed", "3", "--csd", "audio=a.csd", "--csd", "vision=v.csd"]`` into typed keyword arguments.

    Args:
        reader: The registered reader function.
        args: Command-line arguments left after the command's own options.
        owner: Dataset name, used in error messages.

    Raises:
        ConfigError: For an argument without ``--``, a missing value, an unknown option or a value that
            does not convert.
    """
    parameters = reader_parameters(reader)
    raw: dict[str, list[str]] = {}
    position = 0
    while position < len(args):
        flag = args[position]
        if not flag.startswith("--"):
            raise ConfigError(f"unexpected argument {flag!r}; reader options are given as --name value")
        name, separator, value = flag[2:].partition("=")
        name = name.replace("-", "_")
        if not separator:
            if position + 1 >= len(args):
                raise ConfigError(f"option {flag!r} of dataset {owner!r} needs a value")
            value = args[position + 1]
            position += 1
        position += 1

        if name not in parameters:
            close = difflib.get_close_matches(name, sorted(parameters), n=1)
            hint = f"; did you mean --{close[0].replace('_', '-')}?" if close else ""
            valid = ", ".join(f"--{p.replace('_', '-')}" for p in sorted(parameters)) or "none"
            raise ConfigError(f"unknown option --{name.replace('_', '-')} for dataset {owner!r}{hint} Valid options: {valid}")
        raw.setdefault(name, []).append(value)

    options = {}
    for name, values in raw.items():
        annotation = parameters[name]
        where = f"option --{name.replace('_', '-')} of dataset {owner!r}"
        if get_origin(annotation) is tuple:
            options[name] = convert_value(values, annotation, where)
        elif len(values) > 1:
            raise ConfigError(f"{where} was given {len(values)} times; give it once")
        else:
            options[name] = convert_value(values[0], annotation, where)
    return options
