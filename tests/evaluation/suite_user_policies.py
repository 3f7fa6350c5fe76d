"""Policies a user plugs into ``rapgym-benchmark --policy tests.evaluation.suite_user_policies:<Name>``."""

from __future__ import annotations

from typing import Any

import numpy as np


class AllDeviceOnly:
    """Constructed with the env: every user runs its whole model on the device (the largest cut index)."""

    def __init__(self, env: Any) -> None:
        space = env.action_space
        self.action = {key: (np.full(sub.shape, sub.nvec - 1) if key == "split" else np.zeros(sub.shape, sub.dtype))
                       for key, sub in space.spaces.items()}

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        return self.action, state


class SplitOutOfRange(AllDeviceOnly):
    """Returns a cut index one past the space's last one."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.action = dict(self.action, split=self.action["split"] + 1)


class Raises(AllDeviceOnly):
    """Its predict raises on the third slot."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.calls = 0

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("boom")
        return super().predict(observation, state)


class _Constant:
    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        n = observation["queue"].shape[0]
        return {"split": np.zeros(n, np.int64), "bits": np.zeros(n, np.int64),
                "compute_share": np.zeros(n, np.float32)}, state


CLOUD_ONLY = _Constant()
"""An object with ``predict`` (used as is): every user uploads its raw input, equal shares."""

NOT_A_POLICY = 42
