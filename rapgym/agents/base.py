"""The policy protocol shared by every reference policy (Stable-Baselines3 ``predict`` compatible)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rapgym.agents.context import PolicyContext
from rapgym.agents.observation import ObservationCheck
from rapgym.errors import PolicyError

__all__ = ["BatchedAction", "Policy"]


class BatchedAction(dict):
    """The actions of ``B`` envs: key -> ``(B, N)`` array, what Gymnasium's vector envs (``make_vec``) take; and
    ``action[b]``, an int index, is env ``b``'s own action dict, what SB3's ``DummyVecEnv`` takes (so SB3's
    ``evaluate_policy`` runs a reference policy on a ``DummyVecEnv`` of the Dict env)."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer)):
            return {k: v[key] for k, v in self.items()}
        return super().__getitem__(key)


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
        self.check_observation = ObservationCheck(ctx.num_users, int(ctx.bits.shape[0]), ctx.observation_space)

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The action for one observation."""
        raise NotImplementedError

    def predict(self, observation: dict[str, np.ndarray], state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[dict[str, np.ndarray], Any]:
        """SB3-style ``predict``: ``(action, state)`` for one observation, or a :class:`BatchedAction` for a batch
        (every key ``(B, ...)``, as from ``make_vec`` or an SB3 ``VecEnv``). The reference policies are stateless
        and deterministic (``random`` draws from its own seeded generator, env after env in a batch).

        Raises:
            PolicyError: the observation has a missing key, a wrong shape, NaN or inf, or a value outside the
                observation space (:class:`~rapgym.agents.observation.ObservationCheck`); the message names the key.
        """
        batch = self.check_observation(observation)
        if batch is None:
            return self.act(observation), state
        if self.clairvoyant:
            raise PolicyError(f"{self.name} reads its own env's simulator and acts on one observation at a time, "
                              f"got a batch of {batch}")
        actions = [self.act({k: np.asarray(v)[b] for k, v in observation.items()}) for b in range(batch)]
        return BatchedAction({k: np.stack([a[k] for a in actions]) for k in actions[0]} if actions else {}), state

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
