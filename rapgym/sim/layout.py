"""Named indices of the slot kernel's arrays (numba reads these module globals as compile-time constants).

- cut table / observation ``profile`` ``(N, Kmax+1, 3 + nbits)``: columns ``COL_*``;
- queue state and backlog ``(N, 3)``: columns ``STAGE_*`` (the device -> uplink -> cloud pipeline of
  ``docs/model.md §1``);
- per-slot aggregates ``stats``: positions ``STAT_*``, the fields of :class:`SlotStats` in the same order.

Note: numba's on-disk cache does not track these constants, so changing a value here needs the
``__pycache__`` of :mod:`rapgym.sim` cleared.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "COL_ACC_LOSS", "COL_CLOUD_S", "COL_DEVICE_S", "COL_TX", "NUM_STAGES", "NUM_STATS", "STAGE_CLOUD", "STAGE_DEVICE",
    "STAGE_UPLINK", "STAT_ACC_LOSS_SUM", "STAT_ACCURACY_SUM", "STAT_CLOUD_WORK_S", "STAT_COMPLETED", "STAT_COST_SUM",
    "STAT_DROPPED", "STAT_LATENCY_MAX", "STAT_LATENCY_SUM", "STAT_MISSED", "STAT_TASKS", "STAT_UPLINK_BITS", "SlotStats",
]

COL_DEVICE_S = 0
"""Cut-table column: device latency of blocks ``1..k``, s (the user's device factor applied)."""
COL_CLOUD_S = 1
"""Cut-table column: cloud latency of the remaining blocks on the whole cloud, s."""
COL_TX = 2
"""Cut-table column: fp32 size of the tensor crossing the cut (bytes in the observation, bits in the kernel's table)."""
COL_ACC_LOSS = 3
"""First cut-table column of accuracy loss, pp: bit width ``j`` of the scenario is column ``COL_ACC_LOSS + j``."""

STAGE_DEVICE, STAGE_UPLINK, STAGE_CLOUD = 0, 1, 2
"""Columns of the queue state (time each stage frees, s) and of the backlog (remaining work, s)."""
NUM_STAGES = 3

(STAT_TASKS, STAT_COST_SUM, STAT_LATENCY_SUM, STAT_ACC_LOSS_SUM, STAT_DROPPED, STAT_MISSED, STAT_CLOUD_WORK_S,
 STAT_COMPLETED, STAT_UPLINK_BITS, STAT_LATENCY_MAX, STAT_ACCURACY_SUM) = range(11)
"""Positions of the per-slot aggregates in the kernel's ``stats`` array (the fields of :class:`SlotStats`)."""
NUM_STATS = 11


class SlotStats(NamedTuple):
    """Aggregates of one slot's tasks, as returned by :meth:`rapgym.sim.simulator.Simulator.step`."""

    tasks: float
    """Tasks that arrived in the slot (dropped ones included)."""
    cost_sum: float
    """Sum of the tasks' costs (``docs/model.md §2``)."""
    latency_sum: float
    """Sum of the completed tasks' latencies, s."""
    acc_loss_sum: float
    """Sum of the completed tasks' accuracy losses, pp."""
    dropped: float
    """Tasks dropped because they would not complete within ``max_backlog_s``."""
    missed: float
    """Completed tasks over their deadline."""
    cloud_work_s: float
    """Cloud work offered by the completed tasks, s on the whole cloud."""
    completed: float
    """Tasks not dropped."""
    uplink_bits: float
    """Bits uploaded by the completed tasks."""
    latency_max: float
    """Largest latency of a completed task, s (0 if none)."""
    accuracy_sum: float
    """Sum of the completed tasks' top-1 accuracies, %."""
