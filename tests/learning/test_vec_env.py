"""The SB3 VecEnv over the native vector env: encodings equal the per-env wrappers', SB3's PPO learns on it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3", reason="the train extra is not installed")
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.env_checker import check_env  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv  # noqa: E402

from rapgym.errors import HyperparamsError  # noqa: E402
from rapgym.learning.encodings import make_sb3_env  # noqa: E402
from rapgym.learning.vec_env import NativeVecEnv  # noqa: E402

SMALL = {"num_users": 2, "episode_slots": 5}


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_steps_equal_a_dummy_vec_env_of_the_wrapped_envs(algo):
    native = NativeVecEnv(algo, "default", n_envs=3, **SMALL)
    dummy = DummyVecEnv([lambda: make_sb3_env(algo, "default", **SMALL) for _ in range(3)])
    assert native.observation_space == dummy.observation_space and native.action_space == dummy.action_space
    native.seed(5)
    dummy.seed(5)
    np.testing.assert_array_equal(native.reset(), dummy.reset())
    native.action_space.seed(0)
    for _ in range(12):  # two episode ends per copy
        actions = np.stack([native.action_space.sample() for _ in range(3)])
        obs, rewards, dones, infos = native.step(actions)
        obs_d, rewards_d, dones_d, infos_d = dummy.step(actions)
        np.testing.assert_array_equal(obs, obs_d)
        np.testing.assert_array_equal(rewards, rewards_d)
        np.testing.assert_array_equal(dones, dones_d)
        for info, info_d in zip(infos, infos_d, strict=True):
            assert info.keys() == info_d.keys()
            for key in ("tasks", "mean_latency_s", "TimeLimit.truncated"):
                assert info[key] == info_d[key]
            if "terminal_observation" in info:
                np.testing.assert_array_equal(info["terminal_observation"], info_d["terminal_observation"])


def test_ppo_learns_on_it():
    venv = NativeVecEnv("ppo", "default", n_envs=4, **SMALL)
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(256)
    assert model.num_timesteps == 256


def test_hybrid_is_refused():
    with pytest.raises(HyperparamsError, match="'hybrid'"):
        NativeVecEnv("hybrid", "default", n_envs=2, **SMALL)


def test_the_wrapped_single_env_passes_sb3s_checker():
    check_env(make_sb3_env("ppo", "default", **SMALL))
