"""Convergence plot: validation selection metric per epoch, one line per model, a band over seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mtagbench.compare.runner import Comparison
from mtagbench.io import atomic_write
from mtagbench.results import format as fmt


def plot_convergence(comparison: Comparison, path: str | Path) -> Path:
    """Draw the validation curves of every model and save them as a PNG.

    Each line is the mean over seeds of the validation selection metric at each epoch; the shaded
    band spans the minimum to the maximum over seeds (absent for one seed); a dot marks the mean
    convergence epoch. This is the layout of Figure 7 of the MTAG paper (validation MAE of MTAG and
    MulT on unaligned CMU-MOSI).

    Args:
        comparison: The comparison to draw.
        path: The PNG file to write.

    Returns:
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(7.0, 4.5), dpi=120)
    for entry in comparison.models:
        length = max(len(curve) for curve in entry.valid_curves)
        curves = np.full((len(entry.valid_curves), length), np.nan)
        for row, curve in enumerate(entry.valid_curves):
            curves[row, : len(curve)] = curve
        epochs = np.arange(1, length + 1)
        with np.errstate(all="ignore"):
            mean = np.nanmean(curves, axis=0)
        (line,) = axes.plot(epochs, mean, label=entry.model, linewidth=1.6)
        if curves.shape[0] > 1:
            axes.fill_between(epochs, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0), color=line.get_color(), alpha=0.2, linewidth=0)
        converged = int(round(entry.convergence.mean))
        if 1 <= converged <= length:
            axes.plot([converged], [mean[converged - 1]], "o", color=line.get_color(), markersize=5)

    metric = comparison.selection_metric
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"validation {fmt.label(metric)}")
    seeds = len(comparison.seeds)
    band = f"band: min to max over {seeds} seeds; " if seeds > 1 else ""
    axes.set_title(f"{comparison.dataset}: validation {fmt.label(metric)} per epoch\n({band}dot: mean convergence epoch)", fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()

    def write(temporary: Path) -> None:
        figure.savefig(temporary, format="png")

    try:
        return atomic_write(path, write)
    finally:
        plt.close(figure)
