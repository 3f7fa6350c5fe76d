"""The kernel's per-user outcomes of a slot equal a recount from the task arrays it wrote."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv


def recount(sim, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(3, N)`` counts and ``(2, N)`` means of each user's tasks ``start[i]:cursor[i]``, in plain Python."""
    cfg = sim.config
    n = start.shape[0]
    counts, means = np.zeros((3, n), np.int64), np.zeros((2, n))
    for i in range(n):
        costs, latencies = [], []
        for j in range(start[i], sim.cursor[i]):
            lat, loss = sim.task_latency[j], sim.task_acc_loss[j]
            counts[0, i] += 1
            if lat < 0:
                counts[1, i] += 1
                costs.append(cfg.drop_penalty)
                continue
            miss = lat > sim.deadline[i]
            counts[2, i] += miss
            costs.append(lat / cfg.latency_ref_s + cfg.acc_weight * loss + cfg.miss_penalty * miss)
            latencies.append(lat)
        means[0, i] = np.mean(costs) if costs else 0.0
        means[1, i] = np.mean(latencies) if latencies else 0.0
    return counts, means


@pytest.mark.parametrize("scenario", ["default", "shared-cell", "unstable-lte"])
def test_user_outcomes_match_a_recount(scenario):
    env = MultiUserEndCloudEnv(scenario, episode_slots=80)
    env.reset(seed=5)
    env.action_space.seed(5)
    seen = 0
    for _ in range(80):
        start = env.sim.cursor.copy()
        env.step(env.action_space.sample())
        counts, means = recount(env.sim, start)
        np.testing.assert_array_equal(env.sim.user_counts, counts)
        np.testing.assert_allclose(env.sim.user_means, means, rtol=1e-12, atol=0.0)
        seen += counts[0].sum()
    assert seen > 0
