"""Bandwidth traces as piecewise-constant rate series with exact cumulative-capacity transfers.

A trace gives a link's capacity ``r(t)`` (Mbit/s) as constant on ``[edges[m], edges[m+1])``. It repeats
with period ``edges[-1]``, so any episode length works. ``C(t) = integral_0^t r`` (bits) is
non-decreasing; a transfer of ``bits`` started at ``t0`` ends at ``C^-1(C(t0) + bits)``, the first
time the capacity catches up, which is exact through drops and zero-bandwidth outages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rapgym.errors import TraceError
from rapgym.traces.capacity import capacity_array, inverse_capacity_array

__all__ = ["MAX_PERIOD_S", "MAX_RATE_MBPS", "BandwidthTrace"]

MBIT = 1e6
"""Bits per megabit."""

MAX_RATE_MBPS = 1e6
"""Highest rate a trace may hold, Mbit/s (1 Tbit/s, far above any radio link): a larger sample is a unit or
parsing error. With :data:`MAX_PERIOD_S` it keeps the cumulative capacity ``C`` below 1e20 bits, always finite;
``C`` is rounded to 2**-52 of its value, so a burst of a few seconds at this rate leaves a slow link's later
slots exact to about 1e-9."""

MAX_PERIOD_S = 1e8
"""Longest period a trace may have, seconds (about 3.2 years)."""


@dataclass(frozen=True, eq=False)
class BandwidthTrace:
    """Piecewise-constant link capacity.

    Attributes:
        edges: ``(M+1,)`` segment boundaries in seconds, ``edges[0] == 0``, strictly increasing;
            ``edges[-1]`` is the period, at most :data:`MAX_PERIOD_S`.
        rates_mbps: ``(M,)`` capacity of each segment in Mbit/s, in ``[0, MAX_RATE_MBPS]`` (0 = outage).
        name: where the trace came from (file name or generator).
    """

    edges: np.ndarray
    rates_mbps: np.ndarray
    name: str = "trace"

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=np.float64)
        rates = np.asarray(self.rates_mbps, dtype=np.float64)
        if edges.ndim != 1 or rates.ndim != 1 or edges.shape[0] != rates.shape[0] + 1 or rates.shape[0] < 1:
            raise TraceError(f"trace {self.name!r}: need M >= 1 rates and M + 1 edges, got {rates.shape} rates and {edges.shape} edges")
        if not np.all(np.isfinite(edges)) or edges[0] != 0.0 or np.any(np.diff(edges) <= 0):
            raise TraceError(f"trace {self.name!r}: 'edges' must start at 0 and be finite and strictly increasing")
        if not np.all(np.isfinite(rates)):
            raise TraceError(f"trace {self.name!r}: 'rates_mbps' contains NaN or inf at segment {int(np.flatnonzero(~np.isfinite(rates))[0])}")
        if np.any(rates < 0):
            raise TraceError(f"trace {self.name!r}: 'rates_mbps' is negative at segment {int(np.flatnonzero(rates < 0)[0])}; allowed: >= 0")
        if np.any(rates > MAX_RATE_MBPS):
            seg = int(np.flatnonzero(rates > MAX_RATE_MBPS)[0])
            raise TraceError(f"trace {self.name!r}: 'rates_mbps' is {rates[seg]:g} at segment {seg}; allowed: at most "
                             f"{MAX_RATE_MBPS:g} Mbit/s (MAX_RATE_MBPS)")
        if edges[-1] > MAX_PERIOD_S:
            raise TraceError(f"trace {self.name!r}: 'edges' end at {edges[-1]:g} s; a trace may last at most "
                             f"{MAX_PERIOD_S:g} s (MAX_PERIOD_S)")
        rates_bps = rates * MBIT
        cum = np.concatenate(([0.0], np.cumsum(rates_bps * np.diff(edges))))
        for key, value in (("edges", edges), ("rates_mbps", rates), ("rates_bps", rates_bps), ("cum_bits", cum)):
            value.flags.writeable = False
            object.__setattr__(self, key, value)

    cum_bits: np.ndarray = field(default=None, init=False, repr=False)  # type: ignore[assignment]
    """``(M+1,)`` ``C`` at each edge, bits (set in ``__post_init__``)."""
    rates_bps: np.ndarray = field(default=None, init=False, repr=False)  # type: ignore[assignment]
    """``(M,)`` ``rates_mbps`` in bit/s (set in ``__post_init__``)."""

    @classmethod
    def from_samples(cls, rates_mbps: np.ndarray, interval_s: float, name: str = "trace") -> BandwidthTrace:
        """A trace of equally spaced samples, each held for ``interval_s`` seconds."""
        if not (np.isfinite(interval_s) and interval_s > 0):
            raise TraceError(f"trace {name!r}: 'interval_s' must be > 0, got {interval_s}")
        rates = np.asarray(rates_mbps, dtype=np.float64)
        return cls(np.arange(rates.shape[0] + 1) * float(interval_s), rates, name)

    @property
    def period_s(self) -> float:
        """Length of one repetition of the trace, seconds."""
        return float(self.edges[-1])

    @property
    def total_bits(self) -> float:
        """Capacity of one period, bits."""
        return float(self.cum_bits[-1])

    @property
    def mean_mbps(self) -> float:
        """Time-averaged capacity, Mbit/s."""
        return self.total_bits / self.period_s / MBIT

    def capacity(self, t: np.ndarray | float) -> np.ndarray:
        """``C(t)``: bits deliverable on ``[0, t]`` (wrapping), vectorised over ``t >= 0`` s."""
        t = np.asarray(t, dtype=np.float64)
        return capacity_array(self.edges, self.cum_bits, self.rates_bps, t.ravel()).reshape(t.shape)

    def inverse_capacity(self, x: np.ndarray | float) -> np.ndarray:
        """``C^-1(x)``: the first time (s) the capacity reaches ``x`` bits; ``inf`` if it never does."""
        x = np.asarray(x, dtype=np.float64)
        return inverse_capacity_array(self.edges, self.cum_bits, self.rates_bps, x.ravel()).reshape(x.shape)

    def transfer_end(self, start_s: np.ndarray | float, bits: np.ndarray | float) -> np.ndarray:
        """Time a transfer of ``bits`` started at ``start_s`` completes, seconds."""
        start_s = np.asarray(start_s, dtype=np.float64)
        # max(): an empty transfer that starts inside an outage ends when it starts, not before
        return np.maximum(self.inverse_capacity(self.capacity(start_s) + np.asarray(bits, dtype=np.float64)), start_s)
