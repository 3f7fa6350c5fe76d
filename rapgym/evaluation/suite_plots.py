"""The benchmark's figures (PNG; matplotlib imported by each function): latency CDFs, the accuracy-vs-latency
plane with each scenario's Pareto front, and a heat map of every policy's rank across the scenario variants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.evaluation.plots import _pyplot
from rapgym.evaluation.suite_table import Variant, ranks, variants

__all__ = ["pareto_front", "plot_latency_cdfs", "plot_pareto", "plot_rank_heatmap"]


def _grid(count: int) -> tuple[int, int]:
    cols = min(4, count)
    return math.ceil(count / cols), cols


def _colors(policies: Sequence[str]) -> dict[str, Any]:
    """One colour per policy, the same in every panel (first-seen order)."""
    names = list(dict.fromkeys(policies))
    cmap = _pyplot().get_cmap("tab20" if len(names) > 10 else "tab10")
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _log_x(ax: Any, label: str) -> None:
    """Log-scale x axis (linear when the data span less than a decade), plain labels, small ticks."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    low, high = ax.dataLim.intervalx
    if low > 0 and high / low >= 10:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        label += ", log"
    ax.set_xlabel(label + ")", fontsize=6)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3, which="both")


def plot_latency_cdfs(quantiles: Mapping[Variant, Mapping[str, Sequence[float]]], path: Path, title: str) -> None:
    """One panel per variant: the CDF of each policy's completed-task latency (s, log scale) from its quantiles
    (:data:`rapgym.evaluation.suite_cell.CDF_POINTS` evenly spaced levels)."""
    plt = _pyplot()
    rows, cols = _grid(len(quantiles))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows + 0.6), squeeze=False)
    colors = _colors([policy for by_policy in quantiles.values() for policy in by_policy])
    for ax, ((scenario, n), by_policy) in zip(axes.flat, quantiles.items(), strict=False):
        for policy, q in by_policy.items():
            if len(q):
                ax.plot(np.asarray(q), np.linspace(0, 1, len(q)), lw=1, color=colors[policy])
        _log_x(ax, "completed-task latency (s")
        ax.set_title(f"{scenario}, N={n}", fontsize=8)
    for ax in list(axes.flat)[len(quantiles):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=c, label=p) for p, c in colors.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize=6)
    fig.suptitle(title, fontsize=10)
    fig.supylabel("fraction of completed tasks", fontsize=8)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    fig.savefig(path, dpi=72)
    plt.close(fig)


def pareto_front(points: Mapping[str, tuple[float, float]]) -> list[str]:
    """Labels of the points ``(latency, accuracy)`` that no other point beats on both (lower latency, higher
    accuracy; one strictly), sorted by latency. NaN points are never on the front."""
    finite = {k: p for k, p in points.items() if not (math.isnan(p[0]) or math.isnan(p[1]))}
    front = [k for k, (lat, acc) in finite.items()
             if not any(l2 <= lat and a2 >= acc and (l2 < lat or a2 > acc) for l2, a2 in finite.values())]
    return sorted(front, key=lambda k: finite[k][0])


def plot_pareto(rows: Sequence[Mapping[str, Any]], num_users: int, path: Path, title: str) -> None:
    """One panel per scenario at ``num_users``: every policy's (completed-task latency, accuracy), the Pareto
    front joined by a line."""
    plt = _pyplot()
    groups = {v: g for v, g in variants(rows).items() if v[1] == num_users}
    if not groups:
        return
    colors = _colors([row["policy"] for group in groups.values() for row in group])
    r, c = _grid(len(groups))
    fig, axes = plt.subplots(r, c, figsize=(3.6 * c, 2.8 * r + 0.6), squeeze=False)
    for ax, ((scenario, _), group) in zip(axes.flat, groups.items(), strict=False):
        points = {row["policy"]: (float(row["latency_s"]), float(row["accuracy_pct"])) for row in group}
        for policy, (lat, acc) in points.items():
            ax.scatter(lat, acc, s=14, color=colors[policy])
        front = pareto_front(points)
        ax.plot([points[k][0] for k in front], [points[k][1] for k in front], "k--", lw=0.8)
        _log_x(ax, "completed-task latency (s")
        ax.set_title(scenario, fontsize=8)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=p) for p, c in colors.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize=6)
    fig.suptitle(title, fontsize=10)
    fig.supylabel("accuracy of completed tasks (%)", fontsize=8)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    fig.savefig(path, dpi=72)
    plt.close(fig)


def plot_rank_heatmap(rows: Sequence[Mapping[str, Any]], policies: Sequence[str], path: Path, title: str) -> None:
    """Policies (rows) x scenario variants (columns): the policy's rank by reward per slot (1 = best)."""
    plt = _pyplot()
    by_variant = ranks(rows)
    cols = list(by_variant)
    grid = np.full((len(policies), len(cols)), np.nan)
    for j, variant in enumerate(cols):
        for i, policy in enumerate(policies):
            grid[i, j] = by_variant[variant].get(policy, np.nan)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.16 * len(cols) + 2), 0.3 * len(policies) + 1.6))
    image = ax.imshow(grid, aspect="auto", cmap="viridis_r")
    ax.set_yticks(range(len(policies)), policies, fontsize=6)
    ax.set_xticks(range(len(cols)), [f"{s} N={n}" for s, n in cols], rotation=90, fontsize=4)
    fig.colorbar(image, ax=ax, label="rank (1 = best reward/slot)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
