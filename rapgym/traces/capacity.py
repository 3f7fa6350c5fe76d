"""``C(t)`` and ``C^-1(x)`` of a piecewise-constant periodic link, written once (numba) for the kernel and the traces.

A trace is given by ``edges`` (``(M+1,)`` s, ``edges[0] = 0``, period ``edges[-1]``), ``cum_bits``
(``(M+1,)`` capacity ``C`` at each edge, bits) and ``rates_bps`` (``(M,)`` bit/s). The scalar functions are
inlined into the slot kernel of :mod:`rapgym.sim.pipeline`; the array forms back
:meth:`rapgym.traces.trace.BandwidthTrace.capacity` and ``inverse_capacity``, so both use the same arithmetic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["capacity_array", "capacity_at", "inverse_capacity_array", "inverse_capacity_at"]


@njit(cache=True, inline="always")
def capacity_at(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, tau: float) -> float:
    """``C(tau)``: bits deliverable on ``[0, tau]`` (``tau >= 0`` s) of a trace repeating with period ``edges[-1]``."""
    period = edges[-1]
    laps = np.floor(tau / period)
    phase = tau - laps * period
    m = rates_bps.shape[0]
    seg = np.searchsorted(edges, phase, side="right") - 1
    seg = min(max(seg, 0), m - 1)
    return laps * cum_bits[m] + cum_bits[seg] + rates_bps[seg] * (phase - edges[seg])


@njit(cache=True, inline="always")
def inverse_capacity_at(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, x: float) -> float:
    """``C^-1(x)``: the first time (s) the cumulative capacity reaches ``x`` bits; ``inf`` if it never does."""
    m = rates_bps.shape[0]
    total = cum_bits[m]
    if total <= 0.0:
        return 0.0 if x <= 0.0 else np.inf
    laps = np.floor(x / total)
    rem = x - laps * total
    idx = np.searchsorted(cum_bits, rem, side="left")
    if idx == 0:
        return laps * edges[m]
    seg = min(idx - 1, m - 1)
    within = (rem - cum_bits[seg]) / rates_bps[seg] if rates_bps[seg] > 0.0 else 0.0
    return laps * edges[m] + edges[seg] + within


@njit(cache=True)
def capacity_array(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """:func:`capacity_at` of every element of the 1-D array ``tau`` (s), bits."""
    out = np.empty(tau.shape[0])
    for j in range(tau.shape[0]):
        out[j] = capacity_at(edges, cum_bits, rates_bps, tau[j])
    return out


@njit(cache=True)
def inverse_capacity_array(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:func:`inverse_capacity_at` of every element of the 1-D array ``x`` (bits), s."""
    out = np.empty(x.shape[0])
    for j in range(x.shape[0]):
        out[j] = inverse_capacity_at(edges, cum_bits, rates_bps, x[j])
    return out
