"""Dataset registry: each dataset name maps to a reader and the files it needs.

Readers register with :func:`register_dataset`; :func:`load_dataset` finds the files (see
:mod:`mtagbench.data.locate`) and returns a validated :class:`MultimodalDataset`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtagbench.data.sample import MultimodalDataset
from mtagbench.errors import ConfigError

Reader = Callable[..., MultimodalDataset]


@dataclass(frozen=True)
class DatasetSpec:
    """Registry entry of one dataset.

    Attributes:
        name: Registered name, for example ``"mosi"``.
        reader: ``reader(directory, **options)``; ``directory`` is None for generated datasets.
        description: One line for ``mtagbench datasets``.
        task: ``"regression"`` or ``"multilabel"``.
        files: File names the reader needs inside the data folder; empty for generated datasets.
        folder: Sub-folder name under ``MTAGBENCH_DATA`` and the cache folder.
        how_to_get: Where users obtain the files, shown when they are missing.
        recommended: Settings the field uses on this dataset, applied by ``mtagbench run`` unless the
            user gives them: ``{"epochs": int, "model_options": {model name: {option: value}}}``.
    """

    name: str
    reader: Reader
    description: str
    task: str
    files: tuple[str, ...] = ()
    folder: str = ""
    how_to_get: str = ""
    recommended: Mapping[str, Any] = field(default_factory=dict)

    def recommended_epochs(self) -> int | None:
        return self.recommended.get("epochs")

    def recommended_model_options(self, model_name: str) -> dict[str, Any]:
        return dict(self.recommended.get("model_options", {}).get(model_name, {}))

    @property
    def generated(self) -> bool:
        return not self.files


_DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(
    name: str,
    *,
    description: str,
    task: str = "regression",
    files: tuple[str, ...] = (),
    folder: str | None = None,
    how_to_get: str = "",
    recommended: Mapping[str, Any] | None = None,
) -> Callable[[Reader], Reader]:
    """Register the decorated reader function under ``name``."""

    def decorator(reader: Reader) -> Reader:
        _DATASETS[name] = DatasetSpec(
            name=name,
            reader=reader,
            description=description,
            task=task,
            files=tuple(files),
            folder=folder or name,
            how_to_get=how_to_get,
            recommended=dict(recommended or {}),
        )
        return reader

    return decorator


def _load_builtin_readers() -> None:
    import mtagbench.data.readers  # noqa: F401  (registers the built-in datasets)


def list_datasets() -> list[DatasetSpec]:
    """Return every registered dataset, sorted by name."""
    _load_builtin_readers()
    return [_DATASETS[name] for name in sorted(_DATASETS)]


def get_dataset_spec(name: str) -> DatasetSpec:
    """Return the :class:`DatasetSpec` registered as ``name``.

    Raises:
        ConfigError: If no dataset has that name; the message lists the registered names.
    """
    _load_builtin_readers()
    if name not in _DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; registered datasets: {', '.join(sorted(_DATASETS))}")
    return _DATASETS[name]


def load_dataset(name: str, data_dir: str | Path | None = None, **options: Any) -> MultimodalDataset:
    """Read the dataset registered as ``name`` and validate every sample.

    Args:
        name: Registered dataset name (see ``mtagbench datasets``), or the path of a folder written by
            ``mtagbench data convert`` (one holding ``manifest.json``), which is read as it is.
        data_dir: Folder that contains the dataset's files; see :func:`mtagbench.data.locate.find_data_dir`
            for the search order when it is None.
        **options: Reader options, for example ``seed`` for a generated dataset.

    Raises:
        ConfigError: For an unknown dataset name.
        DataError: For missing files or invalid contents.
    """
    from mtagbench.data.converted import is_converted_dir, read_converted
    from mtagbench.data.locate import find_data_dir

    if is_converted_dir(name):
        if options:
            raise ConfigError(f"a converted dataset folder takes no reader options, got {sorted(options)}")
        dataset = read_converted(name)
        dataset.validate()
        return dataset

    spec = get_dataset_spec(name)
    directory = None if spec.generated else find_data_dir(spec, data_dir)
    dataset = spec.reader(directory, **options)
    dataset.validate()
    return dataset
