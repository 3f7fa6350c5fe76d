"""Hyperparameters of the learned agents: YAML entries merged, overrides parsed, every bad key named."""

from __future__ import annotations

import pytest

from rapgym.configs.hyperparams import ALGOS, load_hyperparams
from rapgym.configs.overrides import parse_overrides
from rapgym.errors import HyperparamsError


@pytest.mark.parametrize("algo", ALGOS)
def test_packaged_files_validate(algo):
    assert load_hyperparams(algo, "default").n_envs >= 1


PACKAGED_NETWORK = {"ppo": "set", "hybrid": "mlp", "sac": "set"}
"""PPO and SAC learn from scratch on the set network (benchmarks/learning.md); the hybrid's warm start keeps the MLP."""


@pytest.mark.parametrize("algo", ALGOS)
def test_packaged_network_and_the_other_one_is_one_override_away(algo):
    packaged = load_hyperparams(algo, "default")
    assert packaged.policy_kwargs.network == PACKAGED_NETWORK[algo]
    assert packaged.normalize_obs == (PACKAGED_NETWORK[algo] == "mlp")  # the set network reads raw observations
    other = {"set": ["policy_kwargs.network=mlp", "normalize_obs=true"],
             "mlp": ["policy_kwargs.network=set", "normalize_obs=false"]}[PACKAGED_NETWORK[algo]]
    hp = load_hyperparams(algo, "default", parse_overrides(other))
    assert hp.policy_kwargs.network != packaged.policy_kwargs.network
    assert hp.policy_kwargs.net_arch == packaged.policy_kwargs.net_arch


@pytest.mark.parametrize(("overrides", "key"), [({"lerning_rate": 1e-3}, "lerning_rate"), ({"n_steps": 0}, "n_steps"),
                                                ({"policy_kwargs": {"net_arch": []}}, "policy_kwargs.net_arch"),
                                                ({"vec_env": "threads"}, "vec_env")])
def test_bad_hyperparameters_fail_with_a_message_naming_the_key(overrides, key):
    with pytest.raises(HyperparamsError, match=f"'{key}'"):
        load_hyperparams("ppo", "default", overrides)


def test_share_levels_belong_to_ppo_only():
    assert load_hyperparams("ppo", "default", {"share_levels": 3}).share_levels == 3
    with pytest.raises(HyperparamsError, match="unknown key 'share_levels'"):
        load_hyperparams("hybrid", "default", {"share_levels": 3})


def test_warm_start_with_reward_normalisation_is_refused_naming_the_keys():
    with pytest.raises(HyperparamsError, match="'pretrain_teacher' needs key 'normalize_reward' false"):
        load_hyperparams("hybrid", "default", {"normalize_reward": True})


def test_a_bad_key_in_a_yaml_file_is_named():
    with pytest.raises(HyperparamsError, match="unknown key 'gama'"):
        load_hyperparams("sac", "unstable-lte", entries={"default": {"gamma": 0.9}, "unstable-lte": {"gama": 0.9}})


def test_unknown_algo_is_named():
    with pytest.raises(HyperparamsError, match="algo 'dqn' unknown; allowed: ppo, sac, hybrid"):
        load_hyperparams("dqn", "default")


def test_scenario_entry_merges_over_default_and_overrides_parse_as_yaml():
    entries = {"default": {"n_envs": 2, "env_kwargs": {"num_users": 4}}, "stable-wifi": {"env_kwargs": {"episode_slots": 9}}}
    hp = load_hyperparams("hybrid", "stable-wifi", parse_overrides(["learning_rate=1e-3", "policy_kwargs.net_arch=[8,8]"]),
                          entries=entries)
    assert hp.n_envs == 2 and hp.env_kwargs == {"num_users": 4, "episode_slots": 9}
    assert hp.learning_rate == 1e-3 and hp.policy_kwargs.net_arch == [8, 8]
