"""Statistics of a learning study: several training seeds of one agent, played on the same test episodes as the
reference policies.

An agent's results form a ``(seeds, episodes)`` array: training seed ``s`` played on test episode ``e``. The
reference policies are deterministic given the episode, so each holds one value per episode. The design is
crossed (every training seed meets every test episode), so the confidence interval of a mean resamples
both factors: a bootstrap that draws the training seeds and the test episodes independently with
replacement and takes the mean of the drawn sub-array (the percentile interval). With one seed it is the
ordinary episode bootstrap. A paired comparison applies the same resampling to ``agent[s, e] - reference[e]``.

Learning curves average the runs' held-out evaluations at the environment steps they share; their band is a
t-interval over the training seeds at each step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rapgym.errors import RapgymError

__all__ = ["CrossedMean", "SeedBand", "crossed_mean", "paired_difference", "seed_band"]

BOOTSTRAP_DRAWS = 10_000
"""Bootstrap resamples of :func:`crossed_mean`."""


@dataclass(frozen=True)
class CrossedMean:
    """Mean of a ``(seeds, episodes)`` array with its bootstrap interval (same units as the values)."""

    mean: float
    low: float
    high: float
    seed_means: tuple[float, ...]
    """The mean over episodes of each training seed."""
    wins: int
    """Number of (seed, episode) values above 0 (for a paired difference: the agent was better)."""
    count: int
    """Number of (seed, episode) values."""

    @property
    def half_width(self) -> float:
        """Half the interval's width (the ``±`` figure of a table)."""
        return (self.high - self.low) / 2.0


def _as_grid(values: np.ndarray | Sequence[Sequence[float]], name: str) -> np.ndarray:
    grid = np.asarray(values, dtype=np.float64)
    if grid.ndim != 2 or grid.shape[0] < 1 or grid.shape[1] < 1:
        raise RapgymError(f"{name} must be a non-empty (seeds, episodes) array, got shape {grid.shape}")
    if not np.all(np.isfinite(grid)):
        raise RapgymError(f"{name} holds a NaN or inf value")
    return grid


def crossed_mean(values: np.ndarray | Sequence[Sequence[float]], level: float = 0.95, seed: int = 0,
                 draws: int = BOOTSTRAP_DRAWS) -> CrossedMean:
    """Mean of ``values[s, e]`` with a crossed bootstrap interval over training seeds and test episodes.

    Args:
        values: ``(seeds, episodes)``; e.g. reward per slot of training seed ``s`` on test episode ``e``.
        level: confidence level of the percentile interval.
        seed: seed of the resampling (the interval is reproducible).
        draws: bootstrap resamples.

    Raises:
        RapgymError: ``values`` is not a finite, non-empty 2-D array, or ``level`` is not in (0, 1).
    """
    grid = _as_grid(values, "values")
    if not 0.0 < level < 1.0:
        raise RapgymError(f"level must be in (0, 1), got {level}")
    n_seeds, n_episodes = grid.shape
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n_seeds, size=(draws, n_seeds))
    cols = rng.integers(0, n_episodes, size=(draws, n_episodes))
    # mean of grid[rows][:, cols] = (row counts) @ grid @ (col counts) / (n_seeds * n_episodes)
    row_counts = np.zeros((draws, n_seeds))
    np.add.at(row_counts, (np.arange(draws)[:, None], rows), 1.0)
    col_counts = np.zeros((draws, n_episodes))
    np.add.at(col_counts, (np.arange(draws)[:, None], cols), 1.0)
    boot = np.einsum("ds,se,de->d", row_counts, grid, col_counts) / (n_seeds * n_episodes)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [tail, 1.0 - tail])
    return CrossedMean(mean=float(grid.mean()), low=float(low), high=float(high),
                       seed_means=tuple(float(m) for m in grid.mean(axis=1)), wins=int(np.sum(grid > 0)),
                       count=int(grid.size))


def paired_difference(agent: np.ndarray | Sequence[Sequence[float]], reference: np.ndarray | Sequence[float],
                      level: float = 0.95, seed: int = 0) -> CrossedMean:
    """``agent[s, e] - reference[e]`` summarised by :func:`crossed_mean` (positive: the agent is better when the
    values are rewards).

    Raises:
        RapgymError: the reference does not hold one value per episode of ``agent``.
    """
    grid = _as_grid(agent, "agent")
    ref = np.asarray(reference, dtype=np.float64)
    if ref.shape != (grid.shape[1],):
        raise RapgymError(f"reference must hold one value per episode ({grid.shape[1]}), got shape {ref.shape}")
    return crossed_mean(grid - ref[None, :], level=level, seed=seed)


@dataclass(frozen=True)
class SeedBand:
    """Mean and t-interval over training seeds of learning curves, at the steps every run evaluated."""

    steps: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


def seed_band(curves: Sequence[tuple[Sequence[int], Sequence[float]]], level: float = 0.95) -> SeedBand:
    """Mean ± t-interval over the runs of ``(steps, values)`` curves at the steps all of them share.

    Runs with different evaluation steps are truncated to the common ones; one run gives a zero-width band.

    Raises:
        RapgymError: no curve, or no step shared by every curve.
    """
    if not curves:
        raise RapgymError("seed_band needs at least one curve")
    common = set(map(int, curves[0][0]))
    for steps, _ in curves[1:]:
        common &= set(map(int, steps))
    if not common:
        raise RapgymError("the curves share no evaluation step")
    steps = np.array(sorted(common))
    table = np.array([[dict(zip(map(int, s), map(float, v), strict=True))[t] for t in steps] for s, v in curves])
    mean = table.mean(axis=0)
    if table.shape[0] < 2:
        return SeedBand(steps, mean, mean.copy(), mean.copy())
    half = stats.t.ppf(0.5 + level / 2.0, table.shape[0] - 1) * table.std(axis=0, ddof=1) / np.sqrt(table.shape[0])
    return SeedBand(steps, mean, mean - half, mean + half)
