"""The clairvoyant oracle: scored by the simulator's own kernel, never worse than any policy in its slot (issue 5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rapgym.agents import available_policies, closed_form_shares, make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.profiles.profile import DNNProfile
from rapgym.sim.cost import upload_table
from rapgym.sim.layout import COL_CLOUD_S, COL_TX
from rapgym.traces.trace import BandwidthTrace

BITS = [32, 8, 2]


def small_env(rng: np.random.Generator, n: int, shared: bool) -> MultiUserEndCloudEnv:
    profiles = []
    for _ in range(n):
        k1 = int(rng.integers(2, 5))
        acc = rng.uniform(0, 5, (k1, 3))
        acc[0] = acc[-1] = acc[:, 0] = 0.0
        profiles.append(DNNProfile(
            name="r", cut_names=tuple(map(str, range(k1))), device_s=np.concatenate(([0], np.cumsum(rng.uniform(0.005, 0.06, k1 - 1)))),
            cloud_s=np.concatenate((np.cumsum(rng.uniform(0.001, 0.02, k1 - 1))[::-1], [0])), tx_bytes=rng.uniform(2e3, 2e5, k1),
            acc_loss=acc, base_accuracy=70.0, bits=tuple(BITS)))
    return MultiUserEndCloudEnv("default", num_users=n, profiles=profiles, bits=BITS, shared_uplink=shared, episode_slots=20,
                                fps=[float(rng.choice([10.0, 20.0, 30.0]))])


def reset_with_traces(env: MultiUserEndCloudEnv, rng: np.random.Generator, seed: int):
    links = 1 if env.config.shared_uplink else env.num_users
    traces = [BandwidthTrace.from_samples(rng.uniform(0.0, 20.0, 400), 0.05) for _ in range(links)]
    return env.reset(seed=seed, options={"traces": traces})


def oracle_shares(env: MultiUserEndCloudEnv, split: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form shares of ``fps * cloud s`` (and ``fps * uploaded bits`` in a shared cell) for ``(M, N)`` decisions."""
    split, bits = np.atleast_2d(split), np.atleast_2d(bits)
    feats, k_dev = env.sim.features, env.sim.num_cuts - 1
    fps = np.asarray(env.config.per_user("fps"))
    users = np.arange(env.num_users)[None, :]
    split = np.minimum(split, k_dev[None, :])
    tx_table, up_table, _ = upload_table(8.0 * feats[:, :, COL_TX], np.asarray(BITS) / 32, k_dev, 8.0 * env.config.header_bytes)
    up = up_table[users, split]
    cloud = np.where(up, feats[users, split, COL_CLOUD_S], 0.0)
    tx = tx_table[users, split, bits]
    f = closed_form_shares(fps * cloud)
    return f, closed_form_shares(fps * tx) if env.config.shared_uplink else np.ones_like(f)


@pytest.mark.parametrize("shared", [False, True])
def test_oracle_cost_is_the_env_cost_and_no_policy_split_beats_it(shared):
    """Scored with the oracle's closed-form shares, no policy's (cut, bits) beats the oracle's slot cost."""
    rng = np.random.default_rng(7 + shared)
    for episode in range(4):
        env = small_env(rng, int(rng.integers(1, 4)), shared)
        obs, _ = reset_with_traces(env, rng, episode)
        oracle = make_policy("oracle", env)
        others = [make_policy(name, env) for name in available_policies() if name != "oracle"]
        for _ in range(10):
            tasks_before = env.sim.cursor.copy()
            rivals = [p.predict(obs)[0] for p in others]
            action, _ = oracle.predict(obs)
            assert np.array_equal(env.sim.cursor, tasks_before)  # the search ran on copies
            for rival in rivals:
                f, w = oracle_shares(env, rival["split"], rival["bits"])
                cost = env.sim.score_actions(rival["split"], rival["bits"], f, w)[0]
                assert oracle.last_cost <= cost + 1e-9
            obs, reward, _, _, info = env.step(action)
            if info["tasks"]:
                assert -reward * info["tasks"] == pytest.approx(oracle.last_cost, rel=1e-9, abs=1e-12)


def test_pruning_loses_nothing_against_every_combination():
    """The oracle over non-dominated candidates matches an exhaustive search over all legal candidates."""
    rng = np.random.default_rng(11)
    for episode in range(6):
        env = small_env(rng, 2, shared=bool(episode % 2))
        obs, _ = reset_with_traces(env, rng, episode)
        oracle = make_policy("oracle", env)
        n = env.num_users
        per_user = []
        for i in range(n):
            k_dev = env.sim.num_cuts[i] - 1
            per_user.append([(k, j) for k in range(k_dev + 1) for j in range(len(BITS)) if 0 < k < k_dev or BITS[j] == 32])
        for _ in range(5):
            combos = list(itertools.product(*per_user))
            split = np.array([[c[0] for c in combo] for combo in combos])
            bits = np.array([[c[1] for c in combo] for combo in combos])
            f, w = oracle_shares(env, split, bits)
            best = env.sim.score_actions(split, bits, f, w).min()
            action, _ = oracle.predict(obs)
            assert oracle.last_cost <= best + 1e-9 * max(1.0, best)
            obs, *_ = env.step(action)


def test_oracle_refuses_a_search_too_large():
    rng = np.random.default_rng(0)
    env = small_env(rng, 3, shared=False)
    with pytest.raises(PolicyError, match="combinations > max_combinations=2"):
        make_policy("oracle", env, max_combinations=2)


def test_oracle_needs_the_env():
    from rapgym.agents import PolicyContext

    env = small_env(np.random.default_rng(0), 1, shared=False)
    with pytest.raises(ValueError, match="clairvoyant"):
        make_policy("oracle", PolicyContext.from_env(env))
