"""The invariant of the reliability suite: an outcome is a clean run or a RapgymError that names what is at fault."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv


def assert_clean_observation(env: MultiUserEndCloudEnv, obs: dict[str, np.ndarray]) -> None:
    """Every key of ``obs`` is finite and inside the env's observation space."""
    for key, space in env.observation_space.spaces.items():
        value = obs[key]
        assert np.all(np.isfinite(value)), f"observation {key!r} is not finite: {value}"
        assert space.contains(value), f"observation {key!r} is outside {space}: min {value.min()} max {value.max()}"


def _finite_info(info: dict[str, Any], where: str = "info") -> None:
    for key, value in info.items():
        if isinstance(value, dict):
            _finite_info(value, f"{where}[{key!r}]")
        elif isinstance(value, (int, float, np.number, np.ndarray)):
            assert np.all(np.isfinite(np.asarray(value, dtype=np.float64))), f"{where}[{key!r}] is not finite: {value}"


def assert_clean_rollout(env: MultiUserEndCloudEnv, steps: int, seed: int = 0, options: dict[str, Any] | None = None) -> float:
    """Reset and step ``steps`` random actions; every observation, reward and info is finite and in its space.
    Returns the sum of the rewards."""
    obs, info = env.reset(seed=seed, options=options)
    env.action_space.seed(seed)
    assert_clean_observation(env, obs)
    total = 0.0
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert_clean_observation(env, obs)
        assert math.isfinite(reward), f"reward {reward}"
        _finite_info(info)
        total += reward
        if truncated:
            break
    return total
