"""IAO against the brute-force min-max latency over every fp32 cut combination (issue 5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rapgym.agents import make_policy
from tests.agents.random_cases import legal_candidates, random_env, random_obs


def min_feasible_bound(fixed: list[float], cloud: list[float], floor: float) -> float:
    """Least L with sum_i max(c_i / (L - g_i), floor) <= 1 over uploading users (c_i > 0), by bisection."""
    def total(bound):
        need = [0.0 if c == 0 and g <= bound else (np.inf if bound <= g else max(c / (bound - g), floor)) for g, c in zip(fixed, cloud, strict=True)]
        return sum(need)
    lo, hi = max(fixed), max(fixed) + sum(cloud) / max(1.0 - floor * len(fixed), 1e-9) + 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if total(mid) > 1.0 else (lo, mid)
    return hi


def test_iao_equals_brute_force_min_max_latency():
    rng = np.random.default_rng(5)
    for _ in range(60):
        env = random_env(rng, max_users=3, max_cuts=4)
        obs = random_obs(rng, env)
        cfg, n = env.config, env.num_users
        action, _ = make_policy("iao", env).predict(obs)
        assert np.all(action["bits"] == cfg.bits.index(32))
        options = []
        for i in range(n):
            bw = max(float(obs["bandwidth"][i, -1]), 1e-3) * 1e6 * (1.0 / n if cfg.shared_uplink else 1.0)
            options.append({k: ((dev, 0.0) if bits == 0.0 else (dev + bits / bw + cfg.rtt_s, cloud))
                            for k, j, dev, cloud, bits, _acc in legal_candidates(env, obs, i) if cfg.bits[j] == 32})
        best = min(min_feasible_bound([options[i][k][0] for i, k in enumerate(combo)], [options[i][k][1] for i, k in enumerate(combo)],
                                      cfg.min_share) for combo in itertools.product(*[list(o) for o in options]))
        chosen = [options[i][int(k)] for i, k in enumerate(action["split"])]
        uploads = np.array([c > 0 for _, c in chosen])
        raw = np.maximum(action["compute_share"].astype(np.float64), cfg.min_share)
        share = np.where(uploads, raw / raw[uploads].sum() if uploads.any() else 1.0, 1.0)
        achieved = max(g + (c / share[i] if uploads[i] else 0.0) for i, (g, c) in enumerate(chosen))
        assert achieved == pytest.approx(best, rel=1e-6, abs=1e-9)
