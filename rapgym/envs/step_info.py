"""What a step reports beside the observation: the slot's ``info`` and the episode summary.

Both the single env and batched callers build their infos here, so every env reports the same keys with the
same units (``docs/model.md`` §3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rapgym.sim.layout import SlotStats
from rapgym.sim.simulator import Simulator

__all__ = ["episode_summary", "slot_info"]


def slot_info(stats: SlotStats, dt_s: float, cloud_load: float) -> dict[str, Any]:
    """The ``info`` of one slot: task counts, mean / max latency (s), mean accuracy (%), cloud load (offered
    work / slot length, unclipped) and the uplink throughput of the slot (Mbit/s)."""
    completed = stats.completed
    return {
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
