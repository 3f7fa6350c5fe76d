"""BandwidthTrace: cumulative capacity, its inverse, wrapping, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapgym.errors import TraceError
from rapgym.traces.capacity import capacity_at, inverse_capacity_at
from rapgym.traces.trace import BandwidthTrace


def test_capacity_and_inverse_by_hand():
    trace = BandwidthTrace.from_samples([10.0, 0.0, 5.0], 1.0)  # 10 Mbit in [0,1), outage, 5 Mbit in [2,3)
    np.testing.assert_allclose(trace.capacity([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 3.5]),
                               [0, 5e6, 10e6, 10e6, 12.5e6, 15e6, 20e6])
    # the first time the capacity reaches x: through the outage, and into the second lap
    np.testing.assert_allclose(trace.inverse_capacity([5e6, 10e6, 10e6 + 5e5, 15e6, 16e6]), [0.5, 1.0, 2.1, 3.0, 3.1])
    assert trace.transfer_end(0.9, 2e6) == pytest.approx(2.2)
    assert trace.mean_mbps == pytest.approx(5.0)


def test_zero_trace_never_delivers():
    trace = BandwidthTrace.from_samples([0.0, 0.0], 1.0)
    assert trace.inverse_capacity(0.0) == 0.0
    assert np.isinf(trace.transfer_end(3.0, 1.0))


@pytest.mark.parametrize("rates, match", [
    ([1.0, -2.0], "negative at segment 1"),
    ([1.0, float("nan")], "NaN or inf at segment 1"),
    ([], "M >= 1"),
])
def test_bad_rates_are_rejected_naming_the_segment(rates, match):
    with pytest.raises(TraceError, match=match):
        BandwidthTrace.from_samples(rates, 1.0)


def test_bad_edges_and_interval():
    with pytest.raises(TraceError, match="strictly increasing"):
        BandwidthTrace(np.array([0.0, 2.0, 1.0]), np.array([1.0, 1.0]))
    with pytest.raises(TraceError, match="interval_s"):
        BandwidthTrace.from_samples([1.0], 0.0)


@settings(max_examples=200, deadline=None)
@given(rates=st.lists(st.sampled_from([0.0, 0.5, 3.0, 40.0]), min_size=1, max_size=12).filter(lambda r: sum(r) > 0),
       t=st.floats(0, 100), bits=st.floats(0, 1e8))
def test_transfer_end_delivers_exactly_the_bits(rates, t, bits):
    trace = BandwidthTrace.from_samples(rates, 0.3)
    end = trace.transfer_end(t, bits)
    assert end >= t
    assert trace.capacity(end) - trace.capacity(t) == pytest.approx(bits, rel=1e-9, abs=1e-3)


@settings(max_examples=200, deadline=None)
@given(rates=st.lists(st.one_of(st.just(0.0), st.floats(0.01, 500.0)), min_size=1, max_size=20),
       gaps=st.lists(st.floats(0.05, 3.0), min_size=20, max_size=20),
       times=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=30),
       fracs=st.lists(st.floats(0.0, 4.0), min_size=1, max_size=30))
def test_methods_are_the_kernel_functions(rates, gaps, times, fracs):
    """C(t) and C^-1(x) of the trace methods equal, bit for bit, the scalar functions the kernel inlines
    (irregular segments, outages, an all-outage trace, and times and bits beyond one period)."""
    trace = BandwidthTrace(np.concatenate(([0.0], np.cumsum(gaps[:len(rates)]))), rates)
    t = np.array(times + [trace.period_s, 3.5 * trace.period_s])
    x = np.array(fracs) * max(trace.total_bits, 1.0)
    args = (trace.edges, trace.cum_bits, trace.rates_bps)
    assert trace.capacity(t).tolist() == [capacity_at(*args, v) for v in t]
    assert trace.inverse_capacity(x).tolist() == [inverse_capacity_at(*args, v) for v in x]
    assert trace.capacity(np.full((2, 3), 1.5)).shape == (2, 3)
