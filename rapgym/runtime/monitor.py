"""Observations built from the runtime's own measurements, in the env's layout (``docs/model.md §3``).

- ``bandwidth``: per past slot, the goodput of the transfers acknowledged in it -- bits over the time the
  link was busy with them (from each transfer's send start, or the previous transfer's last byte if
  later, to its own last byte). A device cannot measure an idle link, so a slot without an
  acknowledgement repeats the previous sample; before the first one, every sample is ``initial_mbps``.
  (The env observes the link's capacity even while idle: the one difference.)
- ``queue``: device backlog = profiled head time of the frames that arrived and are not through the head;
  uplink = bits of the frames handed to the uplink and not yet acknowledged, over the last bandwidth
  sample; cloud = profiled tail time over the effective share of the frames acknowledged but not answered.
- ``cloud_load``: profiled whole-cloud seconds of the frames acknowledged in the last slot, per second.
- ``profile``, ``cut_mask``: the env's (the profile measured on this host).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rapgym.sim.layout import COL_CLOUD_S, COL_DEVICE_S, STAGE_CLOUD, STAGE_DEVICE, STAGE_UPLINK

__all__ = ["Monitor"]


class Monitor:
    """Folds device events into per-user state and builds the observation at a slot start.

    Args:
        static_obs: an env observation (its ``profile``, ``cut_mask`` and spaces' shapes are used).
        arrivals: per user, arrival times (s after the epoch).
        dt_s: slot length, s.
        max_backlog_s: clip of the queue entries (the observation space's bound).
        initial_mbps: per user, bandwidth samples before the first measurement, Mbit/s.
    """

    def __init__(self, static_obs: dict[str, np.ndarray], arrivals: Sequence[np.ndarray], dt_s: float,
                 max_backlog_s: float, initial_mbps: np.ndarray) -> None:
        self.static = static_obs
        self.n, self.history = static_obs["bandwidth"].shape
        self.arrivals = [np.asarray(a, dtype=np.float64) for a in arrivals]
        self.dt, self.max_backlog = dt_s, max_backlog_s
        self.samples = [[float(initial_mbps[i])] * self.history for i in range(self.n)]
        self.slot_bits = np.zeros(self.n)
        self.slot_busy = np.zeros(self.n)
        self.last_byte = np.zeros(self.n)
        self.slot_cloud_work = 0.0
        self.decided: list[dict[int, tuple[int, float]]] = [{} for _ in range(self.n)]  # slot -> (cut, share)
        self.head_done: list[set[int]] = [set() for _ in range(self.n)]
        self.unacked: list[dict[int, float]] = [{} for _ in range(self.n)]  # task -> bits
        self.in_cloud: list[dict[int, float]] = [{} for _ in range(self.n)]  # task -> cloud s at its share

    def decide(self, slot: int, cuts: np.ndarray, shares: np.ndarray) -> None:
        """Record the cut and effective share each user applies in ``slot``."""
        for i in range(self.n):
            self.decided[i][slot] = (int(cuts[i]), float(shares[i]))

    def _cut_share(self, user: int, task: int) -> tuple[int, float]:
        """The decision that applies to ``task``; the latest one if its slot is not decided yet (a late slot)."""
        decided = self.decided[user]
        return decided.get(int(self.arrivals[user][task] // self.dt)) or decided[max(decided)]

    def event(self, event: tuple) -> None:
        """Fold one device event (see :mod:`rapgym.runtime.device`) in; times are relative to the epoch."""
        kind, user, task = event[0], event[1], event[2]
        if kind == "head":
            self.head_done[user].add(task)
            if event[4] > 0:
                self.unacked[user][task] = 8.0 * event[4]
        elif kind == "ack":
            _, _, _, send_start, last_byte, nbytes = event
            self.slot_bits[user] += 8.0 * nbytes
            self.slot_busy[user] += max(last_byte - max(send_start, self.last_byte[user]), 1e-6)
            self.last_byte[user] = last_byte
            self.unacked[user].pop(task, None)
            cut, share = self._cut_share(user, task)
            cloud_s = float(self.static["profile"][user, cut, COL_CLOUD_S])
            self.slot_cloud_work += cloud_s
            self.in_cloud[user][task] = cloud_s / max(share, 1e-6)
        elif kind == "done":
            self.in_cloud[user].pop(task, None)

    def close_slot(self) -> None:
        """End of a slot: append each user's bandwidth sample (repeat the last one if nothing was acknowledged)."""
        for i in range(self.n):
            if self.slot_busy[i] > 0:
                self.samples[i].append(self.slot_bits[i] / self.slot_busy[i] / 1e6)
            else:
                self.samples[i].append(self.samples[i][-1])
        self.slot_bits[:] = 0.0
        self.slot_busy[:] = 0.0

    def observation(self, now_s: float) -> dict[str, np.ndarray]:
        """The observation at time ``now_s`` (s after the epoch); call :meth:`close_slot` first."""
        queue = np.zeros((self.n, 3))
        bandwidth = np.array([s[-self.history:] for s in self.samples])
        for i in range(self.n):
            arrived = int(np.searchsorted(self.arrivals[i], now_s, side="right"))
            waiting = [t for t in range(arrived) if t not in self.head_done[i]]
            queue[i, STAGE_DEVICE] = sum(self.static["profile"][i, self._cut_share(i, t)[0], COL_DEVICE_S] for t in waiting)
            queue[i, STAGE_UPLINK] = sum(self.unacked[i].values()) / (max(bandwidth[i, -1], 1e-3) * 1e6)
            queue[i, STAGE_CLOUD] = sum(self.in_cloud[i].values())
        load, self.slot_cloud_work = self.slot_cloud_work / self.dt, 0.0
        return {
            "bandwidth": np.clip(bandwidth, 0.0, 1e5).astype(np.float32),
            "queue": np.clip(queue, 0.0, self.max_backlog).astype(np.float32),
            "profile": self.static["profile"].copy(),
            "cut_mask": self.static["cut_mask"].copy(),
            "cloud_load": np.array([min(load, 100.0)], dtype=np.float32),
        }
