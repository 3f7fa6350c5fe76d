"""The one cost model and the cut rules of ``docs/model.md §1-2``, shared by the kernel and the solvers.

The scalar functions are numba-compiled and inlined into the slot kernel of :mod:`rapgym.sim.pipeline`;
:func:`upload_table` applies the same functions to a whole cut table for the solvers that enumerate
candidates (:mod:`rapgym.agents.candidates`), so both use one definition of each rule.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["dispatched_cut", "quantized", "task_cost", "upload_bits", "upload_table", "uploads"]


@njit(cache=True, inline="always")
def task_cost(latency_s: float, acc_loss_pp: float, deadline_s: float, dropped: bool, latency_ref_s: float,
              acc_weight: float, miss_penalty: float, drop_penalty: float) -> float:
    """Cost of one task: ``latency/latency_ref_s + acc_weight*acc_loss + miss_penalty*[latency > deadline]``.

    A dropped task costs ``drop_penalty``. Latencies in s, accuracy loss in percentage points.
    """
    if dropped:
        return drop_penalty
    cost = latency_s / latency_ref_s + acc_weight * acc_loss_pp
    if latency_s > deadline_s:
        cost += miss_penalty
    return cost


@njit(cache=True, inline="always")
def dispatched_cut(split: int, device_cut: int) -> int:
    """The cut a task runs at: a split index above the user's device-only cut ``K`` (padding) means ``K``."""
    return min(split, device_cut)


@njit(cache=True, inline="always")
def uploads(cut: int, device_cut: int) -> bool:
    """Whether a task at ``cut`` sends anything to the cloud: every cut below the device-only cut ``K`` does."""
    return cut < device_cut


@njit(cache=True, inline="always")
def quantized(cut: int, device_cut: int) -> bool:
    """Whether the bit width applies at ``cut``: inner cuts only (cloud-only sends the fp32 input, device-only nothing)."""
    return 0 < cut < device_cut


@njit(cache=True, inline="always")
def upload_bits(fp32_bits: float, bit_scale: float, cut: int, device_cut: int, header_bits: float) -> float:
    """Bits a task at ``cut`` uploads: ``fp32_bits * (b/32 if quantized else 1) + header_bits``, 0 if it does not upload.

    ``bit_scale`` is ``b / 32`` of the chosen bit width ``b``.
    """
    if not uploads(cut, device_cut):
        return 0.0
    scale = bit_scale if quantized(cut, device_cut) else 1.0
    return fp32_bits * scale + header_bits


@njit(cache=True)
def upload_table(fp32_bits: np.ndarray, bit_scale: np.ndarray, device_cut: np.ndarray,
                 header_bits: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rules above over a cut table: ``(bits (N, K1, nbits), uploads (N, K1), quantized (N, K1))``.

    Args:
        fp32_bits: ``(N, K1)`` fp32 bits crossing each cut.
        bit_scale: ``(nbits,)`` ``b / 32`` of each bit width.
        device_cut: ``(N,)`` each user's device-only cut ``K_i``; cuts above it get zero bits and no upload.
        header_bits: bits added to every upload.
    """
    n, k1 = fp32_bits.shape
    nb = bit_scale.shape[0]
    bits = np.empty((n, k1, nb))
    up = np.empty((n, k1), dtype=np.bool_)
    quant = np.empty((n, k1), dtype=np.bool_)
    for i in range(n):
        for k in range(k1):
            up[i, k] = uploads(k, device_cut[i])
            quant[i, k] = quantized(k, device_cut[i])
            for b in range(nb):
                bits[i, k, b] = upload_bits(fp32_bits[i, k], bit_scale[b], k, device_cut[i], header_bits)
    return bits, up, quant
