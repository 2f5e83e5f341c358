"""Model cards (``README.md`` with YAML front matter) written from a run folder's results."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

TASK_TYPES = {"regression": "tabular-regression", "multilabel": "text-classification"}


def format_command(command: Any) -> str:
    """Return a run's ``command`` (an argv list, or a string) as one shell-quoted line."""
    if isinstance(command, str):
        return command
    if not command:
        return "(not recorded)"
    return shlex.join(str(part) for part in command)


def _metric_rows(metrics: Mapping[str, float]) -> str:
    lines = ["| Metric | Value |", "| --- | --- |"]
    lines += [f"| {name} | {float(value):.4f} |" for name, value in metrics.items()]
    return "\n".join(lines)


def _hardware_lines(config: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    environment = config.get("environment", {})
    training = config.get("training", {})
    rows = [
        ("Device", f"{training.get('device', 'unknown')} ({environment.get('device_name', 'unknown')})"),
        ("CPU threads", environment.get("threads", "unknown")),
        ("Platform", environment.get("platform", "unknown")),
        ("Python / torch / torch_geometric", " / ".join(str(environment.get(k, "?")) for k in ("python", "torch", "torch_geometric"))),
        ("Training time", f"{float(results['train_seconds']):.1f} s" if "train_seconds" in results else "unknown"),
        ("Median epoch time", f"{float(results['epoch_seconds_median']):.2f} s" if "epoch_seconds_median" in results else "unknown"),
    ]
    return "\n".join(f"- {name}: {value}" for name, value in rows)


def build_model_card(
    config: Mapping[str, Any],
    results: Mapping[str, Any],
    repo_id: str,
    license: str = "mit",
) -> ModelCard:
    """Build the model card of a trained checkpoint.

    The front matter carries ``library_name: mtagbench``, tags, the license, the dataset and the
    test metrics as a ``model-index`` entry. The body holds the test and validation metrics, the
    exact training command, the git commit, the dataset fingerprint, and the training hardware and time.

    Args:
        config: The run's ``config.json``.
        results: The run's ``results.json``.
        repo_id: Hub repository the card is written for.
        license: License identifier of the weights for the front matter.

    Returns:
        The card; ``str(card)`` is the ``README.md`` text.
    """
    architecture = config["architecture"]
    dataset = config.get("dataset", {})
    dataset_name = dataset.get("name", "unknown")
    task = config.get("task", "regression")
    test_metrics = dict(results.get("test", {}))
    command = format_command(config.get("command"))

    card_data = ModelCardData(
        library_name="mtagbench",
        license=license,
        tags=["mtagbench", architecture, "multimodal", "unaligned-sequences", dataset_name],
        datasets=[dataset_name],
        metrics=sorted(test_metrics),
        model_name=repo_id,
        eval_results=[
            EvalResult(
                task_type=TASK_TYPES.get(task, task),
                dataset_type=dataset_name,
                dataset_name=dataset_name,
                dataset_split="test",
                metric_type=name,
                metric_name=name,
                metric_value=float(value),
            )
            for name, value in test_metrics.items()
        ],
    )

    options = "\n".join(f"| {name} | {value} |" for name, value in config.get("options", {}).items())
    body = f"""
# {architecture} on {dataset_name}

An `{architecture}` checkpoint trained with mtagbench on `{dataset_name}`
({task}). The weights are the epoch chosen on the validation split
(epoch {results.get('best_epoch', '?')}, by `{results.get('selection_metric', '?')}`).

## Test metrics

{_metric_rows(test_metrics)}

## Validation metrics

{_metric_rows(results.get('valid', {}))}

## Reproduce

```bash
{command}
```

- Git commit: `{config.get('git_commit', 'unknown')}`
- Dataset fingerprint (SHA-256 over ids, features and labels): `{dataset.get('fingerprint', 'unknown')}`
- Modalities and feature sizes: `{config.get('feature_sizes', {})}`
- Parameters: {results.get('parameters', 'unknown')}

## Training hardware and time

{_hardware_lines(config, results)}

## Model options

| Option | Value |
| --- | --- |
{options}

## Use

```bash
mtagbench zoo pull {repo_id}
mtagbench evaluate --pretrained {repo_id} --dataset {dataset_name}
```

```python
import mtagbench

model = mtagbench.create_model("{architecture}", pretrained="{repo_id}")
```

The weights are in `model.safetensors`; `config.json` rebuilds the architecture through the
mtagbench model registry. Loading never unpickles.
"""
    return ModelCard(f"---\n{card_data.to_yaml()}\n---\n{body}")
