"""RAP's accuracy weight ``omega(B)``: its three forms and the refusal of an unknown one."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents.objective import omega
from rapgym.errors import PolicyError


def test_omega_forms() -> None:
    b = np.array([0.0, 8.0, 1e9])
    assert np.allclose(omega(b, "rational", 8.0), [0.0, 0.5, 1.0])
    assert np.allclose(omega(b, "exponential", 8.0), [0.0, 1.0 - np.exp(-1.0), 1.0])
    assert np.allclose(omega(b, "constant", 8.0, omega_const=0.3), 0.3)


def test_unknown_form_lists_the_allowed_ones() -> None:
    with pytest.raises(PolicyError, match=r"omega form 'cubic' unknown; allowed: \['rational', 'exponential', 'constant'\]"):
        omega(np.ones(2), "cubic", 8.0)
