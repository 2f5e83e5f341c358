"""Checks on the keyword options that :func:`mtagbench.data.load_dataset` passes to a reader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mtagbench.errors import ConfigError


def reject_options(dataset_name: str, options: Mapping[str, Any], allowed: Sequence[str] = ()) -> None:
    """Raise :class:`ConfigError` if ``options`` is not empty.

    Args:
        dataset_name: Dataset the options were given for.
        options: Options the reader did not accept.
        allowed: The reader's own options, listed in the message.
    """
    if not options:
        return
    if allowed:
        known = f"its options are {', '.join(allowed)}"
    else:
        known = "it takes no options"
    raise ConfigError(
        f"dataset {dataset_name!r} has no option {', '.join(sorted(options))}; {known}"
    )


def int_option(dataset_name: str, name: str, value: Any, minimum: int = 1) -> int:
    """Convert an option to ``int`` (command-line values arrive as strings) and check its minimum.

    Raises:
        ConfigError: If ``value`` is not an integer or is below ``minimum``.
    """
    if isinstance(value, bool):
        raise ConfigError(f"dataset {dataset_name!r}: option {name} must be an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"dataset {dataset_name!r}: option {name} must be an integer, got {value!r}"
        ) from error
    if isinstance(value, float) and value != number:
        raise ConfigError(f"dataset {dataset_name!r}: option {name} must be an integer, got {value!r}")
    if number < minimum:
        raise ConfigError(f"dataset {dataset_name!r}: option {name} must be at least {minimum}, got {number}")
    return number
