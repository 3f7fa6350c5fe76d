"""Saved agents as policies on the raw env, and their policy specs in :mod:`rapgym.evaluation.runner`.

:class:`SB3Agent` turns a trained model back into a policy with the reference policies' protocol
(Dict observation in, Dict action out), so saved agents and reference policies are evaluated by the
same loop on the same raw env. The flat action is decoded by the algorithm's action encoding
(:mod:`rapgym.learning.encodings`). A run folder (:mod:`rapgym.learning.run_folder`) holds ``config.yml``
(algorithm, scenario, hyperparameters), the models and, per model, its ``VecNormalize`` statistics.

Evaluation does not import learning: :func:`register_saved_agents` plugs the ``.zip`` policy specs into
:func:`rapgym.evaluation.runner.register_resolver`.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rapgym.configs.hyperparams import DEFAULT_SHARE_LEVELS
from rapgym.envs.wrappers import NormalizedFlatObservation
from rapgym.errors import PolicyError
from rapgym.evaluation.runner import SAVED_AGENT_SUFFIX, policy_label, register_resolver
from rapgym.learning.encodings import encoding, share_levels_of
from rapgym.learning.models import load_model, require_train_extra
from rapgym.learning.run_folder import read_run_config, vecnormalize_path

__all__ = ["SB3Agent", "load_agent", "register_saved_agents", "saved_agent_resolver"]


class SB3Agent:
    """A trained SB3 model as a policy on the raw env: Dict observation in, Dict action out.

    Args:
        model: the SB3 model (``PPO`` or ``SAC``).
        algo: ``"ppo"``, ``"sac"`` or ``"hybrid"`` (its action encoding decodes the flat action).
        env: the raw ``MultiUserEndCloud-v0`` (or a wrapper of it) the agent will act in; only its spaces
            and config are read.
        obs_normalizer: the ``VecNormalize`` whose observation statistics the model was trained with, or
            ``None``.
        share_levels: share levels of the ``ppo`` action (ignored by the other encodings).
        name: label in tables and plots.

    Raises:
        HyperparamsError: unknown ``algo``.
        PolicyError: the model was trained on observations of another shape (another scenario size).
    """

    clairvoyant = False

    def __init__(self, model: Any, algo: str, env: gym.Env, obs_normalizer: Any = None,
                 share_levels: int = DEFAULT_SHARE_LEVELS, name: str | None = None) -> None:
        base = env.unwrapped
        self.model = model
        self.algo = algo
        self.name = name or algo
        self._encoding = encoding(algo)
        self._flatten = NormalizedFlatObservation(base)
        self._decoder = self._encoding.build(base, share_levels)
        self._normalizer = obs_normalizer
        self._space = base.action_space.spaces
        expected = model.observation_space.shape
        if expected != self._flatten.observation_space.shape:
            raise PolicyError(f"agent {self.name!r} was trained on observations of shape {expected}; this env gives "
                              f"{self._flatten.observation_space.shape} (different scenario size?)")

    def reset(self) -> None:
        """Stateless between episodes (the MLP policies have no memory)."""

    def predict(self, observation: dict[str, np.ndarray], state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[dict[str, np.ndarray], Any]:
        """SB3-style ``predict`` on one Dict observation: ``(Dict action in the space's dtypes, state)``."""
        flat = self._flatten.observation(observation)[None, :]
        if self._normalizer is not None:
            flat = self._normalizer.normalize_obs(flat)
        action, _ = self.model.predict(flat, deterministic=deterministic)
        decoded = self._encoding.decode(self._decoder, np.asarray(action)[0], observation)
        return {key: np.asarray(value, dtype=self._space[key].dtype) for key, value in decoded.items()}, state


def load_agent(model_path: str | Path, env: gym.Env, device: str = "cpu", name: str | None = None,
               threads: int | None = 1) -> SB3Agent:
    """Load a model saved by ``train.py`` (with its ``VecNormalize`` statistics) as a policy for ``env``.

    ``threads`` sets torch's (process-wide) CPU threads unless ``None``: one step of these small MLPs is
    ~6 ms on one thread and up to 10x slower with two threads on a busy 2-core machine. ``name`` defaults
    to ``<algo>:<run folder>/<model stem>``.

    Raises:
        MissingDependencyError: torch or SB3 is missing (the ``train`` extra).
        FileNotFoundError: the model or its run's ``config.yml`` is missing.
    """
    require_train_extra()
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    path = Path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved agent at {path}")
    config = read_run_config(path)
    algo = config["algo"]
    model = load_model(algo, path, device)
    stats = vecnormalize_path(path)
    normalizer = None
    if stats.is_file():
        with stats.open("rb") as handle:
            normalizer = pickle.load(handle)
    share_levels = share_levels_of(config.get("hyperparams", {}))
    return SB3Agent(model, algo, env, normalizer, share_levels, name or f"{algo}:{policy_label(str(path))}")


def saved_agent_resolver(spec: str) -> Callable[[gym.Env], SB3Agent] | None:
    """Policy-spec resolver for :mod:`rapgym.evaluation.runner`: a path ending in ``.zip`` is a saved agent.

    Returns a factory ``env -> SB3Agent`` (named by :func:`~rapgym.evaluation.runner.policy_label`) or
    ``None`` for other specs.

    Raises:
        PolicyError: the ``.zip`` or its run's ``config.yml`` does not exist.
    """
    if not spec.endswith(SAVED_AGENT_SUFFIX):
        return None
    path = Path(spec)
    if not path.is_file():
        raise PolicyError(f"saved agent {spec!r} not found")
    try:
        read_run_config(path)
    except FileNotFoundError as exc:
        raise PolicyError(f"saved agent {spec!r}: {exc}") from None
    return lambda env: load_agent(path, env, name=policy_label(spec))


@functools.cache
def register_saved_agents() -> None:
    """Make ``.zip`` policy specs (saved agents) resolvable by :mod:`rapgym.evaluation.runner`; once per process."""
    register_resolver(saved_agent_resolver)
