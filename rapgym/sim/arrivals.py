"""Task arrival processes: periodic frames with a random phase, or Poisson."""

from __future__ import annotations

import numpy as np

from rapgym.errors import ScenarioError

__all__ = ["episode_arrivals"]


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
    fps = np.asarray(fps, dtype=np.float64)
    period = 1.0 / fps
    if process == "periodic":
        phase = rng.uniform(0.0, period)
        counts = np.ceil((horizon_s - phase) / period).astype(np.int64)
        ptr = np.concatenate(([0], np.cumsum(counts)))
        local = np.arange(ptr[-1]) - np.repeat(ptr[:-1], counts)
        times = np.repeat(phase, counts) + local * np.repeat(period, counts)
    elif process == "poisson":
        # draw enough exponential gaps for ~6 sigma more than the expected count, then cut at the horizon
        expected = fps * horizon_s
        draws = (expected + 6.0 * np.sqrt(expected) + 10).astype(np.int64)
        gaps = rng.exponential(np.repeat(period, draws))
        starts = np.concatenate(([0], np.cumsum(draws)))
        cum = np.cumsum(gaps)
        cum -= np.repeat(np.concatenate(([0.0], cum[starts[1:-1] - 1])), draws)
        keep = cum < horizon_s
        counts = np.add.reduceat(keep, starts[:-1]).astype(np.int64)
        times = cum[keep]
        ptr = np.concatenate(([0], np.cumsum(counts)))
    else:
        raise ScenarioError(f"scenario field 'arrival': process {process!r} unknown; allowed: 'periodic', 'poisson'")
    return times, ptr
