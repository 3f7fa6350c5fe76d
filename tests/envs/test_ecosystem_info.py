"""The env's info composes with other projects' episode recorders, and reports per-user outcomes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rapgym
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.step_info import EPISODE_KEY, USER_KEYS
from tests.helpers import toy_profile

SLOTS = 12


def _play(env: gym.Env, seed: int = 0) -> tuple[list[float], dict]:
    env.reset(seed=seed)
    env.action_space.seed(seed)
    rewards, done, info = [], False, {}
    while not done:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.append(float(reward))
        done = terminated or truncated
    return rewards, info


def test_record_episode_statistics_keeps_both_summaries():
    env = gym.wrappers.RecordEpisodeStatistics(gym.make(rapgym.ENV_ID, num_users=3, episode_slots=SLOTS))
    rewards, info = _play(env)
    assert info["episode"]["l"] == SLOTS
    assert info["episode"]["r"] == pytest.approx(sum(rewards), rel=1e-6)
    assert info[EPISODE_KEY]["return"] == pytest.approx(sum(rewards))
    assert info[EPISODE_KEY]["slots"] == SLOTS


@pytest.mark.parametrize("algo", ["raw", "ppo", "sac"])
def test_sb3_monitor_keeps_the_env_summary(algo):
    monitor = pytest.importorskip("stable_baselines3.common.monitor", reason="the train extra is not installed")
    from rapgym.learning.encodings import make_sb3_env

    inner = (MultiUserEndCloudEnv("default", num_users=3, episode_slots=SLOTS) if algo == "raw"
             else make_sb3_env(algo, "default", num_users=3, episode_slots=SLOTS))
    rewards, info = _play(monitor.Monitor(inner))
    assert info["episode"]["l"] == SLOTS
    assert info["episode"]["r"] == pytest.approx(sum(rewards), abs=1e-5)
    assert info[EPISODE_KEY]["return"] == pytest.approx(sum(rewards))


def test_sb3_vec_monitor_keeps_the_env_summary():
    pytest.importorskip("stable_baselines3", reason="the train extra is not installed")
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    from rapgym.learning.encodings import make_sb3_env

    venv = VecMonitor(DummyVecEnv([lambda: make_sb3_env("ppo", "default", num_users=2, episode_slots=SLOTS)] * 2))
    venv.seed(0)
    venv.reset()
    returns = np.zeros(2)
    for _ in range(SLOTS):
        actions = np.stack([venv.action_space.sample() for _ in range(2)])
        _, rewards, dones, infos = venv.step(actions)
        returns += rewards
    assert dones.all()
    for ret, info in zip(returns, infos, strict=True):
        assert info["episode"]["l"] == SLOTS
        assert info["episode"]["r"] == pytest.approx(ret, abs=1e-4)
        assert info[EPISODE_KEY]["return"] == pytest.approx(ret, abs=1e-4)


def test_per_user_outcomes_of_a_hand_computed_slot():
    # toy profile: device-only latency 0.2 s; deadline 0.1 s -> cost 0.2 / 0.1 + 0 + miss_penalty 1 = 3
    env = MultiUserEndCloudEnv("default", num_users=2, profiles=[toy_profile(), toy_profile()], deadline_s=[0.1],
                               device_factor=[1.0], latency_ref_s=0.1, acc_weight=0.1, miss_penalty=1.0, episode_slots=5)
    env.reset(seed=0, options={"arrivals": [np.array([0.0, 0.05]), np.array([])]})
    action = {"split": np.array([2, 0]), "bits": np.array([0, 0]), "compute_share": np.ones(2, dtype=np.float32)}
    _, reward, _, _, info = env.step(action)
    np.testing.assert_array_equal(info["user_tasks"], [2, 0])
    # the second task waits 0.15 s for the device (free at 0.2 s), then runs 0.2 s: latency 0.35 s, cost 4.5
    np.testing.assert_allclose(info["user_mean_latency_s"], [(0.2 + 0.35) / 2, 0.0])
    np.testing.assert_allclose(info["user_cost"], [(3.0 + 4.5) / 2, 0.0])
    np.testing.assert_array_equal(info["user_deadline_misses"], [2, 0])
    np.testing.assert_array_equal(info["user_dropped"], [0, 0])
    assert reward == pytest.approx(-3.75)


@pytest.mark.parametrize("scenario", ["unstable-lte", "shared-cell"])
def test_per_user_outcomes_add_up_to_the_slot_totals(scenario):
    env = MultiUserEndCloudEnv(scenario, episode_slots=60)
    env.reset(seed=3)
    env.action_space.seed(3)
    for _ in range(60):
        _, reward, _, _, info = env.step(env.action_space.sample())
        for key in USER_KEYS:
            assert info[key].shape == (env.num_users,) and np.isfinite(info[key]).all()
        tasks = info["user_tasks"]
        assert tasks.sum() == info["tasks"]
        assert info["user_dropped"].sum() == info["dropped"]
        assert info["user_deadline_misses"].sum() == info["deadline_misses"]
        completed = tasks - info["user_dropped"]
        assert (info["user_mean_latency_s"] * completed).sum() == pytest.approx(info["mean_latency_s"] * info["completed"])
        if tasks.sum():
            assert -(info["user_cost"] * tasks).sum() / tasks.sum() == pytest.approx(reward)
    assert info[EPISODE_KEY]["slots"] == 60
