"""Reader options from the command line: ``--name value`` pairs matched to a reader's keyword parameters.

A reader is ``reader(directory, option: type = default, ...)``: every parameter after ``directory``
is an option. Each value is converted with the parameter's annotation by
:func:`mtagbench.options.convert_value`. An option whose annotation is a ``tuple`` may be repeated,
and its values are collected in order.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, get_origin

from mtagbench.errors import ConfigError
from mtagbench.options import convert_value, parse_option_args


def reader_parameters(reader: Callable[..., Any]) -> dict[str, Any]:
    """Return parameter name to annotation for each option of ``reader`` (parameters after the first)."""
    hints = typing.get_type_hints(reader)
    parameters = list(inspect.signature(reader).parameters.values())[1:]
    return {
        parameter.name: hints.get(parameter.name, str)
        for parameter in parameters
        if parameter.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    }


def convert_reader_options(
    reader: Callable[..., Any], raw: Mapping[str, Sequence[str]], owner: str
) -> dict[str, Any]:
    """Convert ``{name: [value, ...]}`` from the command line to ``reader``'s typed keyword arguments.

    Raises:
        ConfigError: For an unknown option, a repeated single-value option or a value that does not convert.
    """
    parameters = reader_parameters(reader)
    options = {}
    for name, values in raw.items():
        if name not in parameters:
            close = difflib.get_close_matches(name, sorted(parameters), n=1)
            hint = f"; did you mean --{close[0].replace('_', '-')}?" if close else ""
            valid = ", ".join(f"--{p.replace('_', '-')}" for p in sorted(parameters)) or "none"
            raise ConfigError(
                f"unknown option --{name.replace('_', '-')} for dataset {owner!r}{hint} Valid options: {valid}"
            )
        annotation = parameters[name]
        where = f"option --{name.replace('_', '-')} of dataset {owner!r}"
        if get_origin(annotation) is tuple:
            options[name] = convert_value(list(values), annotation, where)
        elif len(values) > 1:
            raise ConfigError(f"{where} was given {len(values)} times; give it once")
        else:
            options[name] = convert_value(values[0], annotation, where)
    return options


def parse_reader_options(reader: Callable[..., Any], args: Sequence[str], owner: str) -> dict[str, Any]:
    """Turn ``["--seed", "3", "--csd", "audio=a.csd", "--csd", "vision=v.csd"]`` into typed keyword arguments.

    Args:
        reader: The registered reader function.
        args: Command-line arguments left after the command's own options.
        owner: Dataset name, used in error messages.

    Raises:
        ConfigError: For an argument without ``--``, an unknown option or a value that does not convert.
    """
    return convert_reader_options(reader, parse_option_args(args), owner)
