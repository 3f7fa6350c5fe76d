"""The compiled arrival processes draw exactly what the vectorised NumPy code draws from the same generator."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import ScenarioError
from rapgym.sim.arrivals import episode_arrivals


def numpy_arrivals(rng: np.random.Generator, process: str, fps: np.ndarray, horizon_s: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The reference: NumPy's vectorised draws (the implementation before the compiled one)."""
    period = 1.0 / fps
    if process == "periodic":
        phase = rng.uniform(0.0, period)
        counts = np.ceil((horizon_s - phase) / period).astype(np.int64)
        ptr = np.concatenate(([0], np.cumsum(counts)))
        local = np.arange(ptr[-1]) - np.repeat(ptr[:-1], counts)
        return np.repeat(phase, counts) + local * np.repeat(period, counts), ptr
    expected = fps * horizon_s
    draws = (expected + 6.0 * np.sqrt(expected) + 10).astype(np.int64)
    gaps = rng.exponential(np.repeat(period, draws))
    starts = np.concatenate(([0], np.cumsum(draws)))
    cum = np.cumsum(gaps)
    cum -= np.repeat(np.concatenate(([0.0], cum[starts[1:-1] - 1])), draws)
    keep = cum < horizon_s
    counts = np.add.reduceat(keep, starts[:-1]).astype(np.int64)
    return cum[keep], np.concatenate(([0], np.cumsum(counts)))


@pytest.mark.parametrize("process", ["periodic", "poisson"])
@pytest.mark.parametrize("seed", range(5))
def test_draws_equal_numpys(process, seed):
    fps = np.random.default_rng(100 + seed).uniform(0.5, 40.0, size=1 + 3 * seed)
    horizon = [0.05, 1.0, 20.0, 7.3, 300.0][seed]
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    times, ptr = episode_arrivals(a, process, fps, horizon)
    want_times, want_ptr = numpy_arrivals(b, process, fps, horizon)
    np.testing.assert_array_equal(ptr, want_ptr)
    np.testing.assert_array_equal(times, want_times)
    assert ptr.dtype == np.int64 and times.dtype == np.float64
    assert a.random() == b.random()  # the generators end in the same state


def test_unknown_process_names_the_field():
    with pytest.raises(ScenarioError, match="'arrival'.*allowed: 'periodic', 'poisson'"):
        episode_arrivals(np.random.default_rng(0), "bursty", np.ones(2), 1.0)
