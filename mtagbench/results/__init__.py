"""Results of finished runs: seed aggregation, the results store, leaderboards and ablations."""

from mtagbench.results.aggregate import MetricSummary, aggregate_metrics, summarize
from mtagbench.results.store import index_runs, load_runs

__all__ = ["MetricSummary", "aggregate_metrics", "index_runs", "load_runs", "summarize"]
