"""Registered ids and their specs as other projects use them: learner-ready ids, spec kwargs, JSON, keywords."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec

import rapgym
from rapgym.configs.scenario import load_scenario
from rapgym.errors import ScenarioError, UnknownFieldError


def test_every_id_registers_the_default_scenario_and_no_step_limit():
    for env_id in (rapgym.ENV_ID, rapgym.FLAT_ENV_ID, rapgym.BOX_ENV_ID):
        spec = gym.spec(env_id)
        assert spec.kwargs == {"scenario": "default"}
        assert spec.max_episode_steps is None  # the env truncates itself at episode_slots
    env = gym.make(rapgym.ENV_ID, episode_slots=7)
    env.reset(seed=0)
    truncated = [env.step(env.action_space.sample())[3] for _ in range(7)]
    assert truncated == [False] * 6 + [True]


@pytest.mark.parametrize("env_id", [rapgym.ENV_ID, rapgym.FLAT_ENV_ID, rapgym.BOX_ENV_ID])
def test_a_scenario_config_keeps_the_spec_serialisable_and_rebuildable(env_id):
    config = load_scenario("shared-cell", num_users=3)
    env = gym.make(env_id, scenario=config, episode_slots=9)
    text = env.spec.to_json()
    again = gym.make(EnvSpec.from_json(text))
    assert again.unwrapped.config == env.unwrapped.config
    assert again.unwrapped.config.num_users == 3 and again.unwrapped.config.episode_slots == 9


@pytest.mark.parametrize(("env_id", "action_type"), [(rapgym.FLAT_ENV_ID, gym.spaces.MultiDiscrete),
                                                      (rapgym.BOX_ENV_ID, gym.spaces.Box)])
@pytest.mark.parametrize("scenario", ["default", "shared-cell"])
def test_learner_ready_ids_pass_sb3_check_env(env_id, action_type, scenario):
    env_checker = pytest.importorskip("stable_baselines3.common.env_checker", reason="the train extra is not installed")
    env = gym.make(env_id, scenario=scenario, num_users=3, episode_slots=20)
    assert isinstance(env.observation_space, gym.spaces.Box) and isinstance(env.action_space, action_type)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env_checker.check_env(env, warn=True)


def test_flat_id_matches_the_ppo_training_env():
    pytest.importorskip("stable_baselines3", reason="the train extra is not installed")
    from rapgym.learning.encodings import make_sb3_env

    registered = gym.make(rapgym.FLAT_ENV_ID, num_users=3)
    training = make_sb3_env("ppo", "default", num_users=3)
    assert registered.observation_space == training.observation_space
    assert registered.action_space == training.action_space
    a, _ = registered.reset(seed=4)
    b, _ = training.reset(seed=4)
    np.testing.assert_array_equal(a, b)
    action = training.action_space.sample()
    np.testing.assert_array_equal(registered.step(action)[0], training.step(action)[0])


def test_compact_option_and_filter_observation_recipe_leave_the_constant_blocks_out():
    n, h = 4, 8
    compact = gym.make(rapgym.FLAT_ENV_ID, num_users=n, compact=True)
    assert compact.observation_space.shape == (n * (h + 3) + 1,)
    # the documented recipe for the Dict env
    env = gym.wrappers.FlattenObservation(
        gym.wrappers.FilterObservation(gym.make(rapgym.ENV_ID, num_users=n), ["bandwidth", "queue", "cloud_load"]))
    assert env.observation_space.shape == (n * (h + 3) + 1,)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    obs = env.step(env.action_space.sample())[0]
    assert env.observation_space.contains(obs) and obs.dtype == np.float32


def test_an_unknown_keyword_is_a_scenario_error_and_a_type_error():
    with pytest.raises(UnknownFieldError, match="unknown field 'frameskip'.*unexpected keyword argument") as err:
        gym.make(rapgym.ENV_ID, frameskip=4)
    assert isinstance(err.value, TypeError) and isinstance(err.value, ScenarioError)
    with pytest.raises(TypeError, match="allowed fields: name, description, num_users"):
        load_scenario({"num_users": 2, "colour": "red"})
    with pytest.raises(ScenarioError) as err:  # a known field with a bad value is not a TypeError
        load_scenario("default", num_users=0)
    assert not isinstance(err.value, TypeError)


def test_cut_mask_is_an_int8_box():
    space = gym.make(rapgym.ENV_ID, num_users=3).observation_space["cut_mask"]
    assert isinstance(space, gym.spaces.Box) and space.dtype == np.int8
    assert space.low.min() == 0 and space.high.max() == 1
