"""The one results table of rapgym's evaluation: one row per (scenario, policy), each metric as the mean over
episodes ± the 95 % confidence half-width, rendered as markdown, CSV or a ``rich`` console table.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from rich.table import Table
from scipy import stats

from rapgym.evaluation.suite_metrics import ratio_ci

__all__ = ["METRICS", "Metric", "ResultRow", "ci_markdown_table", "ci_rich_table", "confidence_interval", "result_row",
           "write_ci_csv"]


class Metric(NamedTuple):
    """One column of the table."""

    field: str
    """Key of :attr:`ResultRow.mean` and CSV column name (in the table's units)."""
    summary_key: str
    """Key of the episode summary of :func:`rapgym.evaluation.runner.run_episode`."""
    header: str
    """Column header (with units)."""
    fmt: str
    """Format of the mean and of the half-width."""
    scale: float
    """Table value = ``scale`` x summary value (rates as fractions become %)."""
    weight: str | None = None
    """``None``: mean over episodes; ``"completed"`` / ``"tasks"``: a per-task figure, pooled over the episodes'
    completed / arrived tasks (:func:`rapgym.evaluation.suite_metrics.ratio_ci`), so an episode without a
    completed task adds nothing instead of a 0."""


METRICS: tuple[Metric, ...] = (
    Metric("mean_reward", "mean_reward", "reward/step", "{:.3f}", 1.0),
    Metric("mean_latency_s", "mean_latency_s", "mean lat (s)", "{:.3f}", 1.0, "completed"),
    Metric("p95_latency_s", "p95_latency_s", "p95 lat (s)", "{:.3f}", 1.0, "completed"),
    Metric("mean_accuracy", "mean_accuracy", "accuracy (%)", "{:.2f}", 1.0, "completed"),
    Metric("deadline_miss_pct", "deadline_miss_rate", "miss (%)", "{:.1f}", 100.0, "tasks"),
    Metric("drop_pct", "drop_rate", "drop (%)", "{:.1f}", 100.0, "tasks"),
    Metric("drops", "drops", "drops/ep", "{:.1f}", 1.0),
    Metric("cloud_util", "cloud_util", "cloud util", "{:.2f}", 1.0),
    Metric("decision_us", "decision_us", "decide (µs/step)", "{:.0f}", 1.0),
)
"""Columns after scenario, policy and episode count. Units: reward per slot; latencies s (of the completed tasks,
pooled over episodes; p95: the episodes' p95 weighted by their completed tasks); accuracy (of the completed
tasks), miss and drop rates (per arrived task) %; drops tasks per episode; cloud utilisation the mean offered cloud load (1 = the whole cloud
busy); decision time µs per step (after one untimed warm-up call)."""


@dataclass(frozen=True)
class ResultRow:
    """One policy on one scenario over ``episodes`` episodes: per :data:`METRICS` field, the mean and the 95 %
    confidence half-width (in the table's units)."""

    scenario: str
    policy: str
    episodes: int
    mean: dict[str, float]
    half_width: dict[str, float]

    def cells(self) -> list[str]:
        """Formatted cells: scenario, policy, episodes, then ``mean ± half-width`` per metric."""
        return [self.scenario, self.policy, str(self.episodes)] + [
            (m.fmt + " ± " + m.fmt).format(self.mean[m.field], self.half_width[m.field]) for m in METRICS]


HEADERS = ["scenario", "policy", "episodes"] + [m.header for m in METRICS]
"""Headers of :meth:`ResultRow.cells`."""


def confidence_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """``(mean, half-width)`` of the Student-t confidence interval of the mean; half-width 0 for one value."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()), 0.0
    sem = x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(stats.t.ppf(0.5 + level / 2, x.size - 1) * sem)


def result_row(scenario: str, policy: str, summaries: Sequence[Mapping[str, float]]) -> ResultRow:
    """The row of ``policy`` on ``scenario`` from its episode summaries (one per episode; ``tasks`` and
    ``drop_rate`` give the weights of the per-task metrics)."""
    mean, half = {}, {}
    tasks = np.array([s["tasks"] for s in summaries], dtype=np.float64)
    weights = {"tasks": tasks, "completed": np.round(tasks * (1.0 - np.array([s["drop_rate"] for s in summaries])))}
    for m in METRICS:
        values = np.array([s[m.summary_key] for s in summaries], dtype=np.float64)
        if m.weight is None:
            centre, width = confidence_interval(values)
        else:
            centre, width = ratio_ci(values * weights[m.weight], weights[m.weight])
        mean[m.field], half[m.field] = m.scale * centre, m.scale * width
    return ResultRow(scenario, policy, len(summaries), mean, half)


def ci_markdown_table(rows: Sequence[ResultRow], title: str | None = None) -> str:
    """Rows as GitHub markdown (``mean ± half-width`` per metric), under ``## title`` when given."""
    lines = [f"## {title}", ""] if title else []
    lines += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_ci_csv(rows: Sequence[ResultRow], path: Path) -> None:
    """Rows at full precision: scenario, policy, episodes, then per metric ``<field>`` and ``<field>_ci95``."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["scenario", "policy", "episodes"] + [f"{m.field}{suffix}" for m in METRICS for suffix in ("", "_ci95")])
        for row in rows:
            writer.writerow([row.scenario, row.policy, row.episodes]
                            + [v for m in METRICS for v in (row.mean[m.field], row.half_width[m.field])])


def ci_rich_table(rows: Sequence[ResultRow], title: str) -> Table:
    """Rows as a ``rich`` table (``mean ± half-width`` per metric) for the console."""
    table = Table(title=title)
    for header in HEADERS:
        table.add_column("n" if header == "episodes" else header, justify="left" if header in ("scenario", "policy") else "right")
    for row in rows:
        table.add_row(*row.cells())
    return table
