"""Latency estimate and RAP's bandwidth-dependent weighting, vectorised over ``(N, C)`` candidates.

``T(k, b)`` of a task arriving at the slot start with constant uplink rate ``B`` (bit/s, times the user's
uplink share ``w``) and compute share ``f``, on queues with backlogs ``q = (q_dev, q_up, q_cloud)`` s::

    device-only:  T = q_dev + device_s
    uploading:    T = max(max(q_dev + device_s, q_up) + bits / (w B) + rtt/2, q_cloud) + cloud_s / f + rtt/2

which is the pipeline of ``docs/model.md §1`` for one task at constant bandwidth (with ``q = 0`` it is the
classic ``device + bits/B + rtt + cloud/f``). With a stream of ``m`` tasks per slot spaced ``1/fps`` apart
the ``j``-th waits ``j * max(0, s_b - 1/fps)`` more, ``s_b = max(device, bits/(wB), cloud/f)`` the bottleneck
stage (exact for a deterministic tandem of FIFO stages), so the slot's mean latency adds
``max(0, s_b - 1/fps) * max(m - 1, 0) / 2``. Both are non-decreasing in device s, bits and cloud s.
"""

from __future__ import annotations

import numpy as np

from rapgym.agents.candidates import Candidates
from rapgym.agents.estimators import FLOOR_MBPS
from rapgym.errors import PolicyError

__all__ = ["OMEGA_FORMS", "latency_estimate", "omega"]

OMEGA_FORMS = ("rational", "exponential", "constant")
"""``rational``: ``B/(B+B0)`` (default); ``exponential``: ``1 - exp(-B/B0)``; ``constant``: ``omega_const``."""


def omega(bandwidth_mbps: np.ndarray, form: str, b0_mbps: float, omega_const: float = 0.5) -> np.ndarray:
    """Weight of accuracy (vs latency) as a function of the estimated bandwidth, ``(N,)`` in [0, 1]."""
    b = np.asarray(bandwidth_mbps, dtype=np.float64)
    if form == "rational":
        return b / (b + b0_mbps)
    if form == "exponential":
        return -np.expm1(-b / b0_mbps)
    if form == "constant":
        return np.full(b.shape, omega_const)
    raise PolicyError(f"omega form {form!r} unknown; allowed: {list(OMEGA_FORMS)}")


def latency_estimate(cands: Candidates, bandwidth_mbps: np.ndarray, compute_share: np.ndarray,
                     uplink_share: np.ndarray, rtt_s: float, queue_s: np.ndarray | None = None,
                     stream: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``(N, C)`` estimated latency ``T`` of every candidate, s (invalid candidates: ``inf``).

    Args:
        cands: ``(N, C)`` candidates.
        bandwidth_mbps: ``(N,)`` uplink rate estimate of each user's link, Mbit/s (floored at ``FLOOR_MBPS``).
        compute_share, uplink_share: ``(N,)`` shares assumed for each user if it uploads (> 0).
        rtt_s: round-trip time, s.
        queue_s: ``(N, 3)`` device / uplink / cloud backlog, s; ``None`` plans on empty queues.
        stream: ``(fps, tasks_per_slot)``, each ``(N,)``, to average over the slot's stream of tasks;
            ``None`` plans for one task.
    """
    rate = np.maximum(np.asarray(bandwidth_mbps, dtype=np.float64), FLOOR_MBPS) * 1e6 * uplink_share
    q = np.zeros((cands.split.shape[0], 3)) if queue_s is None else np.asarray(queue_s, dtype=np.float64)
    tx_s = cands.tx_bits / rate[:, None]
    cloud_s = cands.cloud_s / compute_share[:, None]
    dev_done = q[:, 0:1] + cands.device_s
    done = np.maximum(dev_done, q[:, 1:2])  # in place from here on: upload done, then cloud done
    done += tx_s
    done += 0.5 * rtt_s
    np.maximum(done, q[:, 2:3], out=done)
    done += cloud_s
    done += 0.5 * rtt_s
    lat = np.where(cands.uploads, done, dev_done)
    if stream is not None:
        fps, tasks = stream
        slack = np.maximum(tx_s, cands.device_s, out=tx_s)  # bottleneck stage, then its excess over 1/fps
        np.maximum(slack, cloud_s, out=slack)
        slack = np.where(cands.uploads, slack, cands.device_s)
        slack -= 1.0 / fps[:, None]
        np.maximum(slack, 0.0, out=slack)
        slack *= (np.maximum(tasks - 1.0, 0.0) / 2.0)[:, None]
        lat += slack
    return np.where(cands.valid, lat, np.inf)
