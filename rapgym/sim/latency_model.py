"""Per-device-class latency model: a block's latency is a linear function of its operator census.

``latency_s = flops_conv / r_conv + flops_dwconv / r_dw + flops_linear / r_lin + mem_bytes / bw + n_ops * t_op``

with per-class rates ``r_*`` (FLOP/s), memory bandwidth ``bw`` (B/s) and per-operator overhead
``t_op`` (s). The coefficients (``1/r_conv, 1/r_dw, 1/r_lin, 1/bw, t_op``) are fitted by non-negative
least squares on *relative* error to whole-model latencies measured on real hardware (Scission).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

__all__ = ["FEATURES", "features_matrix", "fit_coefficients", "predict"]

FEATURES: tuple[str, ...] = ("flops_conv", "flops_dwconv", "flops_linear", "mem_bytes", "n_ops")
"""Census fields the model uses, in coefficient order (units: FLOPs, FLOPs, FLOPs, bytes, count)."""


def features_matrix(blocks: list[dict[str, float]]) -> np.ndarray:
    """``(len(blocks), 5)`` matrix of the census fields of each block, in :data:`FEATURES` order."""
    return np.array([[float(b[f]) for f in FEATURES] for b in blocks], dtype=np.float64)


def fit_coefficients(totals: np.ndarray, latency_s: np.ndarray) -> np.ndarray:
    """Fit the 5 non-negative coefficients to whole-model ``totals`` (models x 5) and latencies (s).

    Minimises the sum of squared relative errors; returns coefficients in :data:`FEATURES` order
    (s/FLOP, s/FLOP, s/FLOP, s/B, s/op).
    """
    totals = np.asarray(totals, dtype=np.float64)
    latency_s = np.asarray(latency_s, dtype=np.float64)
    a = totals / latency_s[:, None]
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1.0
    coef, _ = nnls(a / scale, np.ones(len(latency_s)))
    return coef / scale


def predict(features: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Latency in seconds of each row of ``features`` (blocks x 5)."""
    return np.asarray(features, dtype=np.float64) @ np.asarray(coefficients, dtype=np.float64)
