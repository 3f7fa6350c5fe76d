"""Scenario bounds (``docs/model.md §5``): every value that used to pass validation and break later (reward NaN,
``inf`` in the profile observation, a raw error or a huge allocation inside ``reset``) is now a ScenarioError naming
the field, and the env runs cleanly at the bounds themselves."""

from __future__ import annotations

from typing import Any

import pytest

from rapgym.configs.scenario import MAX_EPISODE_TASKS, load_scenario
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ScenarioError
from tests.reliability.outcome import assert_clean_rollout

INF = float("inf")

# (override, field named in the error): the failures of issue 14, each once
REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"acc_weight": INF}, "acc_weight"),                 # was: reward NaN
    ({"miss_penalty": INF}, "miss_penalty"),             # was: reward -inf
    ({"drop_penalty": INF}, "drop_penalty"),             # was: reward -inf
    ({"latency_ref_s": 1e-320}, "latency_ref_s"),        # was: reward -inf
    ({"device_factor": [1e39]}, "device_factor"),        # was: inf in obs["profile"]
    ({"cloud_capacity": 5e-324}, "cloud_capacity"),      # was: inf in obs["profile"]
    ({"max_backlog_s": 1e39}, "max_backlog_s"),          # was: gymnasium's "Box high is out of bounds"
    ({"header_bytes": 10**400}, "header_bytes"),         # was: raw OverflowError
    ({"uplink_params": {"mean_mbps": 10**400}}, "mean_mbps"),  # was: raw OverflowError
    ({"fps": [1e300]}, "fps"),                           # was: raw ValueError in reset
    ({"fps": [5e-324]}, "fps"),                          # was: raw OverflowError in reset
    ({"fps": [1e9]}, "fps"),                             # was: MemoryError (1.16 TiB) in reset
    ({"uplink_params": {"outage_mean_s": 1e300}}, "outage_mean_s"),  # was: IndexError
    ({"uplink_params": {"interval_s": 1e-9}}, "interval_s"),         # was: a 155 GiB allocation
    ({"uplink_params": {"mean_mbps": 1e303}}, "mean_mbps"),          # was: NaN observations
    ({"uplink_params": {"cv": 1e300}}, "cv"),                        # was: NaN observations
    ({"min_share": 1e-300}, "min_share"),
    ({"dt_s": 1e-300}, "dt_s"),
    ({"deadline_s": [INF]}, "deadline_s"),
    ({"episode_slots": 1_000_000, "dt_s": 10.0}, "episode_slots"),  # 8e8 tasks: over MAX_EPISODE_TASKS
    ({"bits": [32, 16, 8, 4, 2, 1]}, "'bits': model 'resnet18' does not offer"),  # was: ProfileError at make (found by the suite)
]


@pytest.mark.parametrize(("override", "field"), REFUSED, ids=[f"{k}" for k, _ in REFUSED])
def test_out_of_range_value_is_a_scenario_error_naming_the_field(override: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        load_scenario("default", **override)


def test_the_task_limit_is_named_with_its_value() -> None:
    with pytest.raises(ScenarioError, match=f"at most {MAX_EPISODE_TASKS:,} fit"):
        load_scenario("default", num_users=4096, fps=[1e4], episode_slots=10)  # 4.1e7 tasks
    load_scenario("default", num_users=8, episode_slots=1_000_000)  # 8e6 tasks: a long episode that fits


def test_env_at_the_upper_bounds_runs_cleanly() -> None:
    """Every weight, penalty, factor and size at its largest allowed value: observations in their space, finite rewards."""
    env = MultiUserEndCloudEnv(
        "default", num_users=3, episode_slots=12, device_factor=[1e6, 1e-6], cloud_capacity=1e-6, min_share=1e-6,
        header_bytes=10**9, latency_ref_s=1e-6, acc_weight=1e6, deadline_s=[1e-6, 1e6], miss_penalty=1e9,
        drop_penalty=1e9, max_backlog_s=1e6, dt_s=1e-3, fps=[1e4, 1e-6],
        uplink_params={"mean_mbps": 1e4, "cv": 10.0, "rho": 0.999, "outage_rate_per_s": 1e3, "outage_mean_s": 1e6,
                       "interval_s": 1e-3})
    assert_clean_rollout(env, steps=12)


def test_env_at_the_lower_bounds_runs_cleanly() -> None:
    env = MultiUserEndCloudEnv(
        "default", num_users=2, episode_slots=10, dt_s=10.0, device_factor=[1e-6], cloud_capacity=1e6, min_share=1.0,
        header_bytes=0, latency_ref_s=1e6, acc_weight=0.0, miss_penalty=0.0, drop_penalty=0.0, max_backlog_s=1e-9,
        fps=[1e-6, 1.0], uplink="stable", uplink_params={"mean_mbps": 0.0, "noise_cv": 0.0, "interval_s": 1e-3})
    assert_clean_rollout(env, steps=10)


def test_trace_dir_with_an_empty_split_is_refused_at_make(tmp_path) -> None:
    (tmp_path / "only.txt").write_text("0 1.0\n1 2.0\n")  # one file: the test split, so no train file
    with pytest.raises(ScenarioError, match="trace_dir.*no trace in the trace_split='train' split"):
        MultiUserEndCloudEnv("default", uplink="calibrated:lumos5g_4g", uplink_params={}, trace_dir=str(tmp_path))
    env = MultiUserEndCloudEnv("default", uplink="calibrated:lumos5g_4g", uplink_params={}, trace_dir=str(tmp_path),
                               trace_split="test", num_users=2, episode_slots=5)
    assert_clean_rollout(env, steps=5)


def test_trace_dir_with_a_generator_source_is_refused_at_make(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="trace_dir needs a calibrated uplink source"):
        MultiUserEndCloudEnv("default", uplink="stable", uplink_params={}, trace_dir=str(tmp_path))
