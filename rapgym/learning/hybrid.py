"""Hybrid agent's action wrapper: the network picks cut and bits per user, the closed-form allocation the shares.

This is our design (``docs/model.md §4``, "a hybrid"): the learned part of the decision is the discrete,
hard-to-model one — each user's cut and bit width — and the continuous shares come from the
closed-form allocation that JM-MPRA uses (:func:`rapgym.agents.allocation.closed_form_shares`),
``f_i = sqrt(a_i) / sum_j sqrt(a_j)``, which minimises ``sum_i a_i / f_i`` subject to ``sum_i f_i = 1``.

The work of user ``i`` for its chosen ``(k_i, b_i)`` is its offered load on the shared resource:
``a_i = fps_i * cloud_s(k_i)`` (cloud seconds per second on the whole cloud) for the compute share and,
in shared-uplink scenarios, ``a_i = fps_i * bits(k_i, b_i)`` (bit/s offered) for the uplink share. A
user that does not upload has zero work and gets no share. The shares depend on the observation's
``profile`` and ``cut_mask`` (static per episode) and the scenario's frame rates only.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.candidates import Candidates, enumerate_candidates
from rapgym.agents.context import PolicyContext
from rapgym.errors import ActionError

__all__ = ["HybridAction"]


class HybridAction(gym.ActionWrapper):
    """``MultiDiscrete([Kmax+1]*N + [nbits]*N)``: cut then bit-width index per user; shares in closed form.

    Wraps the raw ``MultiUserEndCloud-v0`` (Dict observations); put observation wrappers on top.
    A cut index above a user's device-only cut means device-only, as in the env.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        if not isinstance(env.observation_space, spaces.Dict) or "profile" not in env.observation_space.spaces:
            raise TypeError("HybridAction wraps the Dict-observation env; apply observation wrappers after it")
        self.ctx = PolicyContext.from_env(env)
        dict_space = env.action_space.spaces
        self._n = self.ctx.num_users
        self._nbits = int(dict_space["bits"].nvec[0])
        self.action_space = spaces.MultiDiscrete(
            np.concatenate([dict_space["split"].nvec, dict_space["bits"].nvec]).astype(np.int64))
        self._profile: np.ndarray | None = None
        self._cands: Candidates | None = None

    def observe(self, obs: dict[str, np.ndarray]) -> None:
        """Read the profile table of an observation (recomputed only when it changes)."""
        profile = obs["profile"]
        if self._profile is None or not np.array_equal(profile, self._profile):
            self._profile = np.array(profile)
            self._cands = enumerate_candidates(profile, obs["cut_mask"], self.ctx.bits, self.ctx.header_bits)

    def reset(self, **kwargs: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self.observe(obs)
        return obs, info

    def step(self, action: np.ndarray) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(self.action(action))
        self.observe(obs)
        return obs, reward, terminated, truncated, info

    def shares(self, split: np.ndarray, bits_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(compute, uplink)`` raw shares, each ``(N,)`` summing to 1, for the chosen cuts and widths."""
        if self._cands is None:
            raise RuntimeError("HybridAction needs an observation first: call reset() (or observe(obs))")
        rows = np.arange(self._n)
        column = split * self._nbits + bits_idx  # the unpruned candidate table is (cut, width) row-major
        fps = self.ctx.fps
        cloud = fps * self._cands.cloud_s[rows, column]
        uplink = fps * self._cands.tx_bits[rows, column]
        return closed_form_shares(cloud), closed_form_shares(uplink)

    def action(self, action: np.ndarray) -> dict[str, np.ndarray]:
        a = np.asarray(action, dtype=np.int64)
        if a.shape != self.action_space.shape:
            raise ActionError(f"hybrid action has shape {a.shape}; expected {self.action_space.shape}")
        split, bits_idx = a[:self._n], a[self._n:]
        compute, uplink = self.shares(split, bits_idx)
        return self.ctx.action(split, bits_idx, compute, uplink)
