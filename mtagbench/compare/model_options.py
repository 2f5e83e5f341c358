"""Per-model options written ``MODEL:NAME=VALUE``, as ``--model-option mtag:num_layers=4`` gives them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mtagbench.errors import ConfigError
from mtagbench.options import build_options
from mtagbench.registry import get_model_spec


def parse_model_options(specs: Iterable[str], models: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Group ``MODEL:NAME=VALUE`` strings by model and convert each value to the option's type.

    A later value for the same model and option replaces an earlier one. Option names may use
    ``-`` or ``_``. Tuple options take comma-separated values (``mtag:modalities=text,audio``).

    Args:
        specs: The strings, for example ``["mtag:num_layers=4", "mult:num_heads=8"]``.
        models: The compared models; every ``MODEL`` must be one of them.

    Returns:
        Model name to its converted options; every model in ``models`` has an entry, possibly empty.

    Raises:
        ConfigError: For a malformed string, a model that is not compared, or an option the model
            does not have or a value it cannot take.
    """
    raw: dict[str, dict[str, str]] = {name: {} for name in models}
    for spec in specs:
        model, colon, assignment = spec.partition(":")
        name, equals, value = assignment.partition("=")
        model, name = model.strip(), name.strip().replace("-", "_")
        if not colon or not equals or not model or not name:
            raise ConfigError(
                f"invalid model option {spec!r}: write MODEL:NAME=VALUE, for example mtag:num_layers=4"
            )
        if model not in raw:
            raise ConfigError(
                f"model option {spec!r} names model {model!r}, which is not compared; compared models: "
                f"{', '.join(models)}"
            )
        raw[model][name] = value.strip()

    options: dict[str, dict[str, Any]] = {}
    for model, values in raw.items():
        spec = get_model_spec(model)
        built = build_options(spec.options_class, values, owner=f"model {model!r}")
        options[model] = {name: getattr(built, name) for name in values}
    return options
