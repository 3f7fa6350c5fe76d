"""Random envs and observations for the policy tests, and brute-force enumeration of a user's legal candidates."""

from __future__ import annotations

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.sim.layout import COL_ACC_LOSS, COL_CLOUD_S, COL_DEVICE_S, COL_TX
from tests.helpers import random_profile


def random_env(rng: np.random.Generator, max_users: int = 6, max_cuts: int = 7) -> MultiUserEndCloudEnv:
    """An env of 1..``max_users`` users with random profiles of 2..``max_cuts`` cuts and random scenario constants."""
    n = int(rng.integers(1, max_users + 1))
    profiles = [random_profile(rng, int(rng.integers(1, max_cuts))) for _ in range(n)]
    return MultiUserEndCloudEnv("default", num_users=n, profiles=profiles, shared_uplink=bool(rng.integers(2)),
                                rtt_s=float(rng.uniform(0, 0.05)), header_bytes=int(rng.integers(0, 200)),
                                fps=list(rng.uniform(1, 30, n)), acc_weight=float(rng.uniform(0.01, 0.5)),
                                latency_ref_s=float(rng.uniform(0.05, 0.5)))


def random_obs(rng: np.random.Generator, env: MultiUserEndCloudEnv) -> dict[str, np.ndarray]:
    """A random observation of ``env`` (bandwidth with ~10 % outages, queues ~30 % empty, the env's own profile table)."""
    n, hist = env.num_users, env.config.history
    bw = rng.exponential(8.0, (n, hist)) * (rng.random((n, hist)) > 0.1)
    return {"bandwidth": bw.astype(np.float32), "queue": (rng.exponential(0.1, (n, 3)) * (rng.random((n, 3)) > 0.3)).astype(np.float32),
            "profile": env.sim.features.astype(np.float32), "cut_mask": env.sim.cut_mask.copy(),
            "cloud_load": np.array([rng.uniform(0, 2)], dtype=np.float32)}


def legal_candidates(env: MultiUserEndCloudEnv, obs: dict[str, np.ndarray], i: int):
    """Every legal (cut, bits index, device s, cloud s, uploaded bits, acc loss pp) of user ``i``, by plain loops."""
    prof = obs["profile"][i].astype(np.float64)
    k_dev = int(np.flatnonzero(obs["cut_mask"][i])[-1])
    header = 8.0 * env.config.header_bytes
    for k in range(k_dev + 1):
        for j, b in enumerate(env.config.bits):
            if (k == 0 or k == k_dev) and b != 32:
                continue
            if k == k_dev:
                yield k, j, prof[k, COL_DEVICE_S], 0.0, 0.0, 0.0
            else:
                scale = b / 32.0 if k > 0 else 1.0
                yield k, j, prof[k, COL_DEVICE_S], prof[k, COL_CLOUD_S], 8.0 * prof[k, COL_TX] * scale + header, prof[k, COL_ACC_LOSS + j]


def equal_share_latencies(env, obs, i: int) -> dict[tuple[int, int], tuple[float, float]]:
    """Brute force: ``(cut, bits index) -> (latency s, acc loss pp)`` of user ``i`` at the last bandwidth sample
    with equal compute (and, in a shared cell, uplink) shares, empty queues."""
    cfg, n = env.config, env.num_users
    bw = max(float(obs["bandwidth"][i, -1]), 1e-3) * 1e6 * (1.0 / n if cfg.shared_uplink else 1.0)
    return {(k, j): (dev if bits == 0.0 else dev + bits / bw + cfg.rtt_s + cloud * n, acc)
            for k, j, dev, cloud, bits, acc in legal_candidates(env, obs, i)}
