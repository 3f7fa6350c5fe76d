"""Closed-form share allocation: ``argmin sum_i a_i / f_i`` subject to ``sum_i f_i = 1``, ``f >= 0``.

With work ``a_i >= 0`` (e.g. a user's weighted cloud seconds per slot), the Lagrange condition
``a_i / f_i^2 = lambda`` gives ``f_i = sqrt(a_i) / sum_j sqrt(a_j)`` and the optimum
``(sum_i sqrt(a_i))^2``. Used by JM-MPRA, the oracle, RAP's shares and the hybrid RL agent.
"""

from __future__ import annotations

import numpy as np

from rapgym.errors import PolicyError

__all__ = ["closed_form_shares"]


def closed_form_shares(work: np.ndarray) -> np.ndarray:
    """Shares ``sqrt(a) / sum sqrt(a)`` along the last axis; a row of all-zero work gets equal shares.

    Args:
        work: ``(..., N)`` non-negative work per user (any unit; only ratios matter). Users with zero
            work (e.g. device-only) get share 0.

    Returns:
        ``(..., N)`` shares summing to 1 along the last axis.

    Raises:
        PolicyError: negative or non-finite work.
    """
    a = np.asarray(work, dtype=np.float64)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise PolicyError("work must be finite and >= 0")
    root = np.sqrt(a)
    total = root.sum(axis=-1, keepdims=True)
    n = a.shape[-1]
    return np.where(total > 0, root / np.where(total > 0, total, 1.0), 1.0 / n)
