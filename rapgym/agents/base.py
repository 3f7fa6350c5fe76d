"""The policy protocol shared by every reference policy (Stable-Baselines3 ``predict`` compatible)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rapgym.agents.context import PolicyContext

__all__ = ["Policy"]


class Policy:
    """A policy for ``MultiUserEndCloud-v0``'s Dict observations and actions.

    Subclasses set :attr:`name`, :attr:`OPTIONS` (option name -> default) and implement :meth:`act`.
    They read the observation only; :attr:`clairvoyant` marks the one that reads the simulator.
    """

    name: ClassVar[str] = "policy"
    OPTIONS: ClassVar[dict[str, Any]] = {}
    clairvoyant: ClassVar[bool] = False

    def __init__(self, ctx: PolicyContext) -> None:
        self.ctx = ctx

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The action for one observation."""
        raise NotImplementedError

    def predict(self, observation: dict[str, np.ndarray], state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[dict[str, np.ndarray], Any]:
        """SB3-style ``predict``: ``(action, state)``; the reference policies are stateless and deterministic
        (``random`` draws from its own seeded generator)."""
        return self.act(observation), state

    def reset(self) -> None:
        """Forget per-episode state (none by default)."""

    def equal_shares(self) -> np.ndarray:
        """``(N,)`` raw shares that the env normalises to equal shares of the uploading users."""
        return np.ones(self.ctx.num_users)

    def planning_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """``(compute, uplink)`` effective shares that plan on equal shares: ``1/N`` of the cloud and, in a
        shared cell, ``1/N`` of the uplink (else the user's whole link, 1)."""
        n = self.ctx.num_users
        return np.full(n, 1.0 / n), np.full(n, 1.0 / n if self.ctx.shared_uplink else 1.0)
