"""Typed option dataclasses, filled from keyword arguments or command-line strings.

Every model declares its options as a frozen dataclass. :func:`build_options` checks names and
converts values, so ``--keep-ratio 0.8`` on the command line and ``keep_ratio=0.8`` in Python
reach the model the same way, and a misspelt option is an error rather than silently ignored.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar, get_args, get_origin

from mtagbench.errors import ConfigError

OptionsT = TypeVar("OptionsT")


def build_options(options_class: type[OptionsT], values: Mapping[str, Any], owner: str) -> OptionsT:
    """Create ``options_class(**values)`` after checking each name and converting each value.

    Args:
        options_class: A dataclass whose fields carry type annotations.
        values: Option name (``keep_ratio`` or ``keep-ratio``) to value; strings are converted.
        owner: What the options belong to, used in error messages (for example ``"model 'mtag'"``).

    Raises:
        ConfigError: For an unknown name or a value that does not convert to the field's type.
    """
    hints = typing.get_type_hints(options_class)
    fields = {f.name for f in dataclasses.fields(options_class)}
    converted = {}
    for raw_name, value in values.items():
        name = raw_name.replace("-", "_")
        if name not in fields:
            close = difflib.get_close_matches(name, sorted(fields), n=1)
            hint = f"; did you mean {close[0].replace('_', '-')!r}?" if close else ""
            raise ConfigError(
                f"unknown option {raw_name!r} for {owner}{hint} "
                f"Valid options: {', '.join(sorted(f.replace('_', '-') for f in fields))}"
            )
        converted[name] = convert_value(value, hints[name], f"option {name.replace('_', '-')!r} of {owner}")
    try:
        return options_class(**converted)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"invalid options for {owner}: {error}") from None


def parse_option_args(args: Sequence[str]) -> dict[str, list[str]]:
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


def convert_value(value: Any, annotation: Any, where: str) -> Any:
    """Convert ``value`` (often a string from the command line) to ``annotation``."""
    origin = get_origin(annotation)
    args = get_args(annotation)

    if origin is Literal:
        choices = args
        if isinstance(value, str) and value not in choices:
            raise ConfigError(f"invalid value {value!r} for {where}: choose one of {', '.join(map(str, choices))}")
        if value not in choices:
            raise ConfigError(f"invalid value {value!r} for {where}: choose one of {', '.join(map(str, choices))}")
        return value

    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        non_none = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in {"none", ""}):
            if type(None) in args:
                return None
        return convert_value(value, non_none[0], where)

    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        item_type = args[0] if args else str
        return tuple(convert_value(item.strip() if isinstance(item, str) else item, item_type, where) for item in items)

    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"invalid value {value!r} for {where}: expected true or false")

    if annotation in (int, float, str):
        try:
            converted = annotation(value)
        except (TypeError, ValueError):
            raise ConfigError(f"invalid value {value!r} for {where}: expected {annotation.__name__}") from None
        if annotation is int and isinstance(value, float) and value != converted:
            raise ConfigError(f"invalid value {value!r} for {where}: expected an integer")
        return converted

    return value


def describe_options(options_class: type) -> list[tuple[str, str, str, str]]:
    """Return ``(command-line name, type, default, help)`` for each field of ``options_class``."""
    hints = typing.get_type_hints(options_class)
    rows = []
    for f in dataclasses.fields(options_class):
        annotation = hints[f.name]
        if get_origin(annotation) is Literal:
            type_text = "|".join(map(str, get_args(annotation)))
        else:
            type_text = getattr(annotation, "__name__", str(annotation)).replace("typing.", "")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if isinstance(default, tuple):
            default = ",".join(map(str, default)) or "(all)"
        rows.append((f"--{f.name.replace('_', '-')}", type_text, str(default), f.metadata.get("help", "")))
    return rows
