"""JM-MPRA's alternation stops within ``max_rounds`` and reports the rounds taken (issue 5)."""

from __future__ import annotations

import numpy as np

from rapgym.agents import make_policy
from tests.agents.random_cases import random_env, random_obs


def test_jm_mpra_reports_rounds_and_converges():
    rng = np.random.default_rng(4)
    for _ in range(50):
        env = random_env(rng)
        pol = make_policy("jm-mpra", env, max_rounds=30)
        pol.predict(random_obs(rng, env))
        assert 1 <= pol.last_rounds <= 30
