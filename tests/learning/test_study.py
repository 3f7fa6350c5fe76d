"""The statistics of a learning study against hand-computed and brute-force expectations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rapgym.errors import RapgymError
from rapgym.learning.study import crossed_mean, paired_difference, seed_band


def _brute_force_bootstrap(grid: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """The bootstrap means by explicit sub-array indexing, with the same draws as crossed_mean."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, grid.shape[0], size=(draws, grid.shape[0]))
    cols = rng.integers(0, grid.shape[1], size=(draws, grid.shape[1]))
    return np.array([grid[np.ix_(r, c)].mean() for r, c in zip(rows, cols, strict=True)])


def test_crossed_bootstrap_matches_explicit_resampling() -> None:
    grid = np.random.default_rng(3).normal(size=(3, 7))
    result = crossed_mean(grid, draws=400, seed=5)
    boot = _brute_force_bootstrap(grid, 400, 5)
    assert result.low == pytest.approx(np.quantile(boot, 0.025))
    assert result.high == pytest.approx(np.quantile(boot, 0.975))
    assert result.mean == pytest.approx(grid.mean())
    assert result.seed_means == pytest.approx(tuple(grid.mean(axis=1)))


def test_constant_values_have_a_zero_width_interval_and_count_wins() -> None:
    result = crossed_mean([[2.0, 2.0], [2.0, 2.0]])
    assert (result.mean, result.low, result.high, result.half_width) == (2.0, 2.0, 2.0, 0.0)
    assert (result.wins, result.count) == (4, 4)


def test_seed_variation_widens_the_interval_beyond_the_episode_bootstrap() -> None:
    episodes = np.random.default_rng(0).normal(size=20)
    same_seeds = np.stack([episodes] * 3)
    shifted = same_seeds + np.array([[-1.0], [0.0], [1.0]])  # training seeds differ by a constant
    assert crossed_mean(shifted).half_width > 2 * crossed_mean(same_seeds).half_width


def test_paired_difference_subtracts_the_reference_per_episode() -> None:
    agent = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]])
    reference = np.array([1.5, 1.5, 5.0])
    diff = paired_difference(agent, reference)
    assert diff.mean == pytest.approx(np.mean([-0.5, 0.5, -2.0, 0.5, 1.5, -1.0]))
    assert (diff.wins, diff.count) == (3, 6)


@pytest.mark.parametrize(("agent", "reference", "message"), [
    ([[1.0, 2.0]], [1.0], "one value per episode"),
    ([1.0, 2.0], [1.0, 2.0], "(seeds, episodes)"),
    ([[1.0, np.nan]], [1.0, 2.0], "NaN"),
])
def test_bad_shapes_and_values_are_named(agent: list, reference: list, message: str) -> None:
    with pytest.raises(RapgymError, match=message.replace("(", r"\(").replace(")", r"\)")):
        paired_difference(agent, reference)


def test_seed_band_is_the_t_interval_at_shared_steps() -> None:
    curves = [([0, 10, 20], [1.0, 2.0, 3.0]), ([0, 10, 20, 30], [3.0, 4.0, 5.0, 9.0]), ([0, 10, 20], [2.0, 3.0, 7.0])]
    band = seed_band(curves)
    assert band.steps.tolist() == [0, 10, 20]
    assert band.mean.tolist() == pytest.approx([2.0, 3.0, 5.0])
    half = stats.t.ppf(0.975, 2) * np.std([3.0, 5.0, 7.0], ddof=1) / np.sqrt(3)
    assert band.high[2] - band.mean[2] == pytest.approx(half)


def test_seed_band_without_shared_steps_is_an_error() -> None:
    with pytest.raises(RapgymError, match="share no evaluation step"):
        seed_band([([0], [1.0]), ([5], [1.0])])
