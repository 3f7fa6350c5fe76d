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

__all__ = ["EPISODE_KEY", "USER_KEYS", "batch_step", "batch_summaries", "episode_summary", "percentile_95",
           "slot_info", "user_outcomes"]

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
_BATCH_KEYS = _SLOT_COUNT_KEYS + _SLOT_VALUE_KEYS + USER_KEYS
"""Every key of a batched slot info (each followed by its mask's, ``_key``, in the info)."""
_MASK_KEYS = tuple(f"_{key}" for key in _BATCH_KEYS)


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


def slot_info(stats: SlotStats | Sequence[float], dt_s: float, cloud_load: float, *, sim: Simulator) -> dict[str, Any]:
    """The ``info`` of one slot of ``sim`` (the simulator that just stepped) from its aggregates (a :class:`SlotStats`
    or its values in that order, e.g. :meth:`Simulator.advance`'s list): task counts, mean / max latency (s), mean
    accuracy (%), cloud load (offered work / slot length, unclipped), the uplink throughput of the slot (Mbit/s) and
    the per-user outcomes of :func:`user_outcomes` (in :data:`USER_KEYS`' order, spelled out: one dict literal builds
    faster than a dict updated from a zip)."""
    tasks, _, latency_sum, _, dropped, missed, _, completed, uplink_bits, latency_max, accuracy_sum = stats
    counts, means = sim.user_counts.copy(), sim.user_means.copy()
    return {
        "tasks": int(tasks),
        "completed": int(completed),
        "dropped": int(dropped),
        "deadline_misses": int(missed),
        "mean_latency_s": latency_sum / completed if completed > 0 else 0.0,
        "max_latency_s": latency_max,
        "mean_accuracy": accuracy_sum / completed if completed > 0 else 0.0,
        "cloud_load": cloud_load,
        "uplink_mbps": uplink_bits / dt_s / 1e6,
        "user_tasks": counts[0],
        "user_cost": means[0],
        "user_mean_latency_s": means[1],
        "user_dropped": counts[1],
        "user_deadline_misses": counts[2],
    }


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
    if not np.count_nonzero(active):  # cheaper than active.any()
        return rewards, truncated, {}
    masks = np.repeat(active[None, :], len(_BATCH_KEYS), axis=0)  # Gymnasium's masks are separate arrays
    info: dict[str, np.ndarray] = {}
    for key, mask_key, value, mask in zip(_BATCH_KEYS, _MASK_KEYS, (*slot_counts, *slot_values,
                                                                  *_user_fields(counts, means)), masks, strict=True):
        info[key] = value
        info[mask_key] = mask
    return rewards, truncated, info


_SUMMARY_KEYS = ("tasks", "mean_latency_s", "p95_latency_s", "mean_accuracy", "deadline_miss_rate", "drop_rate",
                 "return", "slots")
"""Keys of :func:`episode_summary`, in its order."""


@njit(cache=True, inline="always")
def _block_sum(values: np.ndarray, start: int, n: int) -> float:
    """A leaf of NumPy's pairwise summation, ``values[start:start + n]`` with ``n <= 128``: a plain sum from ``-0.0``
    below 8 values, else eight running sums combined as a tree, then the rest added in order."""
    if n < 8:
        total = -0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = start + 8
    end = start + n - n % 8
    while i < end:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(i, start + n):
        total += values[j]
    return total


@njit(cache=True)
def _pairwise_sum(values: np.ndarray) -> float:
    """NumPy's pairwise summation of a 1-D float64 array (the loop behind ``np.add.reduce`` of a contiguous one, bit
    for bit): up to 128 values a :func:`_block_sum`, above it the sum of the two halves (the first a multiple of 8
    long) summed alone. Evaluated with explicit stacks (numba's cache mishandles recursive functions)."""
    starts, counts, stage = np.empty(128, dtype=np.int64), np.empty(128, dtype=np.int64), np.empty(128, dtype=np.int64)
    sums = np.empty(128)
    starts[0], counts[0], stage[0] = 0, values.shape[0], 0
    top = done = 0  # top: the node on the stack's top; done: the number of finished sums
    while top >= 0:
        start, n = starts[top], counts[top]
        if n <= 128:
            sums[done] = _block_sum(values, start, n)
            done += 1
            top -= 1
            continue
        half = n // 2
        half -= half % 8
        if stage[top] == 2:  # both halves summed: combine them
            sums[done - 2] = sums[done - 2] + sums[done - 1]
            done -= 1
            top -= 1
            continue
        stage[top] += 1
        top += 1
        starts[top], counts[top], stage[top] = (start, half, 0) if stage[top - 1] == 1 else (start + half, n - half, 0)
    return sums[0]


@njit(cache=True)
def _mean(values: np.ndarray) -> float:
    """``float(values.mean())`` of a non-empty contiguous 1-D float64 array, bit for bit (NumPy starts the sum from
    the add identity 0)."""
    return (0.0 + _pairwise_sum(values)) / values.shape[0]


@njit(cache=True, inline="always")
def _sift_down(heap: np.ndarray, i: int, size: int) -> None:
    """Restore the min-heap order of ``heap[:size]`` below position ``i``."""
    value = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if not heap[child] < value:
            break
        heap[i] = heap[child]
        i = child
    heap[i] = value


@njit(cache=True)
def _ranked_pair(values: np.ndarray, k: int) -> tuple[float, float]:
    """``(ordered[k], ordered[k + 1])`` of ``ordered = np.sort(values)`` (1-D, no NaNs, ``k <= len - 2``) without the
    sort: a min-heap of the ``len - k`` largest values holds the first at its root and the second in a child."""
    size = values.shape[0] - k
    heap = values[:size].copy()
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap, i, size)
    for j in range(size, values.shape[0]):
        if values[j] > heap[0]:
            heap[0] = values[j]
            _sift_down(heap, 0, size)
    return heap[0], heap[1] if size == 2 else min(heap[1], heap[2])


@njit(cache=True)
def percentile_95(values: np.ndarray) -> float:
    """``np.percentile(values, 95)`` (NumPy's default ``linear`` method, the same arithmetic, bit for bit) of a
    non-empty 1-D float array without NaNs, without ``np.percentile``'s general-case overhead (the two order
    statistics it interpolates are selected, not sorted for)."""
    last = values.shape[0] - 1
    index = last * 0.95
    if index >= last:
        return float(values.max())
    below = int(index)
    a, b = _ranked_pair(values, below)
    t = index - below
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


@njit(cache=True)
def _summarize(arr_ptr: np.ndarray, cursor: np.ndarray, latency: np.ndarray, acc_loss: np.ndarray,
               base_accuracy: np.ndarray, deadline_s: np.ndarray) -> tuple[int, float, float, float, float, float]:
    """:func:`episode_summary`'s ``(tasks, mean_latency_s, p95_latency_s, mean_accuracy, deadline_miss_rate,
    drop_rate)`` over the tasks dispatched so far (user ``i``'s ``arr_ptr[i]:cursor[i]``; a latency of ``-1`` marks a
    drop): latencies (s) and accuracies (base accuracy minus the task's loss, %) of the completed tasks in task
    order."""
    n = cursor.shape[0]
    tasks = completed = 0
    for i in range(n):
        for j in range(arr_ptr[i], cursor[i]):
            tasks += 1
            completed += latency[j] >= 0
    if tasks == 0:
        return 0, 0.0, 0.0, 0.0, 0.0, 0.0
    lat, accuracy = np.empty(completed), np.empty(completed)
    misses = k = 0
    for i in range(n):
        for j in range(arr_ptr[i], cursor[i]):
            if latency[j] >= 0:
                lat[k] = latency[j]
                accuracy[k] = base_accuracy[i] - acc_loss[j]
                misses += latency[j] > deadline_s[i]
                k += 1
    drop_rate = (tasks - completed) / tasks
    if completed == 0:
        return tasks, 0.0, 0.0, 0.0, misses / tasks, drop_rate
    return tasks, _mean(lat), percentile_95(lat), _mean(accuracy), misses / tasks, drop_rate


@njit(cache=True)
def _summarize_rows(rows: np.ndarray, arr_ptr: np.ndarray, cursor: np.ndarray, latency: np.ndarray,
                    acc_loss: np.ndarray, base_accuracy: np.ndarray, deadline_s: np.ndarray, returns: np.ndarray,
                    slots: np.ndarray, tasks: np.ndarray, values: np.ndarray, played: np.ndarray) -> None:
    """:func:`_summarize` of each copy ``m`` of ``rows`` (row ``m`` of the batch's ``(M, N + 1)`` arrival pointers,
    ``(M, N)`` cursors, ``(M, T)`` task latencies and losses): its task count into ``tasks[m]``, the five rates and
    means and its return (``returns[m]``) into ``values[:, m]`` (``(6, M)``), its slot into ``played[m]``."""
    for m in rows:
        count, lat_mean, lat_p95, acc_mean, miss_rate, drop_rate = _summarize(
            arr_ptr[m], cursor[m], latency[m], acc_loss[m], base_accuracy, deadline_s)
        tasks[m] = count
        values[0, m], values[1, m], values[2, m] = lat_mean, lat_p95, acc_mean
        values[3, m], values[4, m], values[5, m] = miss_rate, drop_rate, returns[m]
        played[m] = slots[m]


def batch_summaries(batch: SimulatorBatch, rows: np.ndarray, returns: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`episode_summary` of each copy where the ``(M,)`` bool ``rows`` is set (its return ``returns[m]``), batched
    like :func:`batch_step`'s info: per key an ``(M,)`` array (``int64`` task and slot counts, float64 otherwise),
    zero in the other rows, and a ``_key`` mask; in one compiled call."""
    m = batch.num_copies
    tasks, values, played = np.zeros(m, dtype=np.int64), np.zeros((6, m)), np.zeros(m, dtype=np.int64)
    model = batch.model
    _summarize_rows(np.flatnonzero(rows), batch.arr_ptr, batch.cursor, batch.task_latency, batch.task_acc_loss,
                    model.base_accuracy, model.deadline_s, returns, batch.slots, tasks, values, played)
    out: dict[str, np.ndarray] = {}
    for key, column in zip(_SUMMARY_KEYS, (tasks, *values, played), strict=True):
        out[key] = column
        out[f"_{key}"] = rows.copy()
    return out


def episode_summary(sim: Simulator, episode_return: float) -> dict[str, float]:
    """Metrics over every task that arrived so far in the episode (dropped tasks excluded from latency):
    task count, mean and p95 latency (s), mean accuracy (%), deadline-miss and drop rates (fractions of the
    arrived tasks), the return and the slots played. The means are NumPy's (pairwise summation)."""
    total, lat_mean, lat_p95, acc_mean, miss_rate, drop_rate = _summarize(
        sim.draw.arr_ptr, sim.cursor, sim.task_latency, sim.task_acc_loss, sim.base_accuracy, sim.deadline)
    return dict(zip(_SUMMARY_KEYS, (total, lat_mean, lat_p95, acc_mean, miss_rate, drop_rate, float(episode_return),
                                    int(sim.slot)), strict=True))
