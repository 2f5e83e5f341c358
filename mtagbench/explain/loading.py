"""Load the MTAG model to explain from a checkpoint folder, a run folder or the model zoo."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtagbench.checkpoint import load_checkpoint, read_config
from mtagbench.errors import CheckpointError, ConfigError
from mtagbench.explain.inference import require_mtag
from mtagbench.models.mtag import MTAG
from mtagbench.training import run_folder

logger = logging.getLogger(__name__)

MTAG_ARCHITECTURE = "mtag"


@dataclass
class LoadedModel:
    """A model to explain and where it came from.

    Attributes:
        model: The MTAG model, in evaluation mode.
        config: Its checkpoint config; for a zoo model, only ``architecture`` and ``feature_sizes``.
        source: Readable origin, for messages: the folder or the zoo name.
        dataset: For a run folder, the recorded dataset (``name``, ``modalities``, ``options``);
            empty otherwise.
    """

    model: MTAG
    config: dict[str, Any]
    source: str
    dataset: dict[str, Any] = field(default_factory=dict)


def _require_mtag_config(config: dict[str, Any], where: str) -> None:
    architecture = config.get("architecture")
    if architecture != MTAG_ARCHITECTURE:
        raise ConfigError(
            f"{where} contains a {architecture!r} model; only MTAG models can be explained, because the "
            "explanation reads the attention weights and pruning decisions that MTAG returns"
        )


def load_from_checkpoint(directory: str | Path) -> LoadedModel:
    """Load an MTAG checkpoint folder (``config.json`` and ``model.safetensors``).

    Raises:
        CheckpointError: For a missing or corrupt checkpoint.
        ConfigError: For a checkpoint of another architecture.
    """
    where = f"checkpoint {directory}"
    _require_mtag_config(read_config(directory), where)
    model, config = load_checkpoint(directory)
    return LoadedModel(require_mtag(model, where), config, str(directory))


def load_from_run(directory: str | Path) -> LoadedModel:
    """Load the selected weights of a run folder, with the dataset it was trained on.

    An unfinished run still has the weights of its best epoch so far; they are loaded with a
    warning.

    Raises:
        CheckpointError: For a folder without a run's ``config.json`` or weights.
        ConfigError: For a run of another architecture.
    """
    directory = Path(directory)
    config = read_config(directory)
    if "dataset" not in config:
        raise CheckpointError(
            f"{directory / run_folder.CONFIG_FILE} records no dataset, so {directory} is a checkpoint "
            "folder, not a run folder; pass it with --checkpoint and name the dataset with --dataset"
        )
    loaded = load_from_checkpoint(directory)
    if not run_folder.is_complete(directory):
        logger.warning("run %s is unfinished; explaining the weights of its best epoch so far", directory)
    loaded.dataset = dict(config["dataset"])
    return loaded


def load_from_zoo(name: str) -> LoadedModel:
    """Load a pretrained model by zoo name, ``ARCH.TAG`` (for example ``mtag.mosi``) or a bare tag.

    The zoo is imported only here, through :func:`mtagbench.registry.create_model`.

    Raises:
        ConfigError: When the zoo is not installed, or the name is not an MTAG model.
    """
    from mtagbench.registry import create_model

    architecture, _, tag = name.partition(".")
    if not tag:
        architecture, tag = MTAG_ARCHITECTURE, name
    _require_mtag_config({"architecture": architecture}, f"pretrained model {name!r}")

    try:
        model = create_model(architecture, pretrained=tag)
    except ModuleNotFoundError as error:
        if error.name is None or not error.name.startswith("mtagbench.zoo"):
            raise
        raise ConfigError(
            f"cannot load pretrained model {name!r}: the model zoo (mtagbench.zoo) is not installed in this "
            "copy of mtagbench; pass a trained model with --checkpoint DIR or --run DIR instead"
        ) from None

    model.eval()
    config = {"architecture": architecture, "feature_sizes": dict(model.feature_sizes)}
    return LoadedModel(require_mtag(model, f"pretrained model {name!r}"), config, f"zoo model {name}")
