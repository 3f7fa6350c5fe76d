"""RAP against a brute-force argmin of its objective over every legal candidate (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents import make_policy
from tests.agents.random_cases import legal_candidates, random_env, random_obs


def rap_brute_force(env, obs, i, b0_mbps):
    """RAP objective of every candidate of user ``i``: dict (cut, bits index) -> value."""
    cfg, n = env.config, env.num_users
    hist = np.maximum(obs["bandwidth"][i, -5:].astype(np.float64), 1e-3)
    bw = len(hist) / np.sum(1.0 / hist)
    om = bw / (bw + b0_mbps)
    f = 1.0 / n
    w = 1.0 / n if cfg.shared_uplink else 1.0
    qd, qu, qc = obs["queue"][i].astype(np.float64)
    fps = cfg.per_user("fps")[i]
    tasks = fps * cfg.dt_s
    out = {}
    for k, j, dev, cloud, bits, acc in legal_candidates(env, obs, i):
        if bits == 0.0 and cloud == 0.0 and k == int(np.flatnonzero(obs["cut_mask"][i])[-1]):
            lat, bottleneck = qd + dev, dev
        else:
            up = max(qd + dev, qu) + bits / (w * bw * 1e6) + cfg.rtt_s / 2
            lat = max(up, qc) + cloud / f + cfg.rtt_s / 2
            bottleneck = max(dev, bits / (w * bw * 1e6), cloud / f)
        lat += max(bottleneck - 1.0 / fps, 0.0) * max(tasks - 1.0, 0.0) / 2.0  # the slot's tasks queue at the bottleneck
        out[(k, j)] = om * acc * cfg.acc_weight + (1 - om) * lat / cfg.latency_ref_s
    return out


def test_rap_equals_brute_force_argmin_of_its_objective():
    rng = np.random.default_rng(1)
    checked = 0
    while checked < 1000:
        env = random_env(rng)
        for _ in range(5):
            obs = random_obs(rng, env)
            b0 = float(rng.uniform(0.5, 30))
            action, _ = make_policy("rap", env, b0_mbps=b0).predict(obs)
            for i in range(env.num_users):
                values = rap_brute_force(env, obs, i, b0)
                got = values[(int(action["split"][i]), int(action["bits"][i]))]
                assert got == pytest.approx(min(values.values()), rel=1e-9, abs=1e-12)
            checked += 1
