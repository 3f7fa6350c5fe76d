"""Generated uplinks: memory bounded by the period (independent of the episode), segments no longer than the episode."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from rapgym.traces.sources import MAX_PERIOD_SAMPLES, PackedTraces, draw_uplink, make_uplink_traces
from rapgym.traces.trace import BandwidthTrace

GM = {"mean_mbps": 8.0, "cv": 0.5, "rho": 0.9, "outage_rate_per_s": 0.02, "outage_mean_s": 2.0, "interval_s": 0.1}


def peak_bytes(duration_s: float) -> int:
    tracemalloc.start()
    draw_uplink("gauss-markov", np.random.default_rng(0), 8, duration_s, GM)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_long_episodes_wrap_around_a_bounded_period():
    # issue 14: N = 8, dt_s = 10, 100,000 slots needed one segment per 0.1 s of 1e6 s per link (4.45 GB)
    packed = draw_uplink("gauss-markov", np.random.default_rng(0), 8, 1e6, GM)
    np.testing.assert_allclose(packed.periods_s, MAX_PERIOD_SAMPLES * 0.1)
    assert packed.edges.shape == (8 * (MAX_PERIOD_SAMPLES + 1),)
    # memory at reset is the same for a 1e5 s and a 1e7 s horizon (both past the period)
    assert peak_bytes(1e7) <= 1.01 * peak_bytes(1e5) < 64e6


def test_short_horizons_keep_one_sample_per_interval():
    (trace,) = make_uplink_traces("gauss-markov", np.random.default_rng(1), 1, 20.8, GM)
    assert trace.rates_mbps.shape == (208,) and trace.period_s == pytest.approx(20.8)


@pytest.mark.parametrize("interval_s", [25.0, 1e5])
def test_a_sample_longer_than_the_horizon_is_held_for_the_horizon(interval_s):
    # issue 14: a constant link with interval_s = 1e18 had a period of 1e18 s, its random start offset near 5e17 s
    # and latencies rounded to float64's spacing there (0.048 s instead of 0.231 s)
    packed = draw_uplink("stable", np.random.default_rng(2), 2, 20.8, {"mean_mbps": 8.0, "noise_cv": 0.0,
                                                                          "interval_s": interval_s})
    np.testing.assert_array_equal(packed.periods_s, [20.8, 20.8])
    np.testing.assert_array_equal(packed.rates_mbps, [8.0, 8.0])


def test_packed_traces_round_trip_the_trace_arrays():
    traces = [BandwidthTrace.from_samples([1.0, 0.0, 3.0], 0.5, "a"), BandwidthTrace([0.0, 0.2, 1.0], [4.0, 2.0], "b")]
    back = PackedTraces.from_traces(traces).traces()
    for x, y in zip(traces, back, strict=True):
        assert x.name == y.name
        for key in ("edges", "rates_mbps", "cum_bits"):
            np.testing.assert_array_equal(getattr(x, key), getattr(y, key))
    samples = PackedTraces.from_samples(np.array([[1.0, 0.0, 3.0]]), 0.5, ("a",))
    np.testing.assert_array_equal(samples.cum_bits, traces[0].cum_bits)


@pytest.mark.parametrize("hold_s", [0.1, 0.3, 1.0])
def test_packed_samples_equal_each_trace_built_alone(hold_s):
    # the compiled packing keeps BandwidthTrace.from_samples' arithmetic bit for bit (edges, C summed in order, bit/s)
    rng = np.random.default_rng(4)
    rates = np.where(rng.random((5, 37)) < 0.2, 0.0, rng.uniform(0.0, 80.0, (5, 37)))
    packed = PackedTraces.from_samples(rates, hold_s, tuple("abcde"))
    alone = [BandwidthTrace.from_samples(r, hold_s, name) for r, name in zip(rates, "abcde", strict=True)]
    np.testing.assert_array_equal(packed.ptr, np.arange(6) * 38)
    for key in ("edges", "cum_bits", "rates_mbps", "rates_bps"):
        np.testing.assert_array_equal(getattr(packed, key), np.concatenate([getattr(t, key) for t in alone]))
