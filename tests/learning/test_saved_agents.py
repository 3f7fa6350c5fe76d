"""Saved agents as policy specs of the evaluation: the resolver learning registers, and bad specs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from gymnasium import spaces

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.evaluation.runner import resolve_policy
from rapgym.learning.run_folder import RunFolder
from rapgym.learning.saved_agents import SB3Agent, register_saved_agents, saved_agent_resolver


def test_resolver_leaves_other_specs_to_the_other_resolvers():
    assert saved_agent_resolver("jm-mpra") is None


def test_missing_saved_agents_and_run_configs_are_policy_errors(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        saved_agent_resolver(str(tmp_path / "nowhere.zip"))
    orphan = tmp_path / "a" / "b" / "model.zip"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"")
    with pytest.raises(PolicyError, match="config.yml"):
        saved_agent_resolver(str(orphan))


def test_registration_makes_zip_specs_resolvable_once(tmp_path):
    register_saved_agents()
    register_saved_agents()
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    run.write_config({"algo": "ppo"})
    run.model.write_bytes(b"")
    assert callable(resolve_policy(str(run.model)))
    with pytest.raises(PolicyError, match="not found"):
        resolve_policy(str(tmp_path / "missing.zip"))


def test_an_agent_trained_on_another_scenario_size_is_refused_naming_the_shapes():
    model = SimpleNamespace(observation_space=spaces.Box(-1, 1, (3,), np.float32))
    with pytest.raises(PolicyError, match=r"shape \(3,\)"):
        SB3Agent(model, "ppo", MultiUserEndCloudEnv("default", num_users=2))
