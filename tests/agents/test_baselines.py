"""Neurosurgeon and the accuracy-budget baseline against brute-force latency argmins (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents import make_policy
from tests.agents.random_cases import equal_share_latencies, random_env, random_obs


def test_neurosurgeon_equals_brute_force_latency_argmin():
    rng = np.random.default_rng(2)
    for _ in range(300):
        env = random_env(rng)
        obs = random_obs(rng, env)
        cfg, n = env.config, env.num_users
        action, _ = make_policy("neurosurgeon", env).predict(obs)
        assert np.all(action["bits"] == cfg.bits.index(32))
        for i in range(n):
            lat = {k: t for (k, j), (t, _) in equal_share_latencies(env, obs, i).items() if cfg.bits[j] == 32}
            assert lat[int(action["split"][i])] == pytest.approx(min(lat.values()), rel=1e-9)


def test_accuracy_budget_respects_budget_and_is_latency_optimal():
    rng = np.random.default_rng(3)
    for _ in range(200):
        env = random_env(rng)
        obs = random_obs(rng, env)
        action, _ = make_policy("accuracy-budget", env, budget_pp=1.5).predict(obs)
        for i in range(env.num_users):
            lat = {kj: t for kj, (t, acc) in equal_share_latencies(env, obs, i).items() if acc <= 1.5}
            assert lat[(int(action["split"][i]), int(action["bits"][i]))] == pytest.approx(min(lat.values()), rel=1e-9)
