"""Stable-Baselines3 agents: the env each algorithm learns on, and saved agents as Dict-env policies.

``ppo`` learns on :class:`~rapgym.envs.wrappers.FlatMultiDiscreteAction` (cut, bits and a discretised
compute share per user), ``sac`` on :class:`~rapgym.envs.wrappers.BoxAction`, ``hybrid`` (PPO) on
:class:`~rapgym.learning.hybrid.HybridAction`; all three see
:class:`~rapgym.envs.wrappers.NormalizedFlatObservation`, then optionally SB3's ``VecNormalize``.

:class:`SB3Agent` turns a trained model back into a policy with the reference policies' protocol
(Dict observation in, Dict action out), so saved agents and reference policies are evaluated by the
same loop on the same raw env. A run folder written by :mod:`rapgym.learning.train` holds ``config.yml``
(algorithm, scenario, hyperparameters), the models and, per model, ``<stem>_vecnormalize.pkl``.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import yaml

from rapgym.envs.wrappers import BoxAction, FlatMultiDiscreteAction, NormalizedFlatObservation
from rapgym.learning.hybrid import HybridAction

__all__ = ["SB3Agent", "agent_label", "agent_resolver", "load_agent", "make_learning_env", "read_run_config", "vecnormalize_path"]

RUN_CONFIG = "config.yml"
"""File name of a run's saved configuration inside its run folder."""

_CHECKPOINT = re.compile(r"^(?P<prefix>.+)_(?P<steps>\d+)_steps$")


def _action_wrapper(algo: str, env: gym.Env, share_levels: int) -> gym.Env:
    if algo == "ppo":
        return FlatMultiDiscreteAction(env, share_levels)
    if algo == "sac":
        return BoxAction(env)
    if algo == "hybrid":
        return HybridAction(env)
    raise ValueError(f"algo {algo!r} unknown; allowed: 'ppo', 'sac', 'hybrid'")


def make_learning_env(algo: str, scenario: str = "default", share_levels: int = 5, **overrides: Any) -> gym.Env:
    """The flat env ``algo`` trains on, for a scenario name plus scenario field overrides."""
    from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

    base = MultiUserEndCloudEnv(scenario, **overrides)
    if algo == "hybrid":
        return NormalizedFlatObservation(HybridAction(base))
    return _action_wrapper(algo, NormalizedFlatObservation(base), share_levels)


def vecnormalize_path(model_path: str | Path) -> Path:
    """Where the ``VecNormalize`` statistics of a saved model live (the file may not exist).

    ``<dir>/<stem>_vecnormalize.pkl``; for SB3 checkpoints ``<prefix>_<n>_steps.zip`` it is
    ``<prefix>_vecnormalize_<n>_steps.pkl`` (``CheckpointCallback``'s naming).
    """
    path = Path(model_path)
    match = _CHECKPOINT.match(path.stem)
    if match:
        return path.with_name(f"{match['prefix']}_vecnormalize_{match['steps']}_steps.pkl")
    return path.with_name(f"{path.stem}_vecnormalize.pkl")


def read_run_config(model_path: str | Path) -> dict[str, Any]:
    """The ``config.yml`` of the run that saved ``model_path`` (its folder or the folder above).

    Raises:
        FileNotFoundError: no ``config.yml`` next to the model or one level up.
    """
    path = Path(model_path)
    for folder in (path.parent, path.parent.parent):
        candidate = folder / RUN_CONFIG
        if candidate.is_file():
            return yaml.safe_load(candidate.read_text())
    raise FileNotFoundError(f"no {RUN_CONFIG} next to {path} or one folder up; was it saved by train.py?")


class SB3Agent:
    """A trained SB3 model as a policy on the raw env: Dict observation in, Dict action out.

    Args:
        model: the SB3 model (``PPO`` or ``SAC``).
        algo: ``"ppo"``, ``"sac"`` or ``"hybrid"`` (decides how the flat action is decoded).
        env: the raw ``MultiUserEndCloud-v0`` (or a wrapper of it) the agent will act in; only its spaces
            and config are read.
        obs_normalizer: the ``VecNormalize`` whose observation statistics the model was trained with, or
            ``None``.
        share_levels: share levels of the ``ppo`` action.
        name: label in tables and plots.
    """

    clairvoyant = False

    def __init__(self, model: Any, algo: str, env: gym.Env, obs_normalizer: Any = None, share_levels: int = 5,
                 name: str | None = None) -> None:
        base = env.unwrapped
        self.model = model
        self.algo = algo
        self.name = name or algo
        self._flatten = NormalizedFlatObservation(base)
        self._decoder = _action_wrapper(algo, base, share_levels)
        self._normalizer = obs_normalizer
        self._space = base.action_space.spaces
        expected = model.observation_space.shape
        if expected != self._flatten.observation_space.shape:
            raise ValueError(f"agent {self.name!r} was trained on observations of shape {expected}; this env gives "
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
        if isinstance(self._decoder, HybridAction):
            self._decoder.observe(observation)
        decoded = self._decoder.action(np.asarray(action)[0])
        return {key: np.asarray(value, dtype=self._space[key].dtype) for key, value in decoded.items()}, state


def load_agent(model_path: str | Path, env: gym.Env, device: str = "cpu", name: str | None = None,
               threads: int | None = 1) -> SB3Agent:
    """Load a model saved by ``train.py`` (with its ``VecNormalize`` statistics) as a policy for ``env``.

    ``threads`` sets torch's (process-wide) CPU threads unless ``None``: one step of these small MLPs is
    ~6 ms on one thread and up to 10x slower with two threads on a busy 2-core machine.

    Raises:
        FileNotFoundError: the model or its run's ``config.yml`` is missing.
    """
    import torch
    from stable_baselines3 import PPO, SAC

    if threads is not None:
        torch.set_num_threads(threads)

    path = Path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved agent at {path}")
    config = read_run_config(path)
    algo = config["algo"]
    model = (SAC if algo == "sac" else PPO).load(path, device=device)
    stats = vecnormalize_path(path)
    normalizer = None
    if stats.is_file():
        with stats.open("rb") as handle:
            normalizer = pickle.load(handle)
    share_levels = int(config.get("hyperparams", {}).get("share_levels", 5))
    label = name or f"{algo}:{path.parent.name}/{path.stem}"
    return SB3Agent(model, algo, env, normalizer, share_levels, label)


def agent_label(model_path: str | Path) -> str:
    """Short name of a saved agent for tables and plots: ``<run folder>/<model stem>``."""
    path = Path(model_path)
    return f"{path.parent.name}/{path.stem}"


def agent_resolver(spec: str) -> Any:
    """Policy-spec resolver for :mod:`rapgym.evaluation.runner`: a path ending in ``.zip`` is a saved agent.

    Returns a factory ``env -> SB3Agent`` or ``None`` for other specs.

    Raises:
        ValueError: the ``.zip`` or its run's ``config.yml`` does not exist.
    """
    if not spec.endswith(".zip"):
        return None
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"saved agent {spec!r} not found")
    try:
        read_run_config(path)
    except FileNotFoundError as exc:
        raise ValueError(str(exc)) from None
    return lambda env: load_agent(path, env, name=agent_label(path))
