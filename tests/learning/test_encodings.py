"""The action encodings table and the one SB3 env factory: SB3's ``check_env`` on every SB3-facing env, decoding."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from stable_baselines3.common.env_checker import check_env

from rapgym.configs.hyperparams import ALGOS, DEFAULT_SHARE_LEVELS
from rapgym.configs.scenario import available_scenarios
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.wrappers import BoxAction, FlatMultiDiscreteAction
from rapgym.errors import ActionError, HyperparamsError
from rapgym.learning.encodings import ENCODINGS, encoding, make_sb3_env, share_levels_of
from rapgym.learning.hybrid import HybridAction


def test_one_encoding_per_algorithm():
    assert set(ENCODINGS) == set(ALGOS)
    assert {algo: enc.wrapper for algo, enc in ENCODINGS.items()} == {
        "ppo": FlatMultiDiscreteAction, "sac": BoxAction, "hybrid": HybridAction}


def test_unknown_algo_is_a_hyperparams_error_listing_the_encodings():
    with pytest.raises(HyperparamsError, match="'dqn' unknown; allowed: ppo, sac, hybrid"):
        encoding("dqn")
    with pytest.raises(HyperparamsError, match="'dqn'"):
        make_sb3_env("dqn")


@pytest.mark.parametrize("scenario", available_scenarios())
@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_sb3_check_env_on_the_flat_envs_without_warnings(scenario, algo):
    env = make_sb3_env(algo, scenario, num_users=3, episode_slots=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, warn=True)


@pytest.mark.parametrize("scenario", ["default", "shared-cell"])
def test_hybrid_env_passes_sb3_check_env_without_warnings(scenario):
    env = make_sb3_env("hybrid", scenario, num_users=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env)


@pytest.mark.parametrize("algo", ALGOS)
def test_flat_actions_decode_into_the_dict_action_space(algo):
    env = make_sb3_env(algo, "shared-cell", num_users=4)
    env.reset(seed=0)
    env.action_space.seed(0)
    action_wrapper = env if algo != "hybrid" else env.env  # the hybrid's wrapper sits under the flattener
    for _ in range(50):
        assert env.unwrapped.action_space.contains(action_wrapper.action(env.action_space.sample()))


@pytest.mark.parametrize("algo", ALGOS)
def test_the_table_decodes_like_the_training_env(algo):
    """``ActionEncoding.decode`` on a raw env (what a saved agent does) equals the training env's wrapper."""
    trained = make_sb3_env(algo, "shared-cell", num_users=3, episode_slots=8)
    raw = MultiUserEndCloudEnv("shared-cell", num_users=3, episode_slots=8)
    decoder = encoding(algo).build(raw)
    trained.reset(seed=1)
    obs, _ = raw.reset(seed=1)
    trained.action_space.seed(1)
    training_wrapper = trained if algo != "hybrid" else trained.env
    for _ in range(8):
        flat = trained.action_space.sample()
        expected = training_wrapper.action(flat)
        decoded = encoding(algo).decode(decoder, flat, obs)
        for key in expected:
            np.testing.assert_array_equal(decoded[key], expected[key])
        trained.step(flat)
        obs, *_ = raw.step(decoded)


def test_share_levels_are_read_from_ppo_hyperparameters_only():
    assert share_levels_of({"share_levels": 3}) == 3
    assert share_levels_of({}) == DEFAULT_SHARE_LEVELS
    env = make_sb3_env("ppo", num_users=2, share_levels=3)
    assert env.action_space.nvec[-1] == 3


def test_bad_share_levels_and_flat_action_shapes_are_named():
    with pytest.raises(HyperparamsError, match="'share_levels'"):
        make_sb3_env("ppo", num_users=2, share_levels=0)
    for algo in ALGOS:
        env = make_sb3_env(algo, num_users=2)
        env.reset(seed=0)
        wrapper = env if algo != "hybrid" else env.env
        with pytest.raises(ActionError, match="shape"):
            wrapper.action(np.zeros(1))
