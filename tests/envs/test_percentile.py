"""The episode summary's p95 is ``np.percentile(x, 95)`` bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.envs.step_info import percentile_95


@pytest.mark.parametrize("seed", range(4))
def test_equals_numpy_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    for n in [*range(1, 60), 99, 100, 101, 1000, 4001]:
        for values in (rng.exponential(0.3, n), rng.integers(0, 5, n).astype(float), np.full(n, 0.25),
                       rng.normal(0, 1e6, n)):
            assert percentile_95(values) == np.percentile(values, 95), (n, values)


def test_hand_computed():
    # index (5 - 1) * 0.95 = 3.8: 3 + 0.8 * (4 - 3) computed from the upper end, 4 - 1 * 0.2
    assert percentile_95(np.array([4.0, 0.0, 3.0, 1.0, 2.0])) == pytest.approx(3.8)
    assert percentile_95(np.array([7.0])) == 7.0
