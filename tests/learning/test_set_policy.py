"""The set network (:mod:`rapgym.learning.set_policy`): per-user slots, permutation equivariance, N-independence,
zero-shot loading at another number of users, and its bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3.common.env_checker import check_env

from rapgym.configs.hyperparams import load_hyperparams
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.wrappers import NormalizedFlatObservation
from rapgym.errors import HyperparamsError, PolicyError
from rapgym.learning.encodings import make_sb3_env
from rapgym.learning.models import build_model
from rapgym.learning.run_folder import RunFolder
from rapgym.learning.saved_agents import load_agent
from rapgym.learning.set_policy import SetActorCriticPolicy, SetSACPolicy
from rapgym.learning.train import train
from rapgym.learning.vec_env import NativeVecEnv

SET = {"policy_kwargs": {"network": "set", "net_arch": [32], "embed_dim": 16}, "normalize_obs": False}
PER_USER_KEYS = ("bandwidth", "queue", "profile", "cut_mask")


def _model(algo: str, num_users: int, **env_kwargs):
    hp = load_hyperparams(algo, "default", {**SET, "env_kwargs": {"num_users": num_users, **env_kwargs}})
    venv = NativeVecEnv(algo, "default", 1, num_users=num_users, **env_kwargs) if algo != "hybrid" else None
    if venv is None:
        from stable_baselines3.common.vec_env import DummyVecEnv

        venv = DummyVecEnv([lambda: make_sb3_env(algo, "default", num_users=num_users, **env_kwargs)])
    return build_model(algo, hp, venv, 0, "cpu", Path("unused"))


def _dict_obs(num_users: int, seed: int = 0) -> tuple[dict[str, np.ndarray], NormalizedFlatObservation]:
    env = MultiUserEndCloudEnv("default", num_users=num_users)
    obs, _ = env.reset(seed=seed)
    for _ in range(3):  # queues and bandwidth history that differ between users
        obs, *_ = env.step(env.action_space.sample())
    return obs, NormalizedFlatObservation(env)


def _sub_logits(model, flat: np.ndarray) -> list[torch.Tensor]:
    """Logits of every ``Categorical`` of the flat action (entry ``f * N + i``: field ``f`` of user ``i``)."""
    with torch.no_grad():
        dist = model.policy.get_distribution(torch.as_tensor(flat[None, :]))
    return [d.logits[0] for d in dist.distribution]


def _value(model, flat: np.ndarray) -> float:
    with torch.no_grad():
        return float(model.policy.predict_values(torch.as_tensor(flat[None, :]))[0, 0])


@pytest.mark.parametrize("algo", ["ppo", "hybrid"])
def test_a_users_features_move_only_that_users_action_slots(algo):
    n, j = 8, 5
    model = _model(algo, n)
    obs, flatten = _dict_obs(n)
    same = {key: np.repeat(obs[key][:1], n, axis=0) if key in PER_USER_KEYS else obs[key] for key in obs}
    base = _sub_logits(model, flatten.observation(same))
    fields = len(base) // n
    for f in range(fields):  # identical users: identical slots
        for i in range(1, n):
            assert torch.allclose(base[f * n + i], base[f * n], atol=1e-6)
    changed = {key: value.copy() for key, value in same.items()}
    changed["bandwidth"][j] *= 5.0
    changed["queue"][j] = [0.4, 0.3, 0.2]
    logits = _sub_logits(model, flatten.observation(changed))
    others = [i for i in range(n) if i != j]
    for f in range(fields):  # the other users still agree with each other (they see the same pooled context) ...
        for i in others[1:]:
            assert torch.allclose(logits[f * n + i], logits[f * n + others[0]], atol=1e-6)
    # ... and user j's slots, in every field, are the ones that differ from theirs
    assert all(not torch.allclose(logits[f * n + j], logits[f * n + others[0]], atol=1e-6) for f in range(fields))


def test_permuting_users_permutes_logits_and_actions_and_keeps_the_value():
    n = 8
    model = _model("ppo", n)
    obs, flatten = _dict_obs(n, seed=3)
    perm = np.array([3, 0, 7, 1, 6, 2, 5, 4])
    permuted = {key: value[perm] if key in PER_USER_KEYS else value for key, value in obs.items()}
    flat, flat_perm = flatten.observation(obs), flatten.observation(permuted)
    logits, logits_perm = _sub_logits(model, flat), _sub_logits(model, flat_perm)
    fields = len(logits) // n
    for f in range(fields):
        for i in range(n):
            assert torch.allclose(logits_perm[f * n + i], logits[f * n + perm[i]], atol=1e-5)
    action, _ = model.predict(flat, deterministic=True)
    action_perm, _ = model.predict(flat_perm, deterministic=True)
    np.testing.assert_array_equal(action_perm.reshape(fields, n), action.reshape(fields, n)[:, perm])
    assert _value(model, flat_perm) == pytest.approx(_value(model, flat), abs=1e-5)


def test_padded_cuts_get_no_probability():
    model = _model("ppo", 4)
    obs, flatten = _dict_obs(4)
    logits = _sub_logits(model, flatten.observation(obs))
    for i in range(4):  # field 0 is the split; cuts above the user's device-only cut are padding
        probs = torch.softmax(logits[i], dim=0).numpy()
        valid = obs["cut_mask"][i].astype(bool)
        assert probs[~valid].sum() == 0.0 and probs[valid].sum() == pytest.approx(1.0)
        assert (~valid).any() or i % 2  # the mixed preset pads the smaller models


def test_sac_actor_permutes_with_the_users_and_its_critics_do_not_see_the_order():
    n = 8
    model = _model("sac", n)
    obs, flatten = _dict_obs(n, seed=4)
    perm = np.array([7, 6, 5, 4, 0, 1, 2, 3])
    permuted = {key: value[perm] if key in PER_USER_KEYS else value for key, value in obs.items()}
    flat, flat_perm = flatten.observation(obs), flatten.observation(permuted)
    action, _ = model.predict(flat, deterministic=True)
    action_perm, _ = model.predict(flat_perm, deterministic=True)
    fields = action.size // n
    np.testing.assert_allclose(action_perm.reshape(fields, n), action.reshape(fields, n)[:, perm], atol=1e-5)
    with torch.no_grad():
        q = model.policy.critic(torch.as_tensor(flat[None]), torch.as_tensor(action[None]))
        q_perm = model.policy.critic(torch.as_tensor(flat_perm[None]), torch.as_tensor(action_perm[None]))
        joint = np.zeros((fields, n), np.float32)
        joint[:, 0], joint[:, 1] = 0.9, -0.9
        swapped = joint[:, [1, 0, *range(2, n)]]  # user 0's entries given to user 1: another joint action
        q_joint, q_swapped = (model.policy.critic(torch.as_tensor(flat[None]), torch.as_tensor(a.reshape(1, -1)))[0]
                              for a in (joint, swapped))
    assert len(q) == 2 and all(torch.allclose(a, b, atol=1e-5) for a, b in zip(q, q_perm, strict=True))
    assert abs(float(q_joint - q_swapped)) > 1e-4


@pytest.mark.parametrize("algo", ["ppo", "hybrid", "sac"])
def test_parameter_count_does_not_depend_on_the_number_of_users(algo):
    counts = {n: sum(p.numel() for p in _model(algo, n).policy.parameters()) for n in (4, 8, 16)}
    assert len(set(counts.values())) == 1, counts
    assert isinstance(_model(algo, 4).policy, SetSACPolicy if algo == "sac" else SetActorCriticPolicy)


@pytest.mark.parametrize("algo", ["ppo", "hybrid", "sac"])
def test_trained_at_8_users_loads_and_acts_at_4_and_16(algo, tmp_path):
    tiny = {"ppo": {"n_envs": 2, "n_steps": 64, "n_epochs": 1}, "sac": {"learning_starts": 64, "train_freq": 8},
            "hybrid": {"n_envs": 1, "n_steps": 128, "n_epochs": 1, "pretrain_teacher": None}}
    overrides = {**SET, **tiny[algo], "batch_size": 64, "eval_freq": 10**6, "eval_episodes": 1,
                 "checkpoint_freq": 10**6, "env_kwargs": {"episode_slots": 32}}
    run = RunFolder(train(algo, "default", 256, seed=1, overrides=overrides, out=tmp_path, progress_bar=False,
                          run_name=algo))
    for n in (4, 16, 3):  # N = 3: the largest model has fewer cuts (Kmax + 1 = 21 < 23), padded
        env = MultiUserEndCloudEnv("default", num_users=n, episode_slots=8)
        agent = load_agent(run.model, env)
        obs, _ = env.reset(seed=0)
        for _ in range(4):
            action, _ = agent.predict(obs)
            assert env.action_space.contains(action) and action["split"].shape == (n,)
            if algo != "sac":  # a Box entry decodes to padded cuts too (the env runs them device-only)
                assert np.all(action["split"] < obs["cut_mask"].sum(axis=1))  # never a padded cut
            obs, *_ = env.step(action)
    with pytest.raises(PolicyError, match=r"bits \[32, 16, 8, 4, 2\].*bits \[32, 8, 4\]"):
        load_agent(run.model, MultiUserEndCloudEnv("default", bits=[32, 8, 4]))
    with pytest.raises(PolicyError, match="history 8.*history 4"):
        load_agent(run.model, MultiUserEndCloudEnv("default", history=4))
    # without the run's config (an agent saved elsewhere) the network itself names both layouts
    with pytest.raises(PolicyError, match="F = 8 profile columns.*N = 8 users"):
        load_agent(run.model, MultiUserEndCloudEnv("default", bits=[32, 8, 4]), algo=algo)


def test_a_network_built_for_fewer_cuts_refuses_a_larger_model(tmp_path):
    model = _model("ppo", 1)  # resnet18 only: 13 cuts
    model.save(tmp_path / "one.zip")
    with pytest.raises(PolicyError, match="max_cuts = 13"):
        load_agent(tmp_path / "one.zip", MultiUserEndCloudEnv("default", num_users=2), algo="ppo")


def test_the_env_still_passes_sb3_check_env():
    check_env(make_sb3_env("ppo", "default", num_users=4), warn=False)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"policy_kwargs": {"network": "attention"}}, "'policy_kwargs.network'.*'mlp' or 'set'"),
    ({"policy_kwargs": {"network": "set"}, "normalize_obs": True}, "'policy_kwargs.network' set needs key 'normalize_obs' false"),
    ({"policy_kwargs": {"network": "set", "pooling": "sum"}, "normalize_obs": False}, "'policy_kwargs.pooling'"),
])
def test_bad_network_settings_are_hyperparams_errors(overrides, message):
    with pytest.raises(HyperparamsError, match=message):
        load_hyperparams("ppo", "default", overrides)


def test_max_cuts_below_the_scenarios_cuts_is_a_hyperparams_error():
    hp = load_hyperparams("ppo", "default", {**SET, "policy_kwargs": {**SET["policy_kwargs"], "max_cuts": 20}})
    with pytest.raises(HyperparamsError, match="'policy_kwargs.max_cuts' is 20.*up to 23"):
        build_model("ppo", hp, NativeVecEnv("ppo", "default", 1), 0, "cpu", Path("unused"))
