"""Measured per-slot throughput: the forward-walking kernel against ``C`` evaluated point by point, never negative."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.traces.capacity import MBIT, slot_rates_mbps
from rapgym.traces.sources import PackedTraces
from rapgym.traces.trace import BandwidthTrace


def brute_force(trace: BandwidthTrace, offset_s: float, slot_edges: np.ndarray, dt_s: float) -> np.ndarray:
    cap = trace.capacity(slot_edges + offset_s)
    return (np.maximum(np.diff(cap), 0.0) / dt_s / MBIT).astype(np.float32)


@pytest.mark.parametrize("seed", range(5))
def test_walk_equals_point_by_point_capacity(seed):
    rng = np.random.default_rng(seed)
    traces = []
    for _ in range(3):
        m = int(rng.integers(1, 40))
        edges = np.concatenate(([0.0], np.cumsum(rng.uniform(0.01, 0.5, m))))
        rates = np.where(rng.random(m) < 0.2, 0.0, rng.uniform(0.0, 50.0, m))
        traces.append(BandwidthTrace(edges, rates))
    packed = PackedTraces.from_traces(traces)
    link_of_user = np.array([0, 1, 2, 1, 0])
    offset = rng.uniform(0.0, 20.0, 5)
    dt = 0.07
    slot_edges = np.arange(-4, 300) * dt  # many laps of every trace
    out = np.empty((5, slot_edges.shape[0] - 1), dtype=np.float32)
    slot_rates_mbps(packed.edges, packed.cum_bits, packed.rates_mbps * MBIT, packed.ptr, link_of_user, offset,
                    slot_edges, dt, out)
    for i, lnk in enumerate(link_of_user):
        np.testing.assert_array_equal(out[i], brute_force(traces[lnk], offset[i], slot_edges, dt))


def test_a_short_trace_ending_in_an_outage_never_reads_negative():
    # issue 14's case (N = 1, the env's H = 8 history slots before t = 0): C across the period boundary is exact
    # only to rounding, and the measured rate must still be >= 0 and equal the trace's rate
    trace = BandwidthTrace.from_samples([1.0] * 15 + [0.0], 0.1)
    packed = PackedTraces.from_traces([trace])
    slot_edges = np.arange(-8, 2001) * 0.1
    out = np.empty((1, slot_edges.shape[0] - 1), dtype=np.float32)
    slot_rates_mbps(packed.edges, packed.cum_bits, packed.rates_mbps * MBIT, packed.ptr, np.zeros(1, dtype=np.int64),
                    np.zeros(1), slot_edges, 0.1, out)
    assert out.min() == 0.0
    np.testing.assert_allclose(out[0], np.tile([1.0] * 15 + [0.0], 127)[8:8 + out.shape[1]], atol=1e-6)
