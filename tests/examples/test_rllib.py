"""Ray RLlib: one training iteration of each example with tiny settings, the episode-summary callback, bad env configs.

Ray pins gymnasium 1.2.2, so these tests run in their own venv (``.venv-rllib``, made by ``.ci/run``); in the
main venv they skip.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest

from rapgym.errors import ScenarioError, UnknownFieldError

pytest.importorskip("ray.rllib", reason="needs the rllib extra, in its own venv (.venv-rllib: Ray pins gymnasium 1.2.2)")
from rapgym.envs.step_info import EPISODE_KEY  # noqa: E402
from rapgym.integrations.rllib import env_config, episode_summary_of, runner_env_id  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TINY = ["--num-users", "2", "--episode-slots", "20", "--iterations", "1", "--batch-size", "200", "--epochs", "1",
        "--hidden", "16"]


def _example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_single_agent_ppo_trains_one_iteration_on_a_remote_runner_and_logs_the_summary():
    runners = _example("rllib_ppo").main([*TINY, "--env-runners", "1"])
    summary = runners["rapgym"]
    assert runners["num_episodes"] >= 1
    assert 0.0 < summary["mean_latency_s"] < 10.0 and 0.0 <= summary["deadline_miss_rate"] <= 1.0
    assert math.isclose(summary["return"], runners["episode_return_mean"], rel_tol=1e-4)


def test_multi_agent_ppo_shares_one_policy_over_the_users_and_logs_the_summary():
    runners = _example("rllib_multiagent").main([*TINY, "--env-runners", "1"])
    summary = runners["rapgym"]
    assert runners["num_episodes"] >= 1 and 0.0 < summary["mean_latency_s"] < 10.0
    # every agent gets the shared reward: RLlib's episode return sums it over the 2 agents
    assert math.isclose(2 * summary["return"], runners["episode_return_mean"], rel_tol=1e-4)
    assert set(runners["module_episode_returns_mean"]) == {"user"}  # one shared policy
    assert set(runners["agent_episode_returns_mean"]) == {"user_0", "user_1"}


def test_readme_example_trains_one_iteration(capsys):
    import ray

    from tests.envs.test_ecosystem_readme import readme_examples

    try:
        exec(compile(readme_examples()["Ray RLlib"], "README.md: Ray RLlib", "exec"), {})
    finally:
        ray.shutdown()
    assert 0.0 < float(capsys.readouterr().out.strip().splitlines()[-1]) < 10.0  # mean latency, s


def test_env_config_names_a_field_that_does_not_exist_before_ray_starts():
    with pytest.raises(UnknownFieldError, match="unknown field 'warp_drive'"):
        env_config("default", num_users=2, warp_drive=1)
    with pytest.raises(ScenarioError, match="num_users"):
        env_config("default", num_users=0)
    assert env_config("unstable-lte", num_users=2, compact=True) == {"scenario": "unstable-lte", "num_users": 2,
                                                                      "compact": True}


def test_rllib_building_the_env_with_an_unknown_field_raises_the_error_naming_it():
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig

    ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR")
    try:
        config = (PPOConfig().environment(runner_env_id(), env_config={"num_users": 2, "warp_drive": 1})
                  .env_runners(num_env_runners=0))
        with pytest.raises(UnknownFieldError, match="unknown field 'warp_drive'"):
            config.build_algo()
    finally:
        ray.shutdown()


def test_runner_ids_carry_the_module_prefix_and_summaries_are_found_per_agent():
    assert runner_env_id() == "rapgym:rapgym/MultiUserEndCloudFlat-v0"
    with pytest.raises(ScenarioError, match="not a rapgym id"):
        runner_env_id("CartPole-v1")
    summary = {"return": -3.0}
    assert episode_summary_of({EPISODE_KEY: summary}) == summary
    assert episode_summary_of({"user_0": {}, "user_1": {EPISODE_KEY: summary}}) == summary
    assert episode_summary_of({"tasks": 3}) is None and episode_summary_of(None) is None
