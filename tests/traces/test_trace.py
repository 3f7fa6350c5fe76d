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


@pytest.mark.parametrize(("rates", "interval_s", "match"), [
    ([0.0, 1e308], 1.0, r"'rates_mbps' is 1e\+308 at segment 1; allowed: at most 1e\+06 Mbit/s"),
    ([8.0, 1e18, 8.0], 0.1, r"'rates_mbps' is 1e\+18 at segment 1"),  # was: every later upload dropped
    ([1.0], 1e18, r"'edges' end at 1e\+18 s; a trace may last at most 1e\+08 s"),
    ([np.inf], 1.0, "NaN or inf at segment 0"),
])
def test_rates_and_periods_beyond_the_physical_bounds_are_refused(rates, interval_s, match):
    """A finite but huge rate or edge used to overflow the cumulative capacity into NaN observations and rewards."""
    with pytest.raises(TraceError, match=match):
        BandwidthTrace.from_samples(rates, interval_s)


def test_a_burst_at_the_rate_bound_leaves_a_slow_link_exact():
    """One 0.1 s sample at the largest rate allowed (1e6 Mbit/s) on an 8 Mbit/s link: every later 0.1 s slot still
    measures 8 Mbit/s (a 1e18 Mbit/s sample used to make the link read 0 or -72 Mbit/s and drop every upload)."""
    trace = BandwidthTrace.from_samples([8.0] * 5 + [1e6] + [8.0] * 50, 0.1)
    t = np.arange(6, 200) * 0.1
    measured = np.diff(trace.capacity(np.append(t, t[-1] + 0.1))) / 0.1 / 1e6
    lap = (np.arange(6, 200) % 56) == 5  # the burst comes back every 56 samples
    np.testing.assert_allclose(measured[~lap], 8.0, rtol=1e-9)
    assert np.isfinite(trace.total_bits)
