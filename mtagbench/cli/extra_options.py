"""Model and reader options given on the command line as ``--name value`` after the known options."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Sequence
from typing import Any, get_origin

from mtagbench.data.registry import DatasetSpec
from mtagbench.errors import ConfigError
from mtagbench.options import build_options, convert_value
from mtagbench.registry import ModelSpec


def parse_extra_args(args: Sequence[str]) -> dict[str, list[str]]:
    """Parse ``--name value``, ``--name=value`` and bare ``--flag`` tokens; repeats accumulate.

    Raises:
        ConfigError: For a token that is not an option name, such as a stray positional value.
    """
    parsed: dict[str, list[str]] = {}
    tokens = list(args)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("--") or token == "--":
            raise ConfigError(f"unexpected argument {token!r}; options take the form --name value")
        name, has_value, value = token[2:].partition("=")
        if not has_value:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or following.startswith("--"):
                value = "true"
            else:
                value = following
                index += 1
        parsed.setdefault(name.replace("-", "_"), []).append(value)
        index += 1
    return parsed


def reader_parameters(spec: DatasetSpec) -> dict[str, inspect.Parameter]:
    """Return a reader's keyword options: its parameters after ``directory``."""
    parameters = list(inspect.signature(spec.reader).parameters.values())[1:]
    return {
        p.name: p
        for p in parameters
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    }


def split_options(
    extra: dict[str, list[str]], model: ModelSpec, dataset: DatasetSpec
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Assign each extra option to the model or to the dataset reader, converting its value.

    Returns:
        ``(model_options, reader_options)``.

    Raises:
        ConfigError: For an option that neither the model nor the reader has.
    """
    model_fields = {f.name for f in dataclasses.fields(model.options_class)}
    model_hints = typing.get_type_hints(model.options_class)
    readers = reader_parameters(dataset)
    reader_hints = typing.get_type_hints(dataset.reader)

    model_options: dict[str, Any] = {}
    reader_options: dict[str, Any] = {}
    for name, values in extra.items():
        if name in model_fields:
            model_options[name] = _single_or_all(values, model_hints[name])
        elif name in readers:
            annotation = reader_hints.get(name, str)
            value = _single_or_all(values, annotation)
            reader_options[name] = convert_value(value, annotation, f"option --{name.replace('_', '-')} of dataset {dataset.name!r}")
        else:
            known = sorted({*model_fields, *readers})
            raise ConfigError(
                f"unknown option --{name.replace('_', '-')} for model {model.name!r} and dataset {dataset.name!r}; "
                f"valid options: {', '.join('--' + k.replace('_', '-') for k in known) or '(none)'}. "
                "See `mtagbench models NAME` and `mtagbench datasets`."
            )
    build_options(model.options_class, model_options, owner=f"model {model.name!r}")
    return model_options, reader_options


def _single_or_all(values: list[str], annotation: Any) -> Any:
    if get_origin(annotation) is tuple:
        return tuple(item for value in values for item in value.split(","))
    return values[-1]
