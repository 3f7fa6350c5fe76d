"""``C(t)`` and ``C^-1(x)`` of a piecewise-constant periodic link, written once (numba) for the kernel and the traces.

A trace is given by ``edges`` (``(M+1,)`` s, ``edges[0] = 0``, period ``edges[-1]``), ``cum_bits``
(``(M+1,)`` capacity ``C`` at each edge, bits) and ``rates_bps`` (``(M,)`` bit/s). The scalar functions are
inlined into the slot kernel of :mod:`rapgym.sim.pipeline`; the array forms back
:meth:`rapgym.traces.trace.BandwidthTrace.capacity` and ``inverse_capacity``, so both use the same arithmetic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["capacity_array", "capacity_at", "inverse_capacity_array", "inverse_capacity_at", "slot_rates_mbps"]

MBIT = 1e6
"""Bits per megabit."""


@njit(cache=True, inline="always")
def _segment(edges: np.ndarray, phase: float) -> int:
    """The segment holding ``phase`` (s, within one period): the last edge ``<= phase``, clipped to the segments."""
    seg = np.searchsorted(edges, phase, side="right") - 1
    return min(max(seg, 0), edges.shape[0] - 2)


@njit(cache=True, inline="always")
def _capacity(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, laps: float, phase: float, seg: int) -> float:
    """``C`` at ``laps`` whole periods plus ``phase`` s into segment ``seg``, bits."""
    return laps * cum_bits[rates_bps.shape[0]] + cum_bits[seg] + rates_bps[seg] * (phase - edges[seg])


@njit(cache=True, inline="always")
def capacity_at(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, tau: float) -> float:
    """``C(tau)``: bits deliverable on ``[0, tau]`` (``tau >= 0`` s) of a trace repeating with period ``edges[-1]``."""
    period = edges[-1]
    laps = np.floor(tau / period)
    phase = tau - laps * period
    return _capacity(edges, cum_bits, rates_bps, laps, phase, _segment(edges, phase))


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


@njit(cache=True, inline="always")
def _next_edge(edges: np.ndarray, seg: np.uint64, last: np.uint64) -> float:
    """The edge that ends segment ``seg``, or ``inf`` for the last segment ``last`` (which the walk never leaves)."""
    return edges[seg + np.uint64(1)] if seg < last else np.inf


@njit(cache=True)
def slot_rates_mbps(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, ptr: np.ndarray,
                    link_of_user: np.ndarray, offset_s: np.ndarray, slot_edges_s: np.ndarray, dt_s: float,
                    out: np.ndarray) -> None:
    """Measured throughput of every user's link over every slot, Mbit/s, into ``out`` (``(N, S)``).

    User ``i`` reads trace ``link_of_user[i]`` of the packed arrays (``edges[ptr[l]:ptr[l+1]]``, rates offset by
    ``-l``) at ``slot_edges_s + offset_s[i]`` (``(S+1,)`` s, increasing): ``out[i, j] = (C(t_{j+1}) - C(t_j)) /
    dt_s / MBIT``, never below 0 (``C`` is exact only to rounding across a period boundary). The segment is
    found by walking forward from the previous slot's (the last edge ``<=`` the phase, as :func:`_segment`), with
    :func:`capacity_at`'s arithmetic. The divisions run in their own loops over all slots (which the compiler
    vectorises); the walk in between keeps the next edge at hand and indexes unsigned (no negative-index checks).
    """
    k = slot_edges_s.shape[0]
    lap_bits = np.empty(k)
    phase = np.empty(k)
    cap = np.empty(k)
    one = np.uint64(1)
    for i in range(out.shape[0]):
        lnk = link_of_user[i]
        e = edges[ptr[lnk]:ptr[lnk + 1]]
        cum = cum_bits[ptr[lnk]:ptr[lnk + 1]]
        rates = rates_bps[ptr[lnk] - lnk:ptr[lnk + 1] - lnk - 1]
        m = rates.shape[0]
        period = e[m]
        offset = offset_s[i]
        for j in range(k):
            tau = slot_edges_s[j] + offset
            laps = np.floor(tau / period)
            phase[j] = tau - laps * period
            lap_bits[j] = laps * cum[m]
        last = np.uint64(m - 1)
        seg = np.uint64(_segment(e, phase[0]))
        nxt = _next_edge(e, seg, last)
        for j in range(k):
            ph = phase[j]
            if ph >= nxt:
                while ph >= nxt:
                    seg += one
                    nxt = _next_edge(e, seg, last)
            elif ph < e[seg]:  # the next lap
                seg = np.uint64(_segment(e, ph))
                nxt = _next_edge(e, seg, last)
            cap[j] = lap_bits[j] + cum[seg] + rates[seg] * (ph - e[seg])
        row = out[i]
        for j in range(k - 1):
            row[j] = max(cap[j + 1] - cap[j], 0.0) / dt_s / MBIT
