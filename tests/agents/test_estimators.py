"""Bandwidth estimators against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents.estimators import FLOOR_MBPS, make_estimator
from rapgym.errors import PolicyError

HIST = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])


def test_last_sample():
    np.testing.assert_allclose(make_estimator("last")(HIST), [4.0, 3.0])


def test_ewma_hand_computed():
    # alpha 0.5: e = 1 -> 1.5 -> 2.75
    np.testing.assert_allclose(make_estimator("ewma")(HIST), [2.75, 3.0])
    # alpha 0.25: e = 1 -> 1.25 -> 1.9375
    np.testing.assert_allclose(make_estimator("ewma", alpha=0.25)(HIST[:1]), [1.9375])
    np.testing.assert_allclose(make_estimator("ewma", alpha=1.0)(HIST), [4.0, 3.0])


def test_harmonic_mean_of_last_n():
    np.testing.assert_allclose(make_estimator("harmonic")(HIST), [3.0 / (1 + 0.5 + 0.25), 3.0])
    np.testing.assert_allclose(make_estimator("harmonic", n=2)(HIST), [2.0 / (0.5 + 0.25), 3.0])


def test_robust_mpc_replays_its_own_predictions():
    # n=2 over [1, 2, 4]: prediction for slot 1 = hm(1) = 1, error |1-2|/2 = 0.5;
    # prediction for slot 2 = hm(1, 2) = 4/3, error |4/3-4|/4 = 2/3; estimate = hm(2, 4) / (1 + 2/3)
    expected = (2.0 / (0.5 + 0.25)) / (1.0 + 2.0 / 3.0)
    np.testing.assert_allclose(make_estimator("robust_mpc", n=2)(HIST), [expected, 3.0])
    # window n=1 on [1, 2, 4]: only slot 2 counts, predicted 2, error 0.5 -> 4 / 1.5
    np.testing.assert_allclose(make_estimator("robust_mpc", n=1)(HIST[:1]), [4.0 / 1.5])
    # a single sample has no past prediction: no discount
    np.testing.assert_allclose(make_estimator("robust_mpc")(np.array([[5.0]])), [5.0])


def test_zero_samples_give_finite_estimates():
    hist = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 5.0]])
    for name in ("last", "ewma", "harmonic", "robust_mpc"):
        est = make_estimator(name)(hist)
        assert np.all(np.isfinite(est)) and np.all(est >= 0), name
    np.testing.assert_allclose(make_estimator("harmonic")(hist[:1]), [FLOOR_MBPS])


def test_bad_names_and_options():
    with pytest.raises(PolicyError, match=r"estimator 'oracle' unknown; allowed: \['ewma', 'harmonic', 'last', 'robust_mpc'\]"):
        make_estimator("oracle")
    with pytest.raises(PolicyError, match=r"unknown option\(s\) \['beta'\]; allowed: \['alpha'\]"):
        make_estimator("ewma", beta=0.3)
    with pytest.raises(PolicyError, match="alpha must be in"):
        make_estimator("ewma", alpha=0.0)
    with pytest.raises(PolicyError, match="n must be an integer"):
        make_estimator("harmonic", n=0)
    with pytest.raises(PolicyError, match="bandwidth history .* must be"):
        make_estimator("last")(np.zeros((3, 0)))
