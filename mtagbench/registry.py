"""Model registry and factory.

Architectures register themselves by name with :func:`register_model`; :func:`create_model` builds
one. Other installed packages add models through the ``mtagbench.models`` entry-point group: each
entry point names a module (importing it runs its ``@register_model`` decorators) or a callable that
registers models when called.

Example:
    >>> import mtagbench
    >>> model = mtagbench.create_model("mtag", feature_sizes={"text": 300, "audio": 5, "vision": 20})
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from torch import nn

from mtagbench.errors import ConfigError
from mtagbench.options import build_options

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mtagbench.models"
TASKS = ("regression", "multilabel")


@dataclass(frozen=True)
class ModelSpec:
    """Registry entry of one architecture.

    Attributes:
        name: Registered name, for example ``"mtag"``.
        model_class: ``nn.Module`` subclass built as ``model_class(feature_sizes, output_dim, options)``.
        options_class: Frozen dataclass of the architecture's options, with their defaults.
        description: One line for ``mtagbench models``.
        tasks: Tasks the model supports, a subset of ``("regression", "multilabel")``.
        min_modalities: Minimum number of modalities the model accepts.
        max_modalities: Maximum number of modalities the model accepts, or None for any number.
        needs_aligned: True when the model needs all modalities on one time axis.
        source: Module or distribution the model came from.
    """

    name: str
    model_class: type[nn.Module]
    options_class: type
    description: str
    tasks: tuple[str, ...] = TASKS
    min_modalities: int = 1
    max_modalities: int | None = None
    needs_aligned: bool = False
    source: str = "mtagbench"


_MODELS: dict[str, ModelSpec] = {}
_entry_points_loaded = False


def register_model(
    name: str,
    *,
    options: type,
    description: str,
    tasks: tuple[str, ...] = TASKS,
    min_modalities: int = 1,
    max_modalities: int | None = None,
    needs_aligned: bool = False,
) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Register the decorated ``nn.Module`` subclass under ``name``.

    Raises:
        ValueError: If ``name`` is taken by another class or ``tasks`` names an unknown task.
    """
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown tasks {sorted(unknown)} for model {name!r}; valid tasks: {TASKS}")

    def decorator(model_class: type[nn.Module]) -> type[nn.Module]:
        existing = _MODELS.get(name)
        if existing is not None and existing.model_class is not model_class:
            raise ValueError(f"model name {name!r} is already registered by {existing.source}")
        _MODELS[name] = ModelSpec(
            name=name,
            model_class=model_class,
            options_class=options,
            description=description,
            tasks=tuple(tasks),
            min_modalities=min_modalities,
            max_modalities=max_modalities,
            needs_aligned=needs_aligned,
            source=model_class.__module__,
        )
        return model_class

    return decorator


def _load_builtin_and_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True

    import mtagbench.models  # noqa: F401  (registers the built-in models)

    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as error:  # an outside package must not break mtagbench
            logger.warning("could not load model entry point %r (%s): %s", entry_point.name, entry_point.value, error)
            continue
        if callable(loaded) and not isinstance(loaded, type):
            loaded()


def list_models(pattern: str = "*") -> list[str]:
    """Return the sorted names of registered models that match the shell-style ``pattern``."""
    _load_builtin_and_entry_points()
    return sorted(name for name in _MODELS if fnmatch.fnmatch(name, pattern))


def get_model_spec(name: str) -> ModelSpec:
    """Return the :class:`ModelSpec` registered as ``name``.

    Raises:
        ConfigError: If no model has that name; the message lists the registered names.
    """
    _load_builtin_and_entry_points()
    if name not in _MODELS:
        raise ConfigError(f"unknown model {name!r}; registered models: {', '.join(list_models())}")
    return _MODELS[name]


def create_model(
    name: str,
    *,
    feature_sizes: Mapping[str, int] | None = None,
    output_dim: int = 1,
    pretrained: str | bool | None = None,
    **options: Any,
) -> nn.Module:
    """Build the model registered as ``name``.

    Args:
        name: Registered model name (see :func:`list_models`).
        feature_sizes: Modality name to input feature size, in the order the model sees them.
        output_dim: Number of outputs: 1 for MOSI regression, 8 for the IEMOCAP 4-emotion task.
        pretrained: A zoo tag such as ``"mosi"`` (for ``mtag.mosi``), a full zoo name, or None.
        **options: The architecture's options (see ``mtagbench models NAME``).

    Returns:
        The model in training mode.

    Raises:
        ConfigError: For an unknown name, an unknown option or an invalid value.
    """
    if pretrained:
        from mtagbench.zoo import load_pretrained

        return load_pretrained(name, pretrained if isinstance(pretrained, str) else None)

    spec = get_model_spec(name)
    if feature_sizes is None:
        raise ConfigError(f"create_model({name!r}) needs feature_sizes, for example {{'text': 300, 'audio': 5}}")
    count = len(feature_sizes)
    if count < spec.min_modalities or (spec.max_modalities is not None and count > spec.max_modalities):
        allowed = f"{spec.min_modalities}" + ("" if spec.max_modalities == spec.min_modalities else f" to {spec.max_modalities or 'any number of'}")
        raise ConfigError(f"model {name!r} takes {allowed} modalities, got {count}: {list(feature_sizes)}")

    model_options = build_options(spec.options_class, options, owner=f"model {name!r}")
    return spec.model_class(dict(feature_sizes), output_dim, model_options)
