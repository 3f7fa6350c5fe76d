"""The Gymnasium env: checkers, determinism, pickling, sizes, rendering and bad input."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rapgym
from rapgym.configs.scenario import available_scenarios
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ActionError, ScenarioError

PRESETS = available_scenarios()


def test_core_presets_exist():
    assert {"default", "stable-wifi", "unstable-lte", "shared-cell"} <= set(PRESETS)


@pytest.mark.parametrize("scenario", PRESETS)
def test_gymnasium_check_env_without_warnings(scenario):
    env = gym.make(rapgym.ENV_ID, scenario=scenario, num_users=3, episode_slots=20).unwrapped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, skip_render_check=False)


def test_make_from_another_project_with_overrides():
    env = gym.make("rapgym:rapgym/MultiUserEndCloud-v0", num_users=8, scenario="unstable-lte", deadline_s=[0.5])
    assert env.unwrapped.config.num_users == 8
    assert env.unwrapped.config.deadline_s == [0.5]
    obs, _ = env.reset(seed=1)
    assert obs["bandwidth"].shape == (8, env.unwrapped.config.history)
    env.step(env.action_space.sample())


def rollout(env: gym.Env, seed: int, steps: int) -> list:
    env.action_space.seed(seed)
    out = [env.reset(seed=seed)]
    for _ in range(steps):
        result = env.step(env.action_space.sample())
        out.append(result)
        if result[3]:
            out.append(env.reset())
    return out


def assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (tuple, list)):
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("scenario", ["default", "unstable-lte", "shared-cell"])
def test_same_seed_same_rollout_over_200_steps(scenario):
    a = rollout(MultiUserEndCloudEnv(scenario, episode_slots=150), seed=7, steps=200)
    b = rollout(MultiUserEndCloudEnv(scenario, episode_slots=150), seed=7, steps=200)
    assert_same(a, b)
    c = rollout(MultiUserEndCloudEnv(scenario, episode_slots=150), seed=8, steps=20)
    assert not np.array_equal(a[0][0]["bandwidth"], c[0][0]["bandwidth"])


def test_pickled_env_continues_identically():
    env = MultiUserEndCloudEnv("default")
    env.reset(seed=3)
    env.action_space.seed(3)
    actions = [env.action_space.sample() for _ in range(30)]
    for a in actions[:10]:
        env.step(a)
    clone = pickle.loads(pickle.dumps(env))
    for a in actions[10:]:
        assert_same(env.step(a), clone.step(a))


@pytest.mark.parametrize("n", [1, 8, 64])
def test_sizes_run_a_full_episode_with_finite_values(n):
    env = MultiUserEndCloudEnv("default", num_users=n, episode_slots=50)
    obs, _ = env.reset(seed=n)
    env.action_space.seed(n)
    truncated = False
    while not truncated:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert np.isfinite(reward) and not terminated
        assert all(np.all(np.isfinite(v)) for v in obs.values())
        assert env.observation_space.contains(obs)
    summary = info["rapgym_episode"]
    assert summary["slots"] == 50 and summary["tasks"] > 0
    assert all(np.isfinite(v) for v in summary.values())


def test_whole_episode_at_zero_bandwidth_has_no_nan_or_inf():
    env = MultiUserEndCloudEnv("default", num_users=4, episode_slots=100, uplink="stable",
                               uplink_params={"mean_mbps": 0.0, "noise_cv": 0.0})
    obs, _ = env.reset(seed=0)
    assert np.all(obs["bandwidth"] == 0)
    total_drops = 0
    for _ in range(100):
        action = {"split": np.zeros(4, dtype=np.int64), "bits": np.zeros(4, dtype=np.int64),
                  "compute_share": np.zeros(4, dtype=np.float32)}
        obs, reward, _, truncated, info = env.step(action)
        assert np.isfinite(reward)
        assert all(np.all(np.isfinite(v)) for v in obs.values())
        assert all(np.all(np.isfinite(v)) for v in info.values() if not isinstance(v, dict))
        total_drops += info["dropped"]
    assert total_drops > 0 and info["rapgym_episode"]["drop_rate"] == pytest.approx(1.0)
    assert np.isfinite(list(info["rapgym_episode"].values())).all()


def test_reward_is_minus_mean_cost_of_the_slot():
    # light load, no deadline misses, no drops: every cost is latency / latency_ref
    env = MultiUserEndCloudEnv("stable-wifi", num_users=2, models=["mobilenetv2", "alexnet"], fps=[2.0],
                               deadline_s=[100.0], max_backlog_s=100.0)
    env.reset(seed=0)
    # the last index is device-only for every user (for smaller models it is padding, which means device-only)
    action = {"split": env.action_space["split"].nvec - 1, "bits": np.zeros(2, dtype=np.int64),
              "compute_share": np.ones(2, dtype=np.float32)}
    rewards, latencies = [], []
    for _ in range(20):
        _, reward, _, _, info = env.step(action)
        if info["tasks"]:
            rewards.append(reward)
            latencies.append(info["mean_latency_s"])
    np.testing.assert_allclose(rewards, -np.array(latencies) / env.config.latency_ref_s, rtol=1e-9)


def test_render_modes():
    env = MultiUserEndCloudEnv("shared-cell", render_mode="ansi", num_users=20)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    text = env.render()
    assert "slot 1/" in text and "more users" in text
    env = MultiUserEndCloudEnv("default", render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("overrides, field", [
    ({"num_users": 0}, "num_users"),
    ({"dt_s": -1.0}, "dt_s"),
    ({"arrival": "bursty"}, "arrival"),
    ({"bits": [16, 8]}, "bits"),
    ({"fps": [float("nan")]}, "fps"),
    ({"no_such_field": 1}, "no_such_field"),
    ({"min_share": 0.0}, "min_share"),
])
def test_bad_scenario_fields_name_the_field(overrides, field):
    with pytest.raises(ScenarioError, match=field):
        MultiUserEndCloudEnv("default", **overrides)


def test_unknown_scenario_lists_the_presets():
    with pytest.raises(ScenarioError, match="available: .*default"):
        MultiUserEndCloudEnv("no-such-scenario")


def test_bad_uplink_parameters_name_the_parameter():
    with pytest.raises(ScenarioError, match="mean_mbps"):
        MultiUserEndCloudEnv("default", uplink="stable", uplink_params={"mean_mbps": float("nan")})
    with pytest.raises(ScenarioError, match="mean_mbps"):
        MultiUserEndCloudEnv("default", uplink="stable", uplink_params={"mean_mbps": -3.0})
    with pytest.raises(ScenarioError, match="rho"):
        MultiUserEndCloudEnv("default", uplink_params={"rho": "high"})
    with pytest.raises(ScenarioError, match="allowed: .*gauss-markov"):
        MultiUserEndCloudEnv("default", uplink="wifi7")


@pytest.mark.parametrize("field, value, match", [
    ("split", np.full(8, 99), "split"),
    ("split", np.full(8, -1), "split"),
    ("bits", np.full(8, 5), "bits"),
    ("compute_share", np.full(8, 1.5), "compute_share"),
    ("compute_share", np.full(8, np.nan), "compute_share"),
    ("split", np.zeros(3, dtype=np.int64), r"shape \(3,\)"),
    ("split", np.full(8, 0.5), "integers"),
])
def test_actions_outside_the_space_are_rejected(field, value, match):
    env = MultiUserEndCloudEnv("default")
    env.reset(seed=0)
    action = env.action_space.sample()
    action[field] = value
    with pytest.raises(ActionError, match=match):
        env.step(action)


def test_missing_action_key_and_all_zero_shares():
    env = MultiUserEndCloudEnv("default")
    env.reset(seed=0)
    with pytest.raises(ActionError, match="compute_share"):
        env.step({"split": np.zeros(8, dtype=np.int64), "bits": np.zeros(8, dtype=np.int64)})
    # all-zero shares are documented to mean equal shares
    _, reward, _, _, _ = env.step({"split": np.zeros(8, dtype=np.int64), "bits": np.zeros(8, dtype=np.int64),
                                   "compute_share": np.zeros(8)})
    assert np.isfinite(reward)
    np.testing.assert_allclose(env.sim.shares[0], np.full(8, 1 / 8))


def test_package_registers_the_env():
    assert rapgym.ENV_ID in gym.registry
