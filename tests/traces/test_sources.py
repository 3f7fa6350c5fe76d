"""Uplink source registry: synthetic sources' statistics, real-trace picking, and parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import ScenarioError
from rapgym.traces.sets import TRACE_SETS
from rapgym.traces.sources import PARAM_BOUNDS, SOURCE_DEFAULTS, check_uplink_source, make_uplink_traces, source_names
from rapgym.traces.trace import MAX_RATE_MBPS
from tests.helpers import shared_data_dir


def test_stable_source_mean_and_noise():
    traces = make_uplink_traces("stable", np.random.default_rng(0), 3, 10_000.0, {"mean_mbps": 20.0, "noise_cv": 0.1, "interval_s": 0.5})
    assert len(traces) == 3
    for trace in traces:
        assert trace.period_s == 10_000.0 and trace.rates_mbps.size == 20_000
        assert trace.rates_mbps.mean() == pytest.approx(20.0, rel=0.01)
        assert trace.rates_mbps.std() == pytest.approx(2.0, rel=0.05)
    assert not np.array_equal(traces[0].rates_mbps, traces[1].rates_mbps)


def test_gauss_markov_correlation_and_outages():
    params = {"mean_mbps": 8.0, "cv": 0.2, "rho": 0.8, "outage_rate_per_s": 0.02, "outage_mean_s": 5.0, "interval_s": 1.0}
    (trace,) = make_uplink_traces("gauss-markov", np.random.default_rng(1), 1, 200_000.0, params)
    x = trace.rates_mbps
    # outages cover about rate * mean duration / (1 + rate * mean duration) = 0.1 / 1.1 of the time
    assert np.mean(x == 0) == pytest.approx(0.1 / 1.1, abs=0.02)
    up = x[:-1] > 0
    both = up & (x[1:] > 0)
    assert np.corrcoef(x[:-1][both], x[1:][both])[0, 1] == pytest.approx(0.8, abs=0.03)
    assert x[x > 0].mean() == pytest.approx(8.0, rel=0.02)


def test_gauss_markov_without_outages_never_zero():
    params = {"mean_mbps": 5.0, "cv": 0.1, "rho": 0.5, "outage_rate_per_s": 0.0}
    (trace,) = make_uplink_traces("gauss-markov", np.random.default_rng(2), 1, 5_000.0, params)
    assert np.all(trace.rates_mbps > 0)


@pytest.mark.parametrize("name", TRACE_SETS)
def test_calibrated_sources(name):
    traces = make_uplink_traces(f"calibrated:{name}", np.random.default_rng(3), 2, 600.0, {})
    assert [t.period_s for t in traces] == [600.0, 600.0]
    assert all(t.name == f"calibrated:{name}" for t in traces)


def test_real_traces_from_trace_dir_split():
    pattern = str(shared_data_dir("traces", "mahimahi_us_cellular") / "*.up")
    rng = np.random.default_rng(4)
    traces = make_uplink_traces("calibrated:mahimahi_uplink", rng, 20, 60.0, {}, trace_dir=pattern, split="train")
    names = {t.name for t in traces}
    # 4 .up files sorted: file 0 (ATT) is the test split, the other 3 are train
    assert names <= {"TMobile-LTE-short.up", "TMobile-UMTS-driving.up", "Verizon-LTE-short.up"} and len(names) > 1
    test = make_uplink_traces("calibrated:mahimahi_uplink", rng, 2, 60.0, {}, trace_dir=pattern, split="test")
    assert {t.name for t in test} == {"ATT-LTE-driving-2016.up"}


def test_same_seed_same_traces():
    a = make_uplink_traces("gauss-markov", np.random.default_rng(9), 2, 100.0, {})
    b = make_uplink_traces("gauss-markov", np.random.default_rng(9), 2, 100.0, {})
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.rates_mbps, y.rates_mbps)


def test_unknown_source_and_params():
    with pytest.raises(ScenarioError, match=r"uplink source 'wifi' unknown; allowed: \['stable', 'gauss-markov', 'calibrated:"):
        make_uplink_traces("wifi", np.random.default_rng(0), 1, 10.0, {})
    with pytest.raises(ScenarioError, match=r"unknown parameter\(s\) \['rho'\]; allowed: \['interval_s', 'mean_mbps', 'noise_cv'\]"):
        make_uplink_traces("stable", np.random.default_rng(0), 1, 10.0, {"rho": 0.5})
    with pytest.raises(ScenarioError, match="rho must be in"):
        make_uplink_traces("gauss-markov", np.random.default_rng(0), 1, 10.0, {"rho": 1.0})
    with pytest.raises(ScenarioError, match="trace_dir is only allowed"):
        make_uplink_traces("stable", np.random.default_rng(0), 1, 10.0, {}, trace_dir="/nonexistent")
    assert "calibrated:irish_5g" in source_names()


@pytest.mark.parametrize(("key", "value"), [
    ("mean_mbps", 1e303), ("mean_mbps", 10**400), ("mean_mbps", 1e4 * (1 + 1e-9)), ("cv", 1e300), ("cv", 10.001),
    ("outage_mean_s", 1e300), ("outage_mean_s", 1e-4), ("interval_s", 1e-9), ("interval_s", float("inf")),
    ("outage_rate_per_s", 1001.0), ("mean_mbps", float("nan")), ("cv", -0.1),
])
def test_uplink_parameters_outside_their_bounds_are_named(key, value):
    """Each of these used to reach the generator: NaN observations, an IndexError or a huge allocation (issue 14)."""
    with pytest.raises(ScenarioError, match=f"uplink source 'gauss-markov': {key} must be (finite and in|a finite number)"):
        check_uplink_source("gauss-markov", {key: value})


def test_uplink_parameters_at_their_bounds_give_finite_bounded_rates():
    """At the largest mean and coefficient of variation allowed every sample stays in [0, MAX_RATE_MBPS]."""
    for key, (low, high) in PARAM_BOUNDS.items():
        for value in (low, high):
            if np.isfinite(value) and key in SOURCE_DEFAULTS["gauss-markov"]:
                check_uplink_source("gauss-markov", {key: value})
    params = {"mean_mbps": 1e4, "cv": 10.0, "interval_s": 1e-3}
    for trace in make_uplink_traces("gauss-markov", np.random.default_rng(0), 4, 60.0, params):
        assert 0.0 <= trace.rates_mbps.min() and trace.rates_mbps.max() <= MAX_RATE_MBPS
