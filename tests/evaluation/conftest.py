"""Fixtures of the evaluation tests: a tiny four-cut profile and the scenario overrides of a short episode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rapgym.profiles.profile import DNNProfile


def _toy_profile() -> DNNProfile:
    """Four cuts (cloud-only, two splits, device-only), 70 % base accuracy; device-only loses no accuracy."""
    acc = np.zeros((4, 5))
    acc[1:3, 1:] = [[0.1, 0.5, 2.0, 8.0], [0.05, 0.2, 1.0, 4.0]]
    return DNNProfile(name="toy", cut_names=("in", "b1", "b2", "out"), device_s=[0.0, 0.02, 0.06, 0.12],
                      cloud_s=[0.03, 0.02, 0.01, 0.0], tx_bytes=[150_000, 200_000, 40_000, 4_000], acc_loss=acc,
                      base_accuracy=70.0)


@pytest.fixture
def tiny() -> Callable[..., dict[str, Any]]:
    """``tiny(num_users, episode_slots)``: scenario overrides of a short episode of toy-profile users."""

    def overrides(num_users: int = 2, episode_slots: int = 10) -> dict[str, Any]:
        return {"num_users": num_users, "episode_slots": episode_slots, "profiles": [_toy_profile()] * num_users}

    return overrides
