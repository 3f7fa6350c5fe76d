"""The action encodings of the learned agents in one table, and the one factory of the env SB3 trains on.

Each algorithm sees :class:`~rapgym.envs.wrappers.NormalizedFlatObservation` (then optionally SB3's
``VecNormalize``) and acts through one flat action wrapper:

- ``ppo``: :class:`~rapgym.envs.wrappers.FlatMultiDiscreteAction`, cut, bits and share level per user;
- ``sac``: :class:`~rapgym.envs.wrappers.BoxAction`, one ``[-1, 1]`` entry per user and field;
- ``hybrid``: :class:`~rapgym.learning.hybrid.HybridAction`, cut and bits per user, the shares in closed form.

The same table decodes a trained model's flat action back into the Dict action
(:class:`rapgym.learning.saved_agents.SB3Agent`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from rapgym.configs.hyperparams import DEFAULT_SHARE_LEVELS
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.wrappers import BoxAction, FlatMultiDiscreteAction, NormalizedFlatObservation
from rapgym.errors import HyperparamsError
from rapgym.learning.hybrid import HybridAction

__all__ = ["ENCODINGS", "ActionEncoding", "encoding", "make_sb3_env", "share_levels_of"]


@dataclass(frozen=True)
class ActionEncoding:
    """How one algorithm's flat action is built on the env and decoded into the Dict action.

    Attributes:
        wrapper: the action wrapper class (its ``action(flat)`` decodes).
        takes_share_levels: the wrapper is built with the number of share levels (``ppo``).
        reads_observation: the wrapper reads the Dict observation (``observe(obs)`` before decoding), so it
            goes under the observation flattener.
    """

    wrapper: type[gym.ActionWrapper]
    takes_share_levels: bool
    reads_observation: bool

    def build(self, env: gym.Env, share_levels: int = DEFAULT_SHARE_LEVELS) -> gym.ActionWrapper:
        """The action wrapper on ``env`` (``share_levels`` is read by ``ppo``'s only)."""
        return self.wrapper(env, share_levels) if self.takes_share_levels else self.wrapper(env)

    def decode(self, wrapper: gym.ActionWrapper, flat_action: np.ndarray,
               observation: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The Dict action of ``flat_action`` chosen on the Dict ``observation``."""
        if self.reads_observation:
            wrapper.observe(observation)
        return wrapper.action(flat_action)


ENCODINGS: dict[str, ActionEncoding] = {
    "ppo": ActionEncoding(FlatMultiDiscreteAction, takes_share_levels=True, reads_observation=False),
    "sac": ActionEncoding(BoxAction, takes_share_levels=False, reads_observation=False),
    "hybrid": ActionEncoding(HybridAction, takes_share_levels=False, reads_observation=True),
}
"""Action encoding of each algorithm of :data:`rapgym.configs.hyperparams.ALGOS`."""


def encoding(algo: str) -> ActionEncoding:
    """The action encoding of ``algo``.

    Raises:
        HyperparamsError: ``algo`` is not one of :data:`ENCODINGS` (the message lists them).
    """
    try:
        return ENCODINGS[algo]
    except KeyError:
        raise HyperparamsError(f"algo {algo!r} unknown; allowed: {', '.join(ENCODINGS)}") from None


def share_levels_of(hyperparams: Mapping[str, Any]) -> int:
    """Share levels of the ``ppo`` encoding in (validated or saved) hyperparameters; the default elsewhere."""
    return int(hyperparams.get("share_levels", DEFAULT_SHARE_LEVELS))


def make_sb3_env(algo: str, scenario: str = "default", share_levels: int = DEFAULT_SHARE_LEVELS,
                 **overrides: Any) -> gym.Env:
    """The flat env ``algo`` trains on: ``scenario`` with field ``overrides``, flat observation and action.

    Raises:
        HyperparamsError: unknown ``algo``.
        ScenarioError: unknown scenario or invalid override.
    """
    action_encoding = encoding(algo)
    base = MultiUserEndCloudEnv(scenario, **overrides)
    if action_encoding.reads_observation:
        return NormalizedFlatObservation(action_encoding.build(base, share_levels))
    return action_encoding.build(NormalizedFlatObservation(base), share_levels)
