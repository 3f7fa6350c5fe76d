"""Wrappers that make the Dict env learnable by Stable-Baselines3 (flat observations and actions).

Which algorithm learns on which action wrapper, and the env each one trains on, is
:mod:`rapgym.learning.encodings`.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rapgym.configs.hyperparams import DEFAULT_SHARE_LEVELS
from rapgym.errors import ActionError, HyperparamsError
from rapgym.sim.layout import COL_ACC_LOSS, COL_CLOUD_S, COL_DEVICE_S, COL_TX

__all__ = ["BoxAction", "FlatMultiDiscreteAction", "NormalizedFlatObservation"]

OBS_CLIP = 10.0
"""Bound of every normalised observation entry."""


class NormalizedFlatObservation(gym.ObservationWrapper):
    """Flattens the Dict observation into one float32 vector of O(1) scale.

    Bandwidth: ``log1p(Mbit/s) / log1p(1000)``; queue: ``s / max_backlog_s``; profile: device and cloud
    seconds over ``latency_ref_s`` through ``log1p``, bytes as ``log1p(bytes) / 20``, accuracy loss over
    10 pp; the cut mask as is; the cloud load as is. Every entry is clipped to ``[-10, 10]``.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        cfg = env.unwrapped.config
        self._lat_ref = cfg.latency_ref_s
        self._backlog = cfg.max_backlog_s
        size = sum(int(np.prod(s.shape)) for s in env.observation_space.spaces.values())
        self.observation_space = spaces.Box(-OBS_CLIP, OBS_CLIP, (size,), np.float32)

    def observation(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        profile = obs["profile"]
        lat = np.log1p(profile[..., COL_DEVICE_S:COL_CLOUD_S + 1] / self._lat_ref)
        tx = np.log1p(profile[..., COL_TX:COL_TX + 1]) / 20.0
        acc = profile[..., COL_ACC_LOSS:] / 10.0
        flat = np.concatenate([
            (np.log1p(obs["bandwidth"]) / np.log1p(1000.0)).ravel(),
            (obs["queue"] / self._backlog).ravel(),
            np.concatenate([lat, tx, acc], axis=-1).ravel(),
            obs["cut_mask"].ravel(),
            obs["cloud_load"].ravel(),
        ]).astype(np.float32)
        return np.clip(flat, -OBS_CLIP, OBS_CLIP)


def _dict_action(split: np.ndarray, bits: np.ndarray, shares: np.ndarray, shared_uplink: bool) -> dict[str, np.ndarray]:
    shares = shares.astype(np.float32)  # the dtype of the Dict space's Box, so the decoded action is in it
    action = {"split": split, "bits": bits, "compute_share": shares[0]}
    if shared_uplink:
        action["uplink_share"] = shares[1]
    return action


class FlatMultiDiscreteAction(gym.ActionWrapper):
    """One ``MultiDiscrete`` vector for PPO: ``[split]*N + [bits]*N + [share level]*N (+ uplink levels)``.

    A share level ``l`` in ``0..levels-1`` decodes to the raw share ``(l + 1) / levels``.
    """

    def __init__(self, env: gym.Env, share_levels: int = DEFAULT_SHARE_LEVELS) -> None:
        super().__init__(env)
        if share_levels < 1:
            raise HyperparamsError(f"key 'share_levels' must be >= 1, got {share_levels}")
        base = env.unwrapped
        n = base.num_users
        self._n = n
        self._levels = share_levels
        self._shared = base.config.shared_uplink
        dict_space = env.action_space.spaces
        nvec = [dict_space["split"].nvec, dict_space["bits"].nvec, np.full(n, share_levels)]
        if self._shared:
            nvec.append(np.full(n, share_levels))
        self.action_space = spaces.MultiDiscrete(np.concatenate(nvec).astype(np.int64))

    def action(self, action: np.ndarray) -> dict[str, np.ndarray]:
        a = np.asarray(action, dtype=np.int64)
        if a.shape != self.action_space.shape:
            raise ActionError(f"flat MultiDiscrete action has shape {a.shape}; expected {self.action_space.shape}")
        n = self._n
        shares = (a[2 * n:].reshape(-1, n) + 1.0) / self._levels
        return _dict_action(a[:n], a[n:2 * n], shares, self._shared)


class BoxAction(gym.ActionWrapper):
    """One ``Box(-1, 1)`` vector for SAC: per user split, bits, compute share (and uplink share).

    ``x`` in ``[-1, 1]`` decodes to the index ``floor((x + 1) / 2 * n)`` clipped to ``n - 1`` for the
    discrete fields, and to the raw share ``(x + 1) / 2`` for shares.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        base = env.unwrapped
        self._n = base.num_users
        self._shared = base.config.shared_uplink
        dict_space = env.action_space.spaces
        self._split_n = dict_space["split"].nvec.astype(np.float64)
        self._bits_n = dict_space["bits"].nvec.astype(np.float64)
        width = 4 if self._shared else 3
        self.action_space = spaces.Box(-1.0, 1.0, (width * self._n,), np.float32)

    def action(self, action: np.ndarray) -> dict[str, np.ndarray]:
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self.action_space.shape:
            raise ActionError(f"Box action has shape {a.shape}; expected {self.action_space.shape}")
        u = (np.clip(np.nan_to_num(a, nan=0.0), -1.0, 1.0) + 1.0) / 2.0
        n = self._n
        split = np.minimum(u[:n] * self._split_n, self._split_n - 1).astype(np.int64)
        bits = np.minimum(u[n:2 * n] * self._bits_n, self._bits_n - 1).astype(np.int64)
        return _dict_action(split, bits, u[2 * n:].reshape(-1, n), self._shared)

