"""What a policy may know about its environment: the scenario's constants and the action space.

Policies act on observations; the static facts they need to interpret one (number of users, bit widths,
share floor, RTT, header size, cost weights, frame rates, whether the uplink is shared) come
from the scenario config, never from the simulator's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from rapgym.configs.scenario import ScenarioConfig

__all__ = ["PolicyContext"]


@dataclass(frozen=True)
class PolicyContext:
    """Static facts of a scenario, in the units of ``docs/model.md §1``.

    Attributes:
        num_users: N.
        bits: ``(nbits,)`` selectable bit widths (the action's ``bits`` indexes this).
        min_share: floor on a share before normalisation.
        header_bits: bits added to every upload.
        rtt_s: round-trip time, s.
        latency_ref_s: latency normaliser of the env cost, s.
        acc_weight: env cost per percentage point of accuracy loss.
        fps: ``(N,)`` task rate per user, frames/s.
        dt_s: slot length, s.
        shared_uplink: the users share one uplink cell (the action has ``uplink_share``).
        action_space: the env's ``Dict`` action space.
        observation_space: the env's ``Dict`` observation space (shapes and bounds every observation a policy is
            given must respect); ``None`` checks shapes from ``num_users`` and ``bits`` and values finite, ``>= 0``.
    """

    num_users: int
    bits: np.ndarray
    min_share: float
    header_bits: float
    rtt_s: float
    latency_ref_s: float
    acc_weight: float
    fps: np.ndarray
    dt_s: float
    shared_uplink: bool
    action_space: spaces.Dict
    observation_space: spaces.Dict | None = None

    @property
    def idx32(self) -> int:
        """Index of the fp32 width in :attr:`bits`."""
        return int(np.flatnonzero(self.bits == 32)[0])

    @classmethod
    def from_config(cls, config: ScenarioConfig, action_space: spaces.Dict,
                    observation_space: spaces.Dict | None = None) -> PolicyContext:
        """Context of a scenario config and the env's action (and observation) space."""
        return cls(
            num_users=config.num_users, bits=np.asarray(config.bits, dtype=np.int64), min_share=config.min_share,
            header_bits=8.0 * config.header_bytes, rtt_s=config.rtt_s, latency_ref_s=config.latency_ref_s,
            acc_weight=config.acc_weight, fps=np.asarray(config.per_user("fps"), dtype=np.float64), dt_s=config.dt_s,
            shared_uplink=config.shared_uplink, action_space=action_space, observation_space=observation_space)

    @classmethod
    def from_env(cls, env: Any) -> PolicyContext:
        """Context of a ``MultiUserEndCloudEnv`` (wrappers are looked through via ``unwrapped``)."""
        base = env.unwrapped
        return cls.from_config(base.config, base.action_space, base.observation_space)

    def action(self, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
               uplink_share: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """An action dict in the space's dtypes (int64 indices, float32 shares clipped to [0, 1])."""
        out = {"split": np.asarray(split, dtype=np.int64), "bits": np.asarray(bits_idx, dtype=np.int64),
               "compute_share": np.clip(np.asarray(compute_share, dtype=np.float32), 0.0, 1.0)}
        if self.shared_uplink:
            share = np.ones(self.num_users) if uplink_share is None else uplink_share
            out["uplink_share"] = np.clip(np.asarray(share, dtype=np.float32), 0.0, 1.0)
        return out
