"""The one cost model of DESIGN.md §1, shared by the simulator, the solvers and the oracle."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["COST_PARAMS", "task_cost", "task_costs"]

COST_PARAMS = ("latency_ref_s", "acc_weight", "miss_penalty", "drop_penalty")
"""Order of the cost weights in the ``weights`` array taken by :func:`task_cost`."""


@njit(cache=True, inline="always")
def task_cost(latency_s: float, acc_loss_pp: float, deadline_s: float, dropped: bool, weights: np.ndarray) -> float:
    """Cost of one task: ``latency/latency_ref + acc_weight*acc_loss + miss_penalty*[latency > deadline]``.

    A dropped task costs ``drop_penalty``. ``weights`` holds the values named by :data:`COST_PARAMS`.
    """
    if dropped:
        return weights[3]
    cost = latency_s / weights[0] + weights[1] * acc_loss_pp
    if latency_s > deadline_s:
        cost += weights[2]
    return cost


@njit(cache=True)
def task_costs(latency_s: np.ndarray, acc_loss_pp: np.ndarray, deadline_s: np.ndarray, dropped: np.ndarray,
               weights: np.ndarray) -> np.ndarray:
    """:func:`task_cost` over arrays of equal shape (flattened), for solvers that score many candidates."""
    lat = latency_s.ravel()
    acc = acc_loss_pp.ravel()
    dl = deadline_s.ravel()
    dr = dropped.ravel()
    out = np.empty(lat.shape[0])
    for j in range(lat.shape[0]):
        out[j] = task_cost(lat[j], acc[j], dl[j], dr[j], weights)
    return out.reshape(latency_s.shape)
