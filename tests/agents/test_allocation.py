"""The closed-form share allocation against a numerical optimum (scipy) (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from rapgym.agents.allocation import closed_form_shares
from rapgym.errors import PolicyError


def numerical_optimum(a: np.ndarray) -> np.ndarray:
    """``argmin sum a_i / f_i`` on the simplex by SLSQP from equal shares."""
    n = a.shape[0]
    res = minimize(lambda f: np.sum(a / f), np.full(n, 1.0 / n), jac=lambda f: -a / f**2, method="SLSQP",
                   bounds=[(1e-9, 1.0)] * n, constraints=[{"type": "eq", "fun": lambda f: f.sum() - 1.0, "jac": lambda f: np.ones(n)}],
                   options={"ftol": 1e-16, "maxiter": 1000})
    return res.x


@pytest.mark.parametrize("seed", range(40))
def test_closed_form_equals_numerical_optimum(seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.05, 10.0, int(rng.integers(1, 9)))
    shares = closed_form_shares(a)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(shares, numerical_optimum(a), atol=1e-6)
    assert np.sum(a / shares) <= np.sum(a / numerical_optimum(a)) + 1e-9


def test_zero_work_gets_zero_share_and_all_zero_gets_equal_shares():
    np.testing.assert_allclose(closed_form_shares(np.array([0.0, 4.0, 1.0])), [0.0, 2 / 3, 1 / 3])
    np.testing.assert_allclose(closed_form_shares(np.zeros(4)), np.full(4, 0.25))


def test_batched_rows_are_independent():
    a = np.array([[1.0, 4.0], [9.0, 0.0]])
    np.testing.assert_allclose(closed_form_shares(a), [[1 / 3, 2 / 3], [1.0, 0.0]])


@pytest.mark.parametrize("bad", [[-1.0, 1.0], [np.nan, 1.0], [np.inf, 1.0]])
def test_bad_work_is_refused(bad):
    with pytest.raises(PolicyError, match="finite and >= 0"):
        closed_form_shares(np.array(bad))
