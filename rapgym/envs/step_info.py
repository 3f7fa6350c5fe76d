"""What a step reports beside the observation: the slot's ``info``, its per-user outcomes and the episode summary.

Both the single env and batched callers build their infos here, so every env reports the same keys with the
same units (``docs/model.md`` §3).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from rapgym.sim.cost import task_cost
from rapgym.sim.layout import SlotStats
from rapgym.sim.simulator import Simulator

__all__ = ["EPISODE_KEY", "USER_KEYS", "episode_summary", "slot_info", "user_outcomes"]

EPISODE_KEY = "rapgym_episode"
"""``info`` key of the episode summary on the last step (not ``"episode"``, which Gymnasium's
``RecordEpisodeStatistics`` and SB3's ``Monitor`` write)."""

USER_KEYS = ("user_tasks", "user_cost", "user_mean_latency_s", "user_dropped", "user_deadline_misses")
"""``info`` keys of the per-user outcomes of a slot, each an ``(N,)`` array."""


@njit(cache=True)
def _user_outcomes(start: np.ndarray, stop: np.ndarray, latency: np.ndarray, acc_loss: np.ndarray, deadline: np.ndarray,
                   latency_ref_s: float, acc_weight: float, miss_penalty: float, drop_penalty: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tasks, mean cost, mean latency of the completed, drops and misses of each user's tasks ``start[i]:stop[i]``."""
    n = start.shape[0]
    tasks = np.zeros(n, np.int64)
    dropped = np.zeros(n, np.int64)
    missed = np.zeros(n, np.int64)
    cost = np.zeros(n)
    mean_latency = np.zeros(n)
    for i in range(n):
        for j in range(start[i], stop[i]):
            lat = latency[j]
            drop = lat < 0.0
            tasks[i] += 1
            cost[i] += task_cost(lat, acc_loss[j], deadline[i], drop, latency_ref_s, acc_weight, miss_penalty, drop_penalty)
            if drop:
                dropped[i] += 1
            else:
                mean_latency[i] += lat
                if lat > deadline[i]:
                    missed[i] += 1
        if tasks[i] > 0:
            cost[i] /= tasks[i]
        if tasks[i] > dropped[i]:
            mean_latency[i] /= tasks[i] - dropped[i]
    return tasks, cost, mean_latency, dropped, missed


def user_outcomes(sim: Simulator, slot_start: np.ndarray) -> dict[str, np.ndarray]:
    """Per-user outcomes of the tasks dispatched since the cursors were ``slot_start`` (a copy of
    ``sim.cursor`` taken before the step), each ``(N,)``:

    ``user_tasks`` (tasks that arrived), ``user_cost`` (mean cost of the user's tasks, the env's cost model;
    0 if none, so ``-user_cost`` is the user's own reward), ``user_mean_latency_s`` (completed tasks, s; 0 if
    none), ``user_dropped`` and ``user_deadline_misses`` (counts).
    """
    cfg = sim.config
    values = _user_outcomes(slot_start, sim.cursor, sim.task_latency, sim.task_acc_loss, sim.deadline, cfg.latency_ref_s,
                            cfg.acc_weight, cfg.miss_penalty, cfg.drop_penalty)
    return dict(zip(USER_KEYS, values, strict=True))


def slot_info(stats: SlotStats, dt_s: float, cloud_load: float, *, sim: Simulator | None = None,
              slot_start: np.ndarray | None = None) -> dict[str, Any]:
    """The ``info`` of one slot: task counts, mean / max latency (s), mean accuracy (%), cloud load (offered
    work / slot length, unclipped) and the uplink throughput of the slot (Mbit/s); given ``sim`` and the
    cursors at the slot start, also the per-user outcomes of :func:`user_outcomes`."""
    completed = stats.completed
    info: dict[str, Any] = {
        "tasks": int(stats.tasks),
        "completed": int(completed),
        "dropped": int(stats.dropped),
        "deadline_misses": int(stats.missed),
        "mean_latency_s": stats.latency_sum / completed if completed > 0 else 0.0,
        "max_latency_s": stats.latency_max,
        "mean_accuracy": stats.accuracy_sum / completed if completed > 0 else 0.0,
        "cloud_load": cloud_load,
        "uplink_mbps": stats.uplink_bits / dt_s / 1e6,
    }
    if sim is not None and slot_start is not None:
        info.update(user_outcomes(sim, slot_start))
    return info


def episode_summary(sim: Simulator, episode_return: float) -> dict[str, float]:
    """Metrics over every task that arrived so far in the episode (dropped tasks excluded from latency):
    task count, mean and p95 latency (s), mean accuracy (%), deadline-miss and drop rates (fractions of the
    arrived tasks), the return and the slots played."""
    task_user, latency, acc_loss = sim.dispatched_tasks()
    done = latency >= 0
    users = task_user[done]
    lat = latency[done]
    total = int(latency.shape[0])
    return {
        "tasks": total,
        "mean_latency_s": float(lat.mean()) if lat.size else 0.0,
        "p95_latency_s": float(np.percentile(lat, 95)) if lat.size else 0.0,
        "mean_accuracy": float((sim.base_accuracy[users] - acc_loss[done]).mean()) if lat.size else 0.0,
        "deadline_miss_rate": float((lat > sim.deadline[users]).sum() / total) if total else 0.0,
        "drop_rate": float((~done).sum() / total) if total else 0.0,
        "return": float(episode_return),
        "slots": int(sim.slot),
    }
