"""``C(t)`` and ``C^-1(x)`` of a piecewise-constant periodic link, written once (numba) for the kernel and the traces.

A trace is given by ``edges`` (``(M+1,)`` s, ``edges[0] = 0``, period ``edges[-1]``), ``cum_bits``
(``(M+1,)`` capacity ``C`` at each edge, bits) and ``rates_bps`` (``(M,)`` bit/s). The scalar functions are
inlined into the slot kernel of :mod:`rapgym.sim.pipeline`; the array forms back
:meth:`rapgym.traces.trace.BandwidthTrace.capacity` and ``inverse_capacity``, so both use the same arithmetic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["capacity_array", "capacity_at", "capacity_segment_at", "inverse_capacity_array", "inverse_capacity_at",
           "inverse_capacity_near", "search_from", "slot_rates_mbps"]

MBIT = 1e6
"""Bits per megabit."""


@njit(cache=True, inline="always")
def _segment(edges: np.ndarray, phase: float) -> int:
    """The segment holding ``phase`` (s, within one period): the last edge ``<= phase``, clipped to the segments."""
    seg = np.searchsorted(edges, phase, side="right") - 1
    return min(max(seg, 0), edges.shape[0] - 2)


@njit(cache=True, inline="always")
def _precedes(x: float, v: float, right: bool) -> bool:
    """Whether ``x`` comes before ``v`` in a ``side="right"`` (``x <= v``) or ``"left"`` (``x < v``) search, in
    ``np.searchsorted``'s order (a NaN ``v`` after every number)."""
    if right:
        return np.isnan(v) or x <= v
    return x < v or (np.isnan(v) and not np.isnan(x))


@njit(cache=True, inline="always")
def search_from(a: np.ndarray, v: float, guess: int, right: bool) -> int:
    """``np.searchsorted(a, v, side="right" if right else "left")`` of a sorted non-empty ``a``, found from ``guess``.

    The search gallops from index ``guess`` (any integer; clipped to ``a``) in doubling steps, then bisects
    the bracket: a guess ``d`` places off costs ``O(log d)`` comparisons, a right one two.
    """
    n = a.shape[0]
    g = min(max(guess, 0), n - 1)
    step = 1
    if _precedes(a[g], v, right):  # the answer is above g
        below, above = g + 1, g + 1
        while above < n and _precedes(a[above], v, right):
            below = above + 1
            above = below + step
            step *= 2
        above = min(above, n)
    else:  # at or below g
        below, above = g - 1, g
        while below >= 0 and not _precedes(a[below], v, right):
            above = below
            below = above - step
            step *= 2
        below = max(below, -1) + 1
    while below < above:  # every index below `below` precedes v, none from `above` on
        mid = (below + above) >> 1
        if _precedes(a[mid], v, right):
            below = mid + 1
        else:
            above = mid
    return below


@njit(cache=True, inline="always")
def _scaled_index(fraction: float, m: int) -> int:
    """``int(fraction * m)``: the segment at ``fraction`` of a period of ``m`` equal segments (0 outside [0, 1))."""
    f = fraction * m
    return int(f) if 0.0 <= f < m else 0


@njit(cache=True, inline="always")
def _capacity(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, laps: float, phase: float, seg: int) -> float:
    """``C`` at ``laps`` whole periods plus ``phase`` s into segment ``seg``, bits."""
    return laps * cum_bits[rates_bps.shape[0]] + cum_bits[seg] + rates_bps[seg] * (phase - edges[seg])


@njit(cache=True, inline="always")
def capacity_segment_at(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, tau: float) -> tuple[float, int]:
    """``(C(tau), seg)``: :func:`capacity_at` and the segment it read (a guess for :func:`inverse_capacity_near`).

    The segment is searched from where ``tau`` would fall if the segments were equally long (right for the
    generated traces, whose segments are one sample interval each; any trace gets the same result).
    """
    m = rates_bps.shape[0]
    period = edges[m]
    laps_real = tau / period
    laps = np.floor(laps_real)
    phase = tau - laps * period
    seg = min(max(search_from(edges, phase, _scaled_index(laps_real - laps, m), True) - 1, 0), m - 1)
    return _capacity(edges, cum_bits, rates_bps, laps, phase, seg), seg


@njit(cache=True, inline="always")
def capacity_at(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, tau: float) -> float:
    """``C(tau)``: bits deliverable on ``[0, tau]`` (``tau >= 0`` s) of a trace repeating with period ``edges[-1]``."""
    return capacity_segment_at(edges, cum_bits, rates_bps, tau)[0]


@njit(cache=True, inline="always")
def inverse_capacity_near(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, x: float, guess: int) -> float:
    """:func:`inverse_capacity_at` with the segment searched from segment ``guess`` (e.g. that of a nearby time)."""
    m = rates_bps.shape[0]
    total = cum_bits[m]
    if total <= 0.0:
        return 0.0 if x <= 0.0 else np.inf
    laps = np.floor(x / total)
    rem = x - laps * total
    idx = search_from(cum_bits, rem, guess + 1, False)
    if idx == 0:
        return laps * edges[m]
    seg = min(idx - 1, m - 1)
    within = (rem - cum_bits[seg]) / rates_bps[seg] if rates_bps[seg] > 0.0 else 0.0
    return laps * edges[m] + edges[seg] + within


@njit(cache=True, inline="always")
def inverse_capacity_at(edges: np.ndarray, cum_bits: np.ndarray, rates_bps: np.ndarray, x: float) -> float:
    """``C^-1(x)``: the first time (s) the cumulative capacity reaches ``x`` bits; ``inf`` if it never does."""
    m = rates_bps.shape[0]
    total = cum_bits[m]
    guess = 0
    if total > 0.0:  # where x would fall if every segment carried as many bits
        laps_real = x / total
        guess = _scaled_index(laps_real - np.floor(laps_real), m)
    return inverse_capacity_near(edges, cum_bits, rates_bps, x, guess)


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
