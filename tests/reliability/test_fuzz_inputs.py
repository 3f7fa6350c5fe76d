"""Property suite, part 1 (issue 14): random scenario overrides, actions and reset options.

Invariant: every outcome is a clean run (observations inside ``observation_space``, finite rewards and infos) or
a RapgymError whose message names the field, key or option at fault; a rejected action changes nothing.
The example budget is fixed (``derandomize=True``: the same examples on every run).
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ActionError, RapgymError
from tests.reliability.outcome import assert_clean_observation, assert_clean_rollout
from tests.reliability.strategies import actions, reset_options, scenario_overrides

SCENARIO_EXAMPLES = 300
ACTION_EXAMPLES = 400
RESET_EXAMPLES = 200

BUDGET = {"deadline": None, "derandomize": True, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=SCENARIO_EXAMPLES, **BUDGET)
@given(overrides=scenario_overrides())
def test_any_scenario_override_runs_cleanly_or_names_the_field(overrides: dict[str, Any]) -> None:
    try:
        env = MultiUserEndCloudEnv("default", **overrides)
    except RapgymError as exc:
        event(f"refused: {type(exc).__name__}")
        assert any(f"'{key}'" in str(exc) for key in overrides), (overrides, str(exc))
        return
    event("accepted: clean run")
    assert_clean_rollout(env, steps=env.config.episode_slots)


@pytest.fixture(scope="module")
def envs() -> dict[bool, MultiUserEndCloudEnv]:
    return {shared: MultiUserEndCloudEnv("default", num_users=3, episode_slots=50, shared_uplink=shared)
            for shared in (False, True)}


@settings(max_examples=ACTION_EXAMPLES, **BUDGET)
@given(data=st.data(), shared=st.booleans(), seed=st.integers(0, 3))
def test_any_action_steps_cleanly_or_is_an_action_error_that_changes_nothing(
        envs: dict[bool, MultiUserEndCloudEnv], data: st.DataObject, shared: bool, seed: int) -> None:
    env = envs[shared]
    env.reset(seed=seed)
    env.action_space.seed(seed)
    env.step(env.action_space.sample())
    space = env.action_space
    action = data.draw(actions(env.num_users, int(space["split"].nvec[0]), int(space["bits"].nvec[0])))
    before = pickle.dumps(env)
    try:
        obs, reward, *_ = env.step(action)
    except ActionError as exc:
        event("refused: ActionError")
        assert any(f"'{key}'" in str(exc) for key in action) or str(exc).startswith("action "), str(exc)
        assert pickle.dumps(env) == before, "a rejected action changed the env"
        return
    event("accepted: clean step")
    assert_clean_observation(env, obs)
    assert np.isfinite(reward)


@settings(max_examples=RESET_EXAMPLES, **BUDGET)
@given(data=st.data(), shared=st.booleans())
def test_any_reset_options_run_cleanly_or_name_the_option(data: st.DataObject, shared: bool) -> None:
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=5, shared_uplink=shared)
    options = data.draw(reset_options(env.sim.num_links if not shared else 1))
    try:
        obs, _ = env.reset(seed=0, options=options)
    except RapgymError as exc:
        event(f"refused: {type(exc).__name__}")
        assert any(word in str(exc) for word in ("reset option", "'traces'", "'arrivals'")), str(exc)
        return
    event("accepted: clean run")
    assert_clean_observation(env, obs)
    assert_clean_rollout(env, steps=5, options=options)
