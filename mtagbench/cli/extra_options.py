"""Model and reader options given on the command line as ``--name value`` after the known options."""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Sequence
from typing import Any, get_origin

from mtagbench.data.reader_options import convert_reader_options, reader_parameters
from mtagbench.data.registry import DatasetSpec
from mtagbench.errors import ConfigError
from mtagbench.options import build_options
from mtagbench.registry import ModelSpec


def split_options(
    extra: dict[str, list[str]],
    model: ModelSpec,
    dataset: DatasetSpec,
    command_options: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Assign each extra option to the model or to the dataset reader, converting its value.

    ``command_options`` are the command's own option names (``epochs``), offered as suggestions
    for a misspelt option.

    Returns:
        ``(model_options, reader_options)``.

    Raises:
        ConfigError: For an option that neither the model nor the reader has.
    """
    model_fields = {f.name for f in dataclasses.fields(model.options_class)}
    model_hints = typing.get_type_hints(model.options_class)
    readers = reader_parameters(dataset.reader)

    model_options: dict[str, Any] = {}
    raw_reader_options: dict[str, list[str]] = {}
    for name, values in extra.items():
        if name in model_fields:
            model_options[name] = _single_or_all(values, model_hints[name])
        elif name in readers:
            raw_reader_options[name] = values
        else:
            known = sorted({*model_fields, *readers})
            close = difflib.get_close_matches(name, [*known, *command_options], n=1)
            hint = f" Did you mean --{close[0].replace('_', '-')}?" if close else ""
            raise ConfigError(
                f"unknown option --{name.replace('_', '-')} for model {model.name!r} and dataset {dataset.name!r}.{hint} "
                f"Model and reader options: {', '.join('--' + k.replace('_', '-') for k in known) or '(none)'}; "
                "see `mtagbench models NAME`, `mtagbench datasets` and `mtagbench run --help`."
            )
    build_options(model.options_class, model_options, owner=f"model {model.name!r}")
    return model_options, convert_reader_options(dataset.reader, raw_reader_options, dataset.name)


def _single_or_all(values: list[str], annotation: Any) -> Any:
    if get_origin(annotation) is tuple:
        return tuple(item for value in values for item in value.split(","))
    return values[-1]
