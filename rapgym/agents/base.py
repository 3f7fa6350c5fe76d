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
