"""What a step reports beside the observation: the slot's ``info``, its per-user outcomes and the episode summary.

Both the single env and batched callers build their infos here, so every env reports the same keys with the
same units (``docs/model.md`` §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from rapgym.sim.batch import SimulatorBatch
from rapgym.sim.layout import (
    STAT_ACCURACY_SUM,
    STAT_CLOUD_WORK_S,
    STAT_COMPLETED,
    STAT_COST_SUM,
    STAT_DROPPED,
    STAT_LATENCY_MAX,
    STAT_LATENCY_SUM,
    STAT_MISSED,
    STAT_TASKS,
    STAT_UPLINK_BITS,
    SlotStats,
)
from rapgym.sim.simulator import Simulator

__all__ = ["EPISODE_KEY", "USER_KEYS", "batch_step", "episode_summary", "percentile_95", "slot_info",
           "stack_summaries", "user_outcomes"]

EPISODE_KEY = "rapgym_episode"
"""``info`` key of the episode summary on the last step (not ``"episode"``, which Gymnasium's
``RecordEpisodeStatistics`` and SB3's ``Monitor`` write)."""

USER_KEYS = ("user_tasks", "user_cost", "user_mean_latency_s", "user_dropped", "user_deadline_misses")
"""``info`` keys of the per-user outcomes of a slot, each an ``(N,)`` array."""


@njit(cache=True)
def _batch_step_rows(active: np.ndarray, stats: np.ndarray, slots: np.ndarray, episode_slots: int, dt_s: float,
                     user_counts: np.ndarray, user_means: np.ndarray, cloud_load: np.ndarray, returns: np.ndarray,
                     rewards: np.ndarray, truncated: np.ndarray, slot_counts: np.ndarray, slot_values: np.ndarray,
                     counts: np.ndarray, means: np.ndarray) -> None:
    """The single env's reward, truncation and :func:`slot_info` of every ``active`` copy ``m`` (row ``m`` of the
    ``(M, NUM_STATS)`` stats, ``(M, 3, N)`` and ``(M, 2, N)`` per-user outcomes of the kernel, ``(M,)`` slots), the
    same arithmetic; the copy's cloud load (``(M,)``) is set and its reward added to ``returns`` (``(M,)``) in place.

    Into the zeroed outputs: ``(M,)`` rewards and truncation flags, ``(4, M)`` counts (:data:`_SLOT_COUNT_KEYS`),
    ``(5, M)`` values (:data:`_SLOT_VALUE_KEYS`), the per-user ``(3, M, N)`` counts and ``(2, M, N)`` means (rows of
    inactive copies stay zero).
    """
    num_copies, n = user_counts.shape[0], user_counts.shape[2]
    for m in range(num_copies):
        if not active[m]:
            continue
        row = stats[m]
        tasks = row[STAT_TASKS]
        reward = -row[STAT_COST_SUM] / tasks if tasks > 0 else 0.0
        rewards[m] = reward
        returns[m] += reward
        cloud_load[m] = row[STAT_CLOUD_WORK_S] / dt_s
        truncated[m] = slots[m] >= episode_slots
        completed = row[STAT_COMPLETED]
        slot_counts[0, m] = np.int64(tasks)
        slot_counts[1, m] = np.int64(completed)
        slot_counts[2, m] = np.int64(row[STAT_DROPPED])
        slot_counts[3, m] = np.int64(row[STAT_MISSED])
        slot_values[0, m] = row[STAT_LATENCY_SUM] / completed if completed > 0 else 0.0
        slot_values[1, m] = row[STAT_LATENCY_MAX]
        slot_values[2, m] = row[STAT_ACCURACY_SUM] / completed if completed > 0 else 0.0
        slot_values[3, m] = cloud_load[m]
        slot_values[4, m] = row[STAT_UPLINK_BITS] / dt_s / 1e6
        for i in range(n):  # element loops: slices per copy cost more than their copies
            for k in range(3):
                counts[k, m, i] = user_counts[m, k, i]
            for k in range(2):
                means[k, m, i] = user_means[m, k, i]


_SLOT_COUNT_KEYS = ("tasks", "completed", "dropped", "deadline_misses")
_SLOT_VALUE_KEYS = ("mean_latency_s", "max_latency_s", "mean_accuracy", "cloud_load", "uplink_mbps")
_BATCH_KEYS = tuple(k for key in _SLOT_COUNT_KEYS + _SLOT_VALUE_KEYS + USER_KEYS for k in (key, f"_{key}"))
"""Every key of a batched slot info, each followed by its mask's."""


def user_outcomes(sim: Simulator) -> dict[str, np.ndarray]:
    """Per-user outcomes of the simulator's last step (the kernel's :attr:`Simulator.user_counts` and
    :attr:`Simulator.user_means`, copied), each ``(N,)``:

    ``user_tasks`` (tasks that arrived), ``user_cost`` (mean cost of the user's tasks, the env's cost model;
    0 if none, so ``-user_cost`` is the user's own reward), ``user_mean_latency_s`` (completed tasks, s; 0 if
    none), ``user_dropped`` and ``user_deadline_misses`` (counts).
    """
    return dict(zip(USER_KEYS, _user_fields(sim.user_counts.copy(), sim.user_means.copy()), strict=True))


def _user_fields(counts: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows of the kernel's per-user ``(3, ...)`` counts and ``(2, ...)`` means in :data:`USER_KEYS`' order."""
    return counts[0], means[0], means[1], counts[1], counts[2]


def slot_info(stats: SlotStats | Sequence[float], dt_s: float, cloud_load: float, *, sim: Simulator | None = None
              ) -> dict[str, Any]:
    """The ``info`` of one slot from its aggregates (a :class:`SlotStats` or its values in that order, e.g.
    :meth:`Simulator.advance`'s list): task counts, mean / max latency (s), mean accuracy (%), cloud load (offered
    work / slot length, unclipped) and the uplink throughput of the slot (Mbit/s); given the ``sim`` that just
    stepped, also the per-user outcomes of :func:`user_outcomes`."""
    tasks, _, latency_sum, _, dropped, missed, _, completed, uplink_bits, latency_max, accuracy_sum = stats
    info: dict[str, Any] = {
        "tasks": int(tasks),
        "completed": int(completed),
        "dropped": int(dropped),
        "deadline_misses": int(missed),
        "mean_latency_s": latency_sum / completed if completed > 0 else 0.0,
        "max_latency_s": latency_max,
        "mean_accuracy": accuracy_sum / completed if completed > 0 else 0.0,
        "cloud_load": cloud_load,
        "uplink_mbps": uplink_bits / dt_s / 1e6,
    }
    if sim is not None:  # user_outcomes(sim), without a second dict
        info.update(zip(USER_KEYS, _user_fields(sim.user_counts.copy(), sim.user_means.copy()), strict=True))
    return info


def batch_step(batch: SimulatorBatch, active: np.ndarray, cloud_load: np.ndarray, returns: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """``(rewards, truncated, info)`` of one :meth:`SimulatorBatch.step` of the ``active`` copies, each copy's as the
    single env computes it, in one compiled call: ``(M,)`` rewards (0 for inactive copies), ``(M,)`` truncation flags,
    and :func:`slot_info` of every active copy (with its per-user outcomes) batched the way Gymnasium's vector envs
    batch infos: per key an ``(M,)`` (``(M, N)`` per user) array, zero in the rows of inactive copies, and a
    ``_key`` mask of the active copies (no keys when no copy is active). Sets the active copies' entries of
    ``cloud_load`` (``(M,)``, offered work / slot length) and adds their rewards to ``returns`` (``(M,)``)."""
    m, n = batch.num_copies, batch.config.num_users
    rewards, truncated = np.zeros(m), np.zeros(m, dtype=np.bool_)
    slot_counts, slot_values = np.zeros((4, m), dtype=np.int64), np.zeros((5, m))
    counts, means = np.zeros((3, m, n), dtype=np.int64), np.zeros((2, m, n))
    _batch_step_rows(active, batch.stats, batch.slots, batch.config.episode_slots, batch.config.dt_s, batch.user_counts,
                     batch.user_means, cloud_load, returns, rewards, truncated, slot_counts, slot_values, counts, means)
    if not active.any():
        return rewards, truncated, {}
    values: list[np.ndarray | None] = [None] * len(_BATCH_KEYS)
    values[0::2] = (*slot_counts, *slot_values, *_user_fields(counts, means))
    values[1::2] = np.repeat(active[None, :], len(_BATCH_KEYS) // 2, axis=0)  # Gymnasium's masks are separate arrays
    return rewards, truncated, dict(zip(_BATCH_KEYS, values, strict=True))


def stack_summaries(summaries: list[dict[str, float]], rows: np.ndarray, num_copies: int) -> dict[str, np.ndarray]:
    """The :func:`episode_summary` dicts of copies ``rows`` batched like :func:`batch_slot_info` (``(M,)`` arrays
    zero elsewhere, ``_key`` masks)."""
    mask = np.zeros(num_copies, dtype=np.bool_)
    mask[rows] = True
    out: dict[str, np.ndarray] = {}
    for key, first in summaries[0].items():
        column = np.zeros(num_copies, dtype=type(first))
        column[rows] = [summary[key] for summary in summaries]
        out[key] = column
        out[f"_{key}"] = mask.copy()
    return out


def percentile_95(values: np.ndarray) -> float:
    """``np.percentile(values, 95)`` (NumPy's default ``linear`` method, the same arithmetic, bit for bit) of a
    non-empty 1-D float array without NaNs, without ``np.percentile``'s general-case overhead."""
    ordered = np.sort(values)
    last = ordered.shape[0] - 1
    index = last * 0.95
    if index >= last:
        return float(ordered[last])
    below = int(index)
    a, b = float(ordered[below]), float(ordered[below + 1])
    t = index - below
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


@njit(cache=True)
def _dispatched_outcomes(task_user: np.ndarray, cursor: np.ndarray, latency: np.ndarray, acc_loss: np.ndarray,
                         base_accuracy: np.ndarray, deadline_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """Over the tasks dispatched so far (task ``j`` of user ``task_user[j]`` when ``j < cursor[task_user[j]]``):
    ``(latency, accuracy, tasks, deadline_misses, drops)``, the latencies (s) and accuracies (base accuracy minus
    the task's loss, %) of the completed ones in task order, and the counts (a latency of ``-1`` marks a drop)."""
    tasks = completed = 0
    for j in range(task_user.shape[0]):
        if j < cursor[task_user[j]]:
            tasks += 1
            completed += latency[j] >= 0
    lat, accuracy = np.empty(completed), np.empty(completed)
    misses = k = 0
    for j in range(task_user.shape[0]):
        user = task_user[j]
        if j < cursor[user] and latency[j] >= 0:
            lat[k] = latency[j]
            accuracy[k] = base_accuracy[user] - acc_loss[j]
            misses += latency[j] > deadline_s[user]
            k += 1
    return lat, accuracy, tasks, misses, tasks - completed


def episode_summary(sim: Simulator, episode_return: float) -> dict[str, float]:
    """Metrics over every task that arrived so far in the episode (dropped tasks excluded from latency):
    task count, mean and p95 latency (s), mean accuracy (%), deadline-miss and drop rates (fractions of the
    arrived tasks), the return and the slots played. The means are NumPy's (pairwise summation)."""
    lat, accuracy, total, misses, drops = _dispatched_outcomes(sim.task_user, sim.cursor, sim.task_latency,
                                                               sim.task_acc_loss, sim.base_accuracy, sim.deadline)
    return {
        "tasks": total,
        "mean_latency_s": float(lat.mean()) if lat.size else 0.0,
        "p95_latency_s": percentile_95(lat) if lat.size else 0.0,
        "mean_accuracy": float(accuracy.mean()) if lat.size else 0.0,
        "deadline_miss_rate": misses / total if total else 0.0,
        "drop_rate": drops / total if total else 0.0,
        "return": float(episode_return),
        "slots": int(sim.slot),
    }
