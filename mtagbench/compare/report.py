"""Write a comparison folder: Markdown, CSV, JSON and the convergence plot.

Layout of the folder:

- ``comparison.md``: the accuracy table (test mean ± std over seeds), the efficiency table, the
  legend of the binary-accuracy conventions, how each figure was measured and where, the
  convergence plot and the run folders;
- ``comparison.csv``: one row per model, every figure in raw units (see
  :func:`mtagbench.compare.table.comparison_frame`);
- ``comparison.json``: every figure, including the per-seed values, validation curves, per-epoch
  times, the measurement settings and the environment;
- ``convergence.png``: see :func:`mtagbench.compare.plot.plot_convergence`.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import Any

from mtagbench.compare.plot import plot_convergence
from mtagbench.compare.runner import Comparison
from mtagbench.compare.table import accuracy_rows, comparison_frame, efficiency_rows, metric_columns, reference_model
from mtagbench.io import atomic_write, atomic_write_json, atomic_write_text
from mtagbench.results import format as fmt
from mtagbench.results.command import run_command
from mtagbench.training import run_folder

MARKDOWN_FILE = "comparison.md"
CSV_FILE = "comparison.csv"
JSON_FILE = "comparison.json"
PLOT_FILE = "convergence.png"

# The two binary conventions, named by the metric keys that carry them.
BINARY_LEGEND = (
    ("acc2_nonnegative", "f1_nonnegative", "negative versus non-negative: a label >= 0 counts as positive and every test sample is kept"),
    ("acc2_nonzero", "f1_nonzero", "negative versus positive: test samples labelled exactly 0 are dropped"),
)


def write_comparison(
    comparison: Comparison, out_dir: str | Path, reference: str | None = None, command: list[str] | None = None
) -> dict[str, Path]:
    """Write the comparison folder.

    Args:
        comparison: What :func:`mtagbench.compare.compare_models` returned.
        out_dir: The folder; created when missing, its four files replaced.
        reference: Model that the percentage columns refer to; the first model by default.
        command: The command line that produced the comparison, recorded in the Markdown and JSON.

    Returns:
        ``{"markdown", "csv", "json", "plot"}`` to the written paths.

    Raises:
        ConfigError: If ``reference`` is not one of the compared models.
    """
    out_dir = Path(out_dir)
    reference_model(comparison, reference)
    frame = comparison_frame(comparison, reference)

    paths = {"plot": plot_convergence(comparison, out_dir / PLOT_FILE)}
    paths["csv"] = atomic_write(out_dir / CSV_FILE, lambda path: frame.to_csv(path, index=False, float_format="%.6g"))
    paths["json"] = atomic_write_json(out_dir / JSON_FILE, comparison_json(comparison, reference, command))
    paths["markdown"] = atomic_write_text(out_dir / MARKDOWN_FILE, render_markdown(comparison, reference, command))
    return paths


def comparison_json(comparison: Comparison, reference: str | None = None, command: list[str] | None = None) -> dict[str, Any]:
    """Return every figure of ``comparison`` as JSON-ready values (raw units)."""
    value = dataclasses.asdict(comparison)
    value["reference_model"] = reference_model(comparison, reference).model
    value["command"] = shlex.join(command) if command else None
    value["files"] = {"markdown": MARKDOWN_FILE, "csv": CSV_FILE, "plot": PLOT_FILE}
    return value


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return lines


def render_markdown(comparison: Comparison, reference: str | None = None, command: list[str] | None = None) -> str:
    """Render ``comparison.md``."""
    base = reference_model(comparison, reference).model
    training = comparison.training
    seeds = " ".join(map(str, comparison.seeds))
    sizes = ", ".join(f"{split} {count}" for split, count in comparison.split_sizes.items())
    selection = fmt.label(comparison.selection_metric)
    direction = "lower" if comparison.lower_is_better else "higher"
    lines = [
        f"# {', '.join(m.model for m in comparison.models)} on {comparison.dataset}",
        "",
        f"Every model was trained on the same data ({comparison.dataset}, fingerprint `{comparison.dataset_fingerprint}`; "
        f"{sizes}) with the same settings ({training['epochs']} epochs, batch size {training['batch_size']}, "
        f"AdamW lr {training['lr']}, weight decay {training['weight_decay']}, {training['loss']} loss) and seeds {seeds}. "
        f"Each run's tested weights are those of the epoch with the best validation {selection} ({direction} is better).",
    ]
    if command:
        lines += ["", f"Command: `{shlex.join(command)}`"]

    header, rows = accuracy_rows(comparison)
    std_note = "sample standard deviation" if len(comparison.seeds) > 1 else "one seed, so no standard deviation (n/a)"
    lines += ["", "## Test metrics", "", f"Mean ± {std_note} over seeds {seeds}. Accuracies and F1 in percent.", ""]
    lines += markdown_table(header, rows)
    lines += [""] + [f"- {text}" for text in binary_legend(metric_columns(comparison))]

    header, rows = efficiency_rows(comparison, reference)
    lines += ["", "## Size, cost, speed and convergence", ""]
    lines += markdown_table(header, rows)
    lines += [""] + [f"- {text}" for text in measurement_notes(comparison, base)]

    lines += ["", "## Convergence", "", f"![validation {selection} per epoch]({PLOT_FILE})", ""]
    lines += [
        f"Validation {selection} per epoch: the line is the mean over seeds, the band spans the minimum to the "
        "maximum over seeds, and the dot marks the mean convergence epoch.",
        "",
    ]
    for entry in comparison.models:
        per_seed = ", ".join(f"seed {seed}: epoch {epoch}" for seed, epoch in zip(entry.seeds, entry.convergence_epochs))
        lines.append(f"- {entry.model} convergence: {per_seed}")

    lines += ["", "## Runs", ""]
    for entry in comparison.models:
        config = run_folder.read_json(Path(entry.run_dirs[0]) / run_folder.CONFIG_FILE)
        trained = sum(entry.trained_now)
        lines.append(
            f"- {entry.model} (config `{entry.config_hash}`, options {entry.options or 'defaults'}): "
            f"{trained} of {len(entry.seeds)} runs trained by this comparison; folders under "
            f"`{Path(entry.run_dirs[0]).parent}`; reproduce with `{run_command(config, seeds=entry.seeds)}`"
        )
    return "\n".join(lines) + "\n"


def binary_legend(metrics: list[str]) -> list[str]:
    """Return legend lines for the binary accuracy and F1 conventions, naming the metric keys."""
    lines = []
    for accuracy, f1, meaning in BINARY_LEGEND:
        if accuracy in metrics or f1 in metrics:
            lines.append(f"{fmt.label(accuracy)} and {fmt.label(f1)} (`{accuracy}`, `{f1}`): {meaning}.")
    return lines


def _load(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def measurement_notes(comparison: Comparison, reference: str) -> list[str]:
    """Describe how each efficiency column was measured, and where."""
    env = comparison.environment
    first = comparison.models[0].measurements
    settings = comparison.settings
    hardware = sorted({name for entry in comparison.models for name in entry.history_hardware})
    reused = [entry.model for entry in comparison.models if not all(entry.trained_now)]
    notes = [
        f"parameters: scalar parameters counted by fvcore; % of {reference}: parameters relative to {reference}.",
        f"FLOPs/sample: on the first {first.flops_batch_size} training samples in stored order as one batch; forward "
        "in eval mode, forward + backward in train mode from a gradient of ones on the outputs (no loss, no "
        "optimiser); the rules of docs/measure.md, which add scatter, gather and elementwise formulas to PyTorch's counter.",
        "s/epoch, runs (median): median training seconds per epoch over every epoch of every seed, from the runs' "
        f"history (recorded on: {'; '.join(hardware) or 'unknown'}).",
        f"s/epoch, measured here: median of {settings.timing_steps} timed training steps (forward, loss, backward, "
        f"AdamW step; after warm-up steps: {settings.timing_warmup_steps}) on the first training batches, times the "
        f"{first.batches_per_epoch} batches of an epoch. All models were timed back to back in one process.",
        f"inference samples/s: median of {settings.throughput_repeats} passes over the first "
        f"{settings.throughput_batches} test batches of {comparison.training['eval_batch_size']} samples, eval mode, "
        f"after warm-up batches: {settings.throughput_warmup_steps}.",
        f"peak memory growth: peak minus current memory around one training step on the FLOPs batch, read with "
        f"{first.peak_memory_method}; on the CPU it is process memory, so a model measured later in the same "
        "process can read lower (see docs/measure.md).",
        f"convergence epoch: per seed, the first epoch after which validation {fmt.label(comparison.selection_metric)} "
        f"does not improve by more than {settings.convergence_tolerance}; mean ± standard deviation over seeds.",
        f"measured on {env['device']} ({env['device_name']}), {env['torch_threads']} threads, torch {env['torch']}, "
        f"torch_geometric {env['torch_geometric']}, numpy {env['numpy']}, Python {env['python']}.",
        f"1-minute load average before each model's step timing ({first.cpu_count} logical CPUs): "
        + ", ".join(f"{entry.model} {_load(entry.measurements.load_average)}" for entry in comparison.models)
        + ". A load above the CPU count means other processes competed for the CPU and times are inflated.",
    ]
    if reused:
        notes.append(
            f"runs of {', '.join(reused)} were read from existing run folders, so their history times may come "
            "from another machine or load; the measured column is from this process."
        )
    return notes
