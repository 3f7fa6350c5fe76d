"""Plots of rapgym's evaluation (PNG, matplotlib's Agg backend): latency CDFs, one episode's decisions and
learning curves.

matplotlib is an optional dependency (extras ``train`` and ``dev``): it is imported by each plotting function,
so the rest of :mod:`rapgym.evaluation` works on a core install.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LearningCurve", "plot_decisions", "plot_latency_cdf", "plot_learning_curves"]


def _pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (matplotlib is an optional dependency)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_latency_cdf(latencies: Mapping[str, np.ndarray], path: Path, title: str, deadline_s: float | None = None) -> None:
    """Empirical CDF of the per-task latency (s) of each policy, all completed tasks of all its episodes.

    Args:
        latencies: policy label -> 1-D array of latencies, s.
        path: PNG to write.
        title: figure title.
        deadline_s: drawn as a vertical line when given.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, lat in latencies.items():
        x = np.sort(np.asarray(lat, dtype=np.float64))
        if x.size:
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", label=label)
    if deadline_s is not None:
        ax.axvline(deadline_s, color="black", ls=":", lw=1, label="deadline")
    ax.set_xscale("log")
    ax.set_xlabel("task latency (s, log scale)")
    ax.set_ylabel("fraction of completed tasks")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_decisions(split: np.ndarray, bits: np.ndarray, bandwidth_mbps: np.ndarray, dt_s: float, path: Path,
                   title: str, max_users: int = 8) -> None:
    """Per-user cut and bit width over one episode, against the user's uplink bandwidth.

    Args:
        split: ``(T, N)`` cut index per slot.
        bits: ``(T, N)`` bit width (bits, not index) per slot; only meaningful when the cut uploads a tensor.
        bandwidth_mbps: ``(T, N)`` measured uplink capacity during each slot, Mbit/s.
        dt_s: slot length, s.
        path: PNG to write.
        title: figure title.
        max_users: plot at most this many users (the first ones).
    """
    plt = _pyplot()
    t = np.arange(split.shape[0]) * dt_s
    n = min(split.shape[1], max_users)
    fig, axes = plt.subplots(n, 2, figsize=(11, 1.5 * n + 0.8), sharex=True, squeeze=False)
    for i in range(n):
        for col, (values, label) in enumerate(((split[:, i], "cut"), (bits[:, i], "bits"))):
            ax = axes[i, col]
            twin = ax.twinx()
            twin.fill_between(t, bandwidth_mbps[:, i], step="post", color="tab:gray", alpha=0.25, lw=0)
            twin.set_ylabel("Mbit/s", fontsize=7, color="tab:gray")
            twin.tick_params(labelsize=6, colors="tab:gray")
            ax.set_zorder(twin.get_zorder() + 1)
            ax.patch.set_visible(False)
            ax.step(t, values, where="post", color="tab:blue" if col == 0 else "tab:red", lw=1)
            ax.set_ylabel(f"user {i}\n{label}", fontsize=7)
            ax.tick_params(labelsize=6)
    for col in range(2):
        axes[-1, col].set_xlabel("time (s)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass(frozen=True)
class LearningCurve:
    """The returns of one training run against environment steps (returns are per episode: the sum of the
    per-slot rewards over the scenario's ``episode_slots``)."""

    label: str
    """Name of the run in the legend."""
    training: tuple[Sequence[int], Sequence[float]] | None
    """``(steps, returns)`` of the stochastic training policy (e.g. TensorBoard ``rollout/ep_rew_mean``), or ``None``."""
    held_out: tuple[Sequence[int], Sequence[float]] = ((), ())
    """``(steps, returns)`` of the deterministic policy on held-out episodes (the run's ``evaluations.csv``)."""


def plot_learning_curves(curves: Sequence[LearningCurve], path: Path, title: str,
                         reference_return: float | None = None, reference_label: str = "JM-MPRA: held-out") -> None:
    """Training and held-out returns of each run against environment steps, one colour per run.

    Args:
        curves: one per run.
        path: PNG to write (its folder is created).
        title: figure title.
        reference_return: a reference policy's held-out episode return, drawn as a dashed line when given.
        reference_label: legend entry of the reference line.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for color, curve in zip(colors, curves, strict=False):
        if curve.training is not None:
            ax.plot(*curve.training, color=color, alpha=0.4, label=f"{curve.label}: training")
        if len(curve.held_out[0]):
            ax.plot(*curve.held_out, color=color, marker="o", ms=3, label=f"{curve.label}: held-out")
    if reference_return is not None:
        ax.axhline(reference_return, color="black", ls="--", lw=1, label=reference_label)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
