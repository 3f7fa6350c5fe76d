"""The compiled generators draw exactly what the per-link NumPy code they replaced drew, draw for draw.

The reference below is that NumPy code (one link per call, ``scipy.signal.lfilter`` for the AR(1),
``Generator.choice`` for the regimes); the compiled generators must give bit-identical rates and leave the
generator in the same state, so seeded episodes (and every published table) are unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.special import ndtr

from rapgym.traces.generators import gauss_markov_rates, load_params, simulate, stable_rates
from rapgym.traces.sets import TRACE_SETS


def ref_ar1(rng, n, rho):
    eps = rng.standard_normal(n)
    eps[0] /= math.sqrt(max(1.0 - rho**2, 1e-12))
    return lfilter([math.sqrt(max(1.0 - rho**2, 0.0))], [1.0, -rho], eps)


def ref_outage(n, starts, lengths):
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, np.minimum(starts + lengths, n), -1)
    return np.cumsum(marks[:n]) > 0


def ref_gauss_markov(rng, n, p):
    dt = p["interval_s"]
    rate = np.maximum(p["mean_mbps"] * (1.0 + p["cv"] * ref_ar1(rng, n, p["rho"])), 0.0)
    starts = np.flatnonzero(rng.random(n) < 1.0 - math.exp(-p["outage_rate_per_s"] * dt))
    if starts.size:
        rate[ref_outage(n, starts, rng.geometric(min(1.0, dt / p["outage_mean_s"]), size=starts.size))] = 0.0
    return rate


def ref_simulate(params, rng, n, interval_s):
    trans = np.asarray(params["transition"], dtype=np.float64)
    regime = np.zeros(n, dtype=np.int64)
    if trans.shape[0] > 1:
        stay = np.clip(np.diag(trans), 0.0, 1.0) ** interval_s
        jump = trans * (1.0 - np.eye(trans.shape[0]))
        jump = jump / np.maximum(jump.sum(axis=1, keepdims=True), 1e-300)
        state = int(rng.choice(trans.shape[0], p=np.asarray(params["initial"])))
        pos = 0
        while pos < n:
            run = int(rng.geometric(1.0 - stay[state])) if stay[state] < 1.0 else n
            regime[pos:pos + run] = state
            pos += run
            state = int(rng.choice(trans.shape[0], p=jump[state]))
    u = ndtr(ref_ar1(rng, n, params["rho"] ** interval_s))
    x = np.empty(n)
    for r, quantiles in enumerate(params["quantiles"]):
        x[regime == r] = np.interp(u[regime == r], params["quantile_levels"], quantiles)
    start_p = 1.0 - (1.0 - np.asarray(params["outage_start_prob"])) ** interval_s
    starts = np.flatnonzero(rng.random(n) < start_p[regime])
    if starts.size:
        mean_steps = np.maximum(np.asarray(params["outage_mean_s"])[regime[starts]] / interval_s, 1.0)
        x[ref_outage(n, starts, rng.geometric(1.0 / mean_steps))] = 0.0
    return x


def assert_same_stream(a: np.random.Generator, b: np.random.Generator) -> None:
    assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("seed", range(4))
def test_gauss_markov_draws_equal_the_numpy_reference(seed):
    # frequent, long outages so that starts, lengths and the clipping at the end all occur
    p = {"mean_mbps": 8.0, "cv": 0.9, "rho": 0.95, "outage_rate_per_s": 0.5, "outage_mean_s": 3.0, "interval_s": 0.1}
    ours, ref = np.random.default_rng(seed), np.random.default_rng(seed)
    got = gauss_markov_rates(ours, 5, 400, p)
    want = np.stack([ref_gauss_markov(ref, 400, p) for _ in range(5)])
    np.testing.assert_array_equal(got, want)
    assert (want == 0).any() and (want > 0).any()
    assert_same_stream(ours, ref)


def test_stable_draws_equal_the_numpy_reference():
    p = {"mean_mbps": 3.0, "noise_cv": 2.0}
    ours, ref = np.random.default_rng(7), np.random.default_rng(7)
    want = np.stack([np.maximum(3.0 * (1.0 + 2.0 * ref.standard_normal(50)), 0.0) for _ in range(4)])
    np.testing.assert_array_equal(stable_rates(ours, 4, 50, p), want)
    assert_same_stream(ours, ref)


@pytest.mark.parametrize("name", TRACE_SETS)
@pytest.mark.parametrize("interval_s", [0.1, 1.0, 4.0])
def test_calibrated_draws_equal_the_numpy_reference(name, interval_s):
    params = load_params(name)
    ours, ref = np.random.default_rng(11), np.random.default_rng(11)
    got = simulate(params, ours, 3000, interval_s, num_links=3)
    want = np.stack([ref_simulate(params, ref, 3000, interval_s) for _ in range(3)])
    np.testing.assert_array_equal(got, want)
    assert_same_stream(ours, ref)
