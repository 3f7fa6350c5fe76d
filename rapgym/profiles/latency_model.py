"""Per-device-class latency model: a block's latency is a linear function of its operator census.

``latency_s = flops_conv / r_conv + flops_dwconv / r_dw + (mem_bytes + 2 * flops_linear) / bw + n_ops * t_op``

with per-class rates ``r_*`` (FLOP/s), memory bandwidth ``bw`` (B/s) and per-operator overhead
``t_op`` (s). At batch 1 a fully-connected layer streams its fp32 weights (4 bytes per 2 FLOPs) and is
memory-bound, so its cost is counted as memory traffic. The coefficients (``1/r_conv, 1/r_dw, 1/bw,
t_op``) are fitted by non-negative least squares on *relative* error to whole-model latencies
measured on real hardware (Scission). A coefficient fitted to 0 is a term the whole-model totals of
that platform do not identify (e.g. memory traffic on a GPU whose time is dominated by per-op overhead).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

__all__ = ["FEATURES", "features_matrix", "fit_coefficients", "predict"]

FEATURES: tuple[str, ...] = ("flops_conv", "flops_dwconv", "bytes_moved", "n_ops")
"""Model inputs in coefficient order (units: FLOPs, FLOPs, bytes, count); ``bytes_moved`` is
``mem_bytes + 2 * flops_linear``."""


def features_matrix(blocks: list[dict[str, float]]) -> np.ndarray:
    """``(len(blocks), 4)`` model inputs of each block (a census dict of the profiler), :data:`FEATURES` order."""
    return np.array([[float(b["flops_conv"]), float(b["flops_dwconv"]), float(b["mem_bytes"]) + 2.0 * float(b["flops_linear"]),
                      float(b["n_ops"])] for b in blocks], dtype=np.float64)


def fit_coefficients(totals: np.ndarray, latency_s: np.ndarray) -> np.ndarray:
    """Fit the 4 non-negative coefficients to whole-model ``totals`` (models x 4) and latencies (s).

    Minimises the sum of squared relative errors; returns coefficients in :data:`FEATURES` order
    (s/FLOP, s/FLOP, s/B, s/op).
    """
    totals = np.asarray(totals, dtype=np.float64)
    latency_s = np.asarray(latency_s, dtype=np.float64)
    a = totals / latency_s[:, None]
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1.0
    coef, _ = nnls(a / scale, np.ones(len(latency_s)))
    return coef / scale


def predict(features: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Latency in seconds of each row of ``features`` (blocks x 4)."""
    return np.asarray(features, dtype=np.float64) @ np.asarray(coefficients, dtype=np.float64)
