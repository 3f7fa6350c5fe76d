"""Reference policies at their input boundary (issue 14) and from other pipelines (issue 12).

A NaN, inf or out-of-space observation is a PolicyError naming the key, for every policy (RAP and JM-MPRA used to
fail deep in the share allocation without naming the observation; Neurosurgeon, RAP-equal, accuracy-budget and IAO
acted on NaN silently). ``predict`` takes a batch ``(B, ...)`` and returns batched actions, so SB3's
``evaluate_policy`` and Gymnasium's vector envs run the reference policies as they are.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium
import numpy as np
import pytest

import rapgym  # noqa: F401 - registers the env
from rapgym.agents import PolicyContext, available_policies, make_policy
from rapgym.agents.base import BatchedAction
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError

POLICIES = available_policies()


@pytest.fixture(scope="module")
def env() -> MultiUserEndCloudEnv:
    env = MultiUserEndCloudEnv("default", num_users=3, episode_slots=20)
    env.reset(seed=1)
    return env


def observation(env: MultiUserEndCloudEnv, **changes: Any) -> dict[str, Any]:
    obs = env.unwrapped._observation()
    obs.update(changes)
    return obs


def with_value(env: MultiUserEndCloudEnv, key: str, value: float) -> dict[str, Any]:
    obs = observation(env)
    obs[key] = obs[key].copy()
    obs[key].flat[1 if obs[key].size > 1 else 0] = value
    return obs


BAD = {
    "NaN bandwidth": (lambda e: with_value(e, "bandwidth", np.nan), r"'bandwidth' holds NaN or inf \(first at index \[0, 1\]\)"),
    "+inf bandwidth": (lambda e: with_value(e, "bandwidth", np.inf), "'bandwidth' holds NaN or inf"),
    "bandwidth above the space": (lambda e: with_value(e, "bandwidth", 1e6), r"'bandwidth' is outside the observation space.*allowed \[0, 100000\]"),
    "negative queue": (lambda e: with_value(e, "queue", -1.0), "'queue' is outside the observation space"),
    "NaN profile": (lambda e: with_value(e, "profile", np.nan), "'profile' holds NaN"),
    "cut mask 2": (lambda e: with_value(e, "cut_mask", 2), "'cut_mask' is outside"),
    "inf cloud load": (lambda e: with_value(e, "cloud_load", np.inf), "'cloud_load' holds NaN or inf"),
    "missing key": (lambda e: {k: v for k, v in observation(e).items() if k != "queue"}, "missing key 'queue'"),
    "wrong shape": (lambda e: observation(e, queue=np.zeros((2, 3), np.float32)), r"'queue' has shape \(2, 3\); expected \(3, 3\)"),
    "mixed batch sizes": (lambda e: {k: np.stack([v, v]) if k == "bandwidth" else v for k, v in observation(e).items()},
                          "'queue' has batch size None, but 'bandwidth' has 2"),
    "not a dict": (lambda e: [1, 2], "observation must be a dict"),
    "strings": (lambda e: observation(e, cloud_load=np.array(["a"])), "'cloud_load' must hold numbers"),
}


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("case", BAD.keys())
def test_bad_observation_is_a_policy_error_naming_the_key(env: MultiUserEndCloudEnv, name: str, case: str) -> None:
    make, message = BAD[case]
    with pytest.raises(PolicyError, match=message):
        make_policy(name, env).predict(make(env))


@pytest.mark.parametrize("estimator", ["last", "ewma", "harmonic", "robust_mpc"])
def test_rap_and_jm_mpra_name_an_inf_bandwidth_with_every_estimator(env: MultiUserEndCloudEnv, estimator: str) -> None:
    for name in ("rap", "jm-mpra"):
        with pytest.raises(PolicyError, match="'bandwidth' holds NaN or inf"):
            make_policy(name, env, estimator=estimator).predict(with_value(env, "bandwidth", np.inf))


def test_a_context_without_observation_space_still_refuses_nan_and_negative_values(env: MultiUserEndCloudEnv) -> None:
    ctx = PolicyContext.from_config(env.config, env.action_space)
    policy = make_policy("rap", ctx)
    with pytest.raises(PolicyError, match="'bandwidth' holds NaN"):
        policy.predict(with_value(env, "bandwidth", np.nan))
    with pytest.raises(PolicyError, match=r"'queue' is outside.*allowed \[0, inf\]"):
        policy.predict(with_value(env, "queue", -1.0))
    action, _ = policy.predict(observation(env))
    assert env.action_space.contains(action)


@pytest.mark.parametrize("name", [p for p in POLICIES if p != "oracle"])
def test_a_batch_gives_the_action_of_each_observation(env: MultiUserEndCloudEnv, name: str) -> None:
    rng = np.random.default_rng(0)
    singles = []
    for _ in range(3):
        obs = observation(env)
        obs["bandwidth"] = rng.uniform(0, 40, obs["bandwidth"].shape).astype(np.float32)
        obs["queue"] = rng.uniform(0, 0.5, obs["queue"].shape).astype(np.float32)
        singles.append(obs)
    batch = {k: np.stack([o[k] for o in singles]) for k in singles[0]}
    expected = [make_policy(name, env).predict(o)[0] for o in singles] if name != "random" else None
    policy = make_policy(name, env)
    if name == "random":  # one generator, env after env: the same draws as three calls in a row
        twin = make_policy(name, env)
        expected = [twin.predict(o)[0] for o in singles]
    action, state = policy.predict(batch)
    assert isinstance(action, BatchedAction) and state is None
    for b in range(3):
        for key, value in expected[b].items():
            np.testing.assert_array_equal(action[key][b], value)
            np.testing.assert_array_equal(action[b][key], value)


def test_the_oracle_refuses_a_batch(env: MultiUserEndCloudEnv) -> None:
    obs = observation(env)
    with pytest.raises(PolicyError, match="oracle reads its own env's simulator.*batch of 2"):
        make_policy("oracle", env).predict({k: np.stack([v, v]) for k, v in obs.items()})


def test_sb3_evaluate_policy_runs_a_reference_policy_on_a_dummy_vec_env() -> None:
    """The episode returns of ``evaluate_policy`` on a 2-env ``DummyVecEnv`` equal two episodes run by hand."""
    vec_env_module = pytest.importorskip("stable_baselines3.common.vec_env", reason="SB3 is in the 'train' extra")
    from stable_baselines3.common.evaluation import evaluate_policy

    def make() -> MultiUserEndCloudEnv:
        return MultiUserEndCloudEnv("default", num_users=2, episode_slots=6)

    vec = vec_env_module.DummyVecEnv([make, make])
    vec.seed(5)
    policy = make_policy("rap", vec.envs[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not wrapped with a Monitor"
        returns, lengths = evaluate_policy(policy, vec, n_eval_episodes=2, return_episode_rewards=True)
    by_hand = []
    for seed in (5, 6):  # VecEnv.seed(5) seeds env i with 5 + i
        env = make()
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy.predict(obs)[0])
            total, done = total + reward, terminated or truncated
        by_hand.append(total)
    assert lengths == [6, 6]
    np.testing.assert_allclose(returns, by_hand, rtol=1e-6)


def test_gymnasium_make_vec_steps_with_batched_actions() -> None:
    vec = gymnasium.make_vec("rapgym/MultiUserEndCloud-v0", num_envs=2, vectorization_mode="sync", num_users=2,
                             episode_slots=4)
    policy = make_policy("jm-mpra", vec.envs[0])
    obs, _ = vec.reset(seed=0)
    for _ in range(4):
        action, _ = policy.predict(obs)
        assert vec.action_space.contains({k: np.asarray(v) for k, v in action.items()})
        obs, reward, terminated, truncated, _ = vec.step(action)
        assert np.all(np.isfinite(reward))
    assert truncated.all()
    vec.close()
