"""The linear latency model: features of a block census and a non-negative fit that recovers known coefficients."""

from __future__ import annotations

import numpy as np

from rapgym.profiles.latency_model import FEATURES, features_matrix, fit_coefficients, predict


def test_features_count_linear_flops_as_memory_traffic() -> None:
    block = {"flops_conv": 10.0, "flops_dwconv": 2.0, "mem_bytes": 100.0, "flops_linear": 5.0, "n_ops": 3}
    assert features_matrix([block]).tolist() == [[10.0, 2.0, 110.0, 3.0]]
    assert len(FEATURES) == 4


def test_fit_recovers_exact_coefficients() -> None:
    rng = np.random.default_rng(0)
    truth = np.array([1e-9, 4e-9, 2e-10, 1e-5])
    totals = rng.uniform(1, 10, (12, 4)) * np.array([1e9, 1e8, 1e9, 100])
    coef = fit_coefficients(totals, predict(totals, truth))
    assert np.all(coef >= 0) and np.allclose(coef, truth, rtol=1e-6)
