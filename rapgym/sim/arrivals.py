"""Task arrival processes: periodic frames with a random phase, or Poisson.

Both are drawn in one compiled (numba) call over the caller's ``np.random.Generator``; numba reproduces
NumPy's streams for ``uniform`` and ``exponential``, so the draws are those of the vectorised NumPy code they
replace, in the same order (``tests/sim/test_arrivals.py`` checks it value for value).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rapgym.errors import ScenarioError
from rapgym.traces.generators import call_with_rng

__all__ = ["draw_arrivals", "episode_arrivals", "max_arrivals"]


@njit(cache=True)
def _periodic(rng: np.random.Generator, period: np.ndarray, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Every ``period[i]`` s from a phase uniform in ``[0, period[i])``, user after user, up to ``horizon_s``."""
    n = period.shape[0]
    phase = np.empty(n)
    for i in range(n):
        phase[i] = rng.uniform(0.0, period[i])
    ptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        ptr[i + 1] = ptr[i] + np.int64(np.ceil((horizon_s - phase[i]) / period[i]))
    times = np.empty(ptr[n])
    for i in range(n):
        for k in range(ptr[i + 1] - ptr[i]):
            times[ptr[i] + k] = phase[i] + k * period[i]
    return times, ptr


@njit(cache=True)
def _poisson_draws(fps: np.ndarray, horizon_s: float) -> np.ndarray:
    """The exponential gaps :func:`_poisson` draws per user: ~6 sigma more than the ``fps[i] * horizon_s`` expected."""
    draws = np.empty(fps.shape[0], dtype=np.int64)
    for i in range(fps.shape[0]):
        expected = fps[i] * horizon_s
        draws[i] = np.int64(expected + 6.0 * np.sqrt(expected) + 10)
    return draws


@njit(cache=True)
def _poisson(rng: np.random.Generator, fps: np.ndarray, period: np.ndarray, horizon_s: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Exponential gaps of mean ``period[i]``: ~6 sigma more draws than expected per user, then cut at ``horizon_s``.

    The gaps are summed over all users in one running sum and each user's times are that sum minus its value at
    the user's first draw, the arithmetic of ``np.cumsum`` over the concatenated gaps.
    """
    n = fps.shape[0]
    draws = _poisson_draws(fps, horizon_s)
    cum = np.empty(draws.sum())
    running = 0.0
    pos = 0
    for i in range(n):
        for _ in range(draws[i]):
            running += rng.exponential(period[i])
            cum[pos] = running
            pos += 1
    times = np.empty(cum.shape[0])
    ptr = np.zeros(n + 1, dtype=np.int64)
    start = 0
    for i in range(n):
        base = cum[start - 1] if i > 0 else 0.0
        count = 0
        for j in range(start, start + draws[i]):
            t = cum[j] - base
            if t < horizon_s:
                times[ptr[i] + count] = t
                count += 1
        ptr[i + 1] = ptr[i] + count
        start += draws[i]
    return times[:ptr[n]].copy(), ptr


@njit(cache=True)
def draw_arrivals(rng: np.random.Generator, poisson: bool, fps: np.ndarray, period: np.ndarray, horizon_s: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`episode_arrivals` (``period = 1 / fps``) for compiled callers: the ``poisson`` or ``periodic`` process."""
    return _poisson(rng, fps, period, horizon_s) if poisson else _periodic(rng, period, horizon_s)


def episode_arrivals(rng: np.random.Generator, process: str, fps: np.ndarray, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times of every task of an episode, grouped by user.

    Args:
        rng: the episode's random generator.
        process: ``"periodic"`` (every ``1/fps`` s from a uniform random phase) or ``"poisson"``.
        fps: ``(N,)`` task rate per user, tasks/s.
        horizon_s: episode length, s; arrivals lie in ``[0, horizon_s)``.

    Returns:
        ``(times, ptr)``: user ``i``'s sorted arrival times (s) are ``times[ptr[i]:ptr[i+1]]``.
    """
    fps = np.ascontiguousarray(fps, dtype=np.float64)
    period = 1.0 / fps
    if process == "periodic":
        return call_with_rng(_periodic, rng, period, float(horizon_s))
    if process == "poisson":
        return call_with_rng(_poisson, rng, fps, period, float(horizon_s))
    raise ScenarioError(f"scenario field 'arrival': process {process!r} unknown; allowed: 'periodic', 'poisson'")


def max_arrivals(poisson: bool, fps: np.ndarray, period: np.ndarray, horizon_s: float) -> int:
    """The most tasks :func:`draw_arrivals` can return with these arguments, by its arithmetic: per user
    ``ceil(horizon_s / period)`` (periodic: the count at phase 0, the largest) or the number of Poisson gaps drawn
    (:func:`_poisson_draws`; those past the horizon are cut)."""
    if poisson:
        return int(_poisson_draws(np.ascontiguousarray(fps, dtype=np.float64), float(horizon_s)).sum())
    return int(np.sum(np.ceil(horizon_s / period).astype(np.int64)))
