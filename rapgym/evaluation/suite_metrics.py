"""The benchmark's metrics, defined over tasks so that no policy is flattered by empty or dropped-heavy episodes.

Per episode, :func:`episode_record` keeps *sums and counts*, never means: arrived tasks, completed, dropped,
deadline misses (completed later than the user's deadline), the summed latency of the completed tasks, the
summed latency *with drops* (each dropped task counted at ``max_backlog_s``, a lower bound of the latency it
would have had, since a task is dropped exactly when it would not finish within ``max_backlog_s``), the summed
accuracy of the completed tasks, the summed reward and the slots.

Per cell, :func:`aggregate` pools the tasks of all episodes (:data:`CELL_METRICS`):

* ``reward_per_slot`` — mean over episodes of return / slots (every episode has the same slots);
* ``latency_s`` — mean latency of the **completed** tasks (s) = sum of latencies / completed tasks;
* ``latency_with_drops_s`` — mean over **all** arrived tasks, a drop counted at ``max_backlog_s`` (s): a
  policy cannot look faster by dropping more;
* ``p95_latency_s`` — 95th percentile of the completed tasks' latencies, all episodes pooled;
* ``accuracy_pct`` — mean accuracy of the completed tasks (%);
* ``miss_pct`` / ``drop_pct`` — deadline misses / drops per arrived task (%);
* ``empty_episodes`` — episodes in which tasks arrived but none completed (reported, never averaged in as 0).

A ratio over no task (no completed task in the whole cell) is NaN and shown as "—". The 95 % confidence
half-width of a pooled ratio ``R = sum(y) / sum(x)`` treats episodes as clusters (ratio estimator,
linearised variance ``n / (n - 1) * sum((y_i - R x_i)^2) / sum(x)^2`` with Student's t at n - 1 degrees of
freedom); a mean over episodes uses Student's t directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["CELL_METRICS", "EPISODE_FIELDS", "aggregate", "episode_record", "ratio_ci"]

EPISODE_FIELDS = ("tasks", "completed", "dropped", "missed", "latency_sum_s", "latency_with_drops_sum_s",
                  "accuracy_sum_pct", "reward_sum", "slots", "decision_s")
"""Keys of :func:`episode_record`: counts, and sums in s, % and reward units."""

CELL_METRICS: dict[str, tuple[str, str]] = {
    "reward_per_slot": ("reward/slot", "{:.3f}"),
    "latency_s": ("latency (s)", "{:.3f}"),
    "latency_with_drops_s": ("latency incl. drops (s)", "{:.3f}"),
    "p95_latency_s": ("p95 latency (s)", "{:.3f}"),
    "accuracy_pct": ("accuracy (%)", "{:.2f}"),
    "miss_pct": ("miss (%)", "{:.1f}"),
    "drop_pct": ("drop (%)", "{:.1f}"),
}
"""Cell metric -> (header with unit, number format). Each has a ``<metric>_ci95`` half-width except p95."""


def episode_record(sim: Any, max_backlog_s: float, reward_sum: float, decision_s: float) -> dict[str, float]:
    """The sums and counts of one finished episode of a :class:`~rapgym.sim.simulator.Simulator`.

    Args:
        sim: the env's simulator after the episode (``env.unwrapped.sim``).
        max_backlog_s: the scenario's ``max_backlog_s`` (s), the latency a dropped task is counted at.
        reward_sum: the episode's return.
        decision_s: time spent in the policy's ``predict`` over the episode, s.
    """
    task_user, latency, acc_loss = sim.dispatched_tasks()
    done = latency >= 0
    lat = latency[done]
    dropped = int((~done).sum())
    return {
        "tasks": int(latency.size),
        "completed": int(done.sum()),
        "dropped": dropped,
        "missed": int((lat > sim.deadline[task_user[done]]).sum()),
        "latency_sum_s": float(lat.sum()),
        "latency_with_drops_sum_s": float(lat.sum() + dropped * max_backlog_s),
        "accuracy_sum_pct": float((sim.base_accuracy[task_user[done]] - acc_loss[done]).sum()),
        "reward_sum": float(reward_sum),
        "slots": int(sim.slot),
        "decision_s": float(decision_s),
    }


def ratio_ci(numerators: Sequence[float], denominators: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """``(sum(y) / sum(x), half-width)`` of a pooled ratio over episodes (clusters); ``(nan, nan)`` when
    ``sum(x) == 0``, half-width 0 with a single episode."""
    y = np.asarray(numerators, dtype=np.float64)
    x = np.asarray(denominators, dtype=np.float64)
    total = x.sum()
    if total <= 0:
        return float("nan"), float("nan")
    ratio = y.sum() / total
    n = y.size
    if n < 2:
        return float(ratio), 0.0
    resid = y - ratio * x
    var = n / (n - 1) * float((resid**2).sum()) / total**2
    return float(ratio), float(stats.t.ppf(0.5 + level / 2, n - 1) * np.sqrt(var))


def _mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """``(mean, Student-t half-width)``; half-width 0 for one value."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()), 0.0
    return float(x.mean()), float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))


def aggregate(episodes: Sequence[Mapping[str, float]], p95_latency_s: float) -> dict[str, float]:
    """The cell's :data:`CELL_METRICS` (with ``_ci95`` half-widths), ``empty_episodes``, ``episodes``, the task
    counts and ``decision_us`` (µs per ``predict`` call) from its episode records.

    Args:
        episodes: :func:`episode_record` of every episode of the cell.
        p95_latency_s: the 95th percentile of all completed tasks' latencies of the cell (NaN if none).
    """
    col = {key: np.array([e[key] for e in episodes], dtype=np.float64) for key in EPISODE_FIELDS}
    out: dict[str, float] = {"episodes": len(episodes)}
    out["reward_per_slot"], out["reward_per_slot_ci95"] = _mean_ci(col["reward_sum"] / col["slots"])
    pairs = {"latency_s": ("latency_sum_s", "completed", 1.0),
             "latency_with_drops_s": ("latency_with_drops_sum_s", "tasks", 1.0),
             "accuracy_pct": ("accuracy_sum_pct", "completed", 1.0),
             "miss_pct": ("missed", "tasks", 100.0), "drop_pct": ("dropped", "tasks", 100.0)}
    for metric, (num, den, scale) in pairs.items():
        ratio, half = ratio_ci(col[num], col[den])
        out[metric], out[f"{metric}_ci95"] = scale * ratio, scale * half
    out["p95_latency_s"] = float(p95_latency_s)
    out["empty_episodes"] = int(((col["tasks"] > 0) & (col["completed"] == 0)).sum())
    for key in ("tasks", "completed", "dropped"):
        out[key] = int(col[key].sum())
    out["decision_us"] = float(col["decision_s"].sum() / col["slots"].sum() * 1e6)
    return out
