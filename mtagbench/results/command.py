"""Rebuild the ``mtagbench run`` command line that reproduces a stored run configuration."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from mtagbench.training.config import TrainConfig

# Training settings with a ``run`` option, in the order they are written.
RUN_TRAINING_OPTIONS = ("epochs", "batch_size", "lr", "weight_decay", "lr_patience", "grad_clip", "loss")

# Names that `run` reads itself; a model or reader option of the same name cannot be passed to it.
RUN_OPTION_NAMES = frozenset(
    {"dataset", "data_dir", "modalities", "class_weights", "seed", "seeds", "device", "out", "runs", "resume", "overwrite"}
    | set(RUN_TRAINING_OPTIONS)
)


def format_option_value(value: Any) -> str:
    """Return ``value`` as the command line spells it: ``true``/``false``, ``none``, comma-joined tuples."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ",".join(format_option_value(item) for item in value)
    return str(value)


def option_tokens(options: Mapping[str, Any]) -> list[str]:
    """Return ``--name value`` tokens for ``options``, sorted by name so the output is stable."""
    tokens: list[str] = []
    for name in sorted(options):
        value = options[name]
        if isinstance(value, (list, tuple)) and len(value) == 0:
            # NOTE: an empty tuple has no command-line spelling; the option's default is assumed empty.
            continue
        tokens += [f"--{name.replace('_', '-')}", format_option_value(value)]
    return tokens


def run_command(config: Mapping[str, Any], seeds: Iterable[int] | None = None) -> str:
    """Return the ``mtagbench run`` command that trains the run described by ``config``.

    The command is rebuilt from the stored configuration rather than copied from the recorded command
    line, because a run started by ``mtagbench ablate`` or from Python has no ``run`` command of its
    own. Every model and reader option is written out, defaults included, so the command still
    reproduces the run after a default changes. ``--data-dir`` and ``--device`` are left out because
    they depend on the machine.

    Args:
        config: A run's ``config.json``.
        seeds: Seeds for ``--seeds``; None writes the run's own ``--seed``.

    Returns:
        A shell-quoted command line.
    """
    training = config["training"]
    dataset = config["dataset"]
    tokens = ["mtagbench", "run", config["architecture"], "--dataset", dataset["name"]]
    tokens += ["--modalities", ",".join(dataset["modalities"])]
    for name in RUN_TRAINING_OPTIONS:
        tokens += [f"--{name.replace('_', '-')}", format_option_value(training[name])]
    if training.get("class_weights"):
        tokens.append("--class-weights")
    if seeds is None:
        tokens += ["--seed", str(training["seed"])]
    else:
        tokens += ["--seeds", *(str(seed) for seed in seeds)]
    tokens += option_tokens(config["options"])
    tokens += option_tokens(dataset.get("options", {}))

    command = shlex.join(tokens)
    shadowed = sorted(RUN_OPTION_NAMES & {*config["options"], *dataset.get("options", {})})
    if shadowed:
        command += f"  # option {shadowed[0]!r} of the model or reader is shadowed by the run option of that name"
    lr_factor = training.get("lr_factor", TrainConfig.lr_factor)
    if lr_factor != TrainConfig.lr_factor:
        command += f"  # trained with lr_factor={lr_factor}, which `run` cannot set"
    return command
