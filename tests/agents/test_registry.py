"""``make_policy``: every policy's actions stay in the space; names, options and observations are checked (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapgym.agents import available_policies, make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.traces.trace import BandwidthTrace
from tests.agents.random_cases import random_env, random_obs
from tests.helpers import random_profile

OBS_POLICIES = [p for p in available_policies() if p != "oracle"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.0, 1e-6, 1.0, 1e3, 1e9]))
def test_no_policy_emits_an_action_outside_the_space(seed, scale):
    rng = np.random.default_rng(seed)
    env = random_env(rng, max_users=5)
    obs = random_obs(rng, env)
    for key in ("bandwidth", "queue"):  # scaled to the edges of the observation space
        obs[key] = np.minimum(obs[key] * scale, env.observation_space[key].high).astype(np.float32)
    for name in OBS_POLICIES:
        action, state = make_policy(name, env).predict(obs)
        assert state is None
        assert env.action_space.contains(action), (name, action)


def test_every_policy_steps_a_shared_cell_env():
    rng = np.random.default_rng(9)
    profiles = [random_profile(rng, 3) for _ in range(3)]
    env = MultiUserEndCloudEnv("default", num_users=3, profiles=profiles, shared_uplink=True, bits=[32, 8], episode_slots=5)
    trace = BandwidthTrace.from_samples(rng.uniform(0, 30, 50), 0.1)
    for name in available_policies():
        obs, _ = env.reset(seed=0, options={"traces": [trace]})
        pol = make_policy(name, env)
        for _ in range(5):
            action, _ = pol.predict(obs)
            assert env.action_space.contains(action), name
            obs, *_ = env.step(action)


def test_unknown_policy_lists_the_allowed_ones():
    env = random_env(np.random.default_rng(0))
    with pytest.raises(PolicyError, match="unknown policy 'rapp'.*allowed: rap, rap-equal, jm-mpra"):
        make_policy("rapp", env)


def test_unknown_option_is_named_with_the_allowed_ones():
    env = random_env(np.random.default_rng(0))
    with pytest.raises(PolicyError, match=r"unknown option\(s\) \['b0'\]; allowed: .*b0_mbps"):
        make_policy("rap", env, b0=3.0)
    with pytest.raises(PolicyError, match="unknown option"):
        make_policy("rap-equal", env, shares="closed-form")
    with pytest.raises(PolicyError, match="none"):
        make_policy("device-only", env, seed=1)


@pytest.mark.parametrize(("name", "options", "match"), [
    ("rap", {"b0_mbps": -1.0}, "b0_mbps"), ("rap", {"estimator": "oracle"}, "estimator 'oracle' unknown"),
    ("rap", {"omega_form": "cubic"}, "omega_form"), ("rap", {"estimator_options": {"beta": 1}}, "beta"),
    ("jm-mpra", {"max_rounds": 0}, "max_rounds"), ("accuracy-budget", {"budget_pp": -1}, "budget_pp"),
    ("iao", {"iterations": 0}, "iterations"),
])
def test_bad_option_values(name, options, match):
    env = random_env(np.random.default_rng(0))
    with pytest.raises(PolicyError, match=match):
        make_policy(name, env, **options)


@pytest.mark.parametrize("name", ["rap", "jm-mpra", "neurosurgeon", "accuracy-budget", "iao"])
def test_a_profile_without_legal_cuts_is_refused(name):
    rng = np.random.default_rng(0)
    env = random_env(rng)
    obs = random_obs(rng, env)
    mask = obs["cut_mask"].copy()
    mask[0] = 0
    obs["cut_mask"] = mask
    with pytest.raises(PolicyError, match=r"user\(s\) \[0\] have no legal cut"):
        make_policy(name, env).predict(obs)
