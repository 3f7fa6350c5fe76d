"""TorchRL's ``GymEnv`` (by id, with scenario keywords) and ``GymWrapper`` (around ``gym.make``) take the env as it is."""

from __future__ import annotations

import gymnasium as gym
import pytest

import rapgym

pytest.importorskip("torchrl", reason="needs the torchrl extra")
from torchrl.envs import GymEnv, GymWrapper  # noqa: E402
from torchrl.envs.utils import check_env_specs  # noqa: E402

TINY = {"num_users": 2, "episode_slots": 5}


def test_gym_env_by_id_drops_its_frameskip_probe_and_truncates_with_the_episode():
    env = GymEnv(rapgym.ENV_ID, scenario="unstable-lte", **TINY)  # TorchRL first tries frameskip=, then retries without
    assert env._env.unwrapped.config.name == "unstable-lte"
    check_env_specs(env)
    rollout = env.rollout(10)  # stops at the truncation after episode_slots steps
    assert rollout.batch_size[0] == TINY["episode_slots"]
    assert rollout["next", "truncated"][-1].item() and not rollout["next", "terminated"].any()
    assert tuple(rollout["cut_mask"].shape[1:]) == (2, env._env.unwrapped.sim.cut_mask.shape[1])


def test_gym_wrapper_around_gym_make_passes_torchrl_spec_check():
    env = GymWrapper(gym.make(rapgym.ENV_ID, **TINY))
    check_env_specs(env)
    rollout = env.rollout(3)
    assert rollout["next", "reward"].shape == (3, 1) and (rollout["next", "reward"] <= 0).all()


def test_learner_ready_id_gives_flat_tensors():
    env = GymEnv(rapgym.FLAT_ENV_ID, **TINY)
    check_env_specs(env)
    rollout = env.rollout(2)
    flat_size = gym.make(rapgym.FLAT_ENV_ID, **TINY).observation_space.shape[0]
    assert rollout["observation"].shape == (2, flat_size)
