"""The single env's slot ``info``: its keys in a fixed order, the per-user outcomes last in ``USER_KEYS``' order, and
fresh arrays every step."""

from __future__ import annotations

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.step_info import USER_KEYS, user_outcomes


def test_keys_and_per_user_rows():
    env = MultiUserEndCloudEnv(num_users=3, episode_slots=4)
    env.reset(seed=0)
    env.action_space.seed(0)
    _, _, _, _, first = env.step(env.action_space.sample())
    kept = {key: np.array(first[key]) for key in USER_KEYS}
    assert list(first) == ["tasks", "completed", "dropped", "deadline_misses", "mean_latency_s", "max_latency_s",
                           "mean_accuracy", "cloud_load", "uplink_mbps", *USER_KEYS]
    for key, value in user_outcomes(env.sim).items():
        np.testing.assert_array_equal(first[key], value)
        assert first[key].dtype == value.dtype
    env.step(env.action_space.sample())
    for key in USER_KEYS:  # the next step wrote new arrays, not these
        np.testing.assert_array_equal(first[key], kept[key])
