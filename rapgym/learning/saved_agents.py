"""Saved agents as policies on the raw env, and their policy specs in :mod:`rapgym.evaluation.runner`.

:class:`SB3Agent` turns a trained model back into a policy with the reference policies' protocol
(Dict observation in, Dict action out), so saved agents and reference policies are evaluated by the
same loop on the same raw env. The flat action is decoded by the algorithm's action encoding
(:mod:`rapgym.learning.encodings`). A run folder (:mod:`rapgym.learning.run_folder`) holds ``config.yml``
(algorithm, scenario, hyperparameters), the models and, per model, its ``VecNormalize`` statistics.

An agent trained elsewhere (e.g. by RL Baselines3 Zoo with ``rapgym/configs/rl_zoo/ppo.yml``) has no
``config.yml``: its spec names the encoding, ``PATH.zip:ENCODING`` (``ppo``, ``sac`` or ``hybrid``), with
``,share_levels=L`` for a ``ppo`` agent trained on another number of share levels. Its ``VecNormalize``
statistics, if any, are read from RL-Zoo's ``<folder>/<env>/vecnormalize.pkl``.

Evaluation does not import learning: :func:`register_saved_agents` plugs the ``.zip`` policy specs into
:func:`rapgym.evaluation.runner.register_resolver`.
"""

from __future__ import annotations

import functools
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rapgym.configs.hyperparams import DEFAULT_SHARE_LEVELS
from rapgym.configs.overrides import parse_overrides
from rapgym.configs.scenario import ScenarioConfig
from rapgym.envs.wrappers import NormalizedFlatObservation
from rapgym.errors import PolicyError
from rapgym.evaluation.runner import SAVED_AGENT_SUFFIX, policy_label, register_resolver
from rapgym.learning.encodings import ENCODINGS, encoding, share_levels_of
from rapgym.learning.models import load_model, require_train_extra
from rapgym.learning.run_folder import read_run_config, vecnormalize_path

__all__ = ["SB3Agent", "check_scenario_fits", "find_vecnormalize", "load_agent", "load_vecnormalize", "parse_saved_agent_spec", "register_saved_agents",
           "saved_agent_resolver"]

_ENCODED_SPEC = re.compile(r"^(?P<path>.+\.zip):(?P<algo>[^,]*)(?:,(?P<options>.*))?$")
"""``PATH.zip:ENCODING[,share_levels=L]``: a saved agent without ``config.yml``."""

RL_ZOO_VECNORMALIZE = "vecnormalize.pkl"
"""File name of RL-Zoo's ``VecNormalize`` statistics, in the ``<env>/`` folder beside its models."""


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
        if model.action_space != self._decoder.action_space:
            raise PolicyError(f"agent {self.name!r} acts in {model.action_space}; the {algo!r} encoding of this env is "
                              f"{self._decoder.action_space} (another encoding, share_levels or scenario?)")

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


def find_vecnormalize(model_path: str | Path) -> Path | None:
    """The ``VecNormalize`` statistics saved with a model, or ``None``.

    rapgym's ``<stem>_vecnormalize.pkl`` (:func:`~rapgym.learning.run_folder.vecnormalize_path`) first, else
    RL-Zoo's ``<folder>/<env>/vecnormalize.pkl`` when exactly one sub-folder of the model's folder has one.

    Raises:
        PolicyError: several RL-Zoo statistics files, so which one belongs to the model is ambiguous.
    """
    path = Path(model_path)
    own = vecnormalize_path(path)
    if own.is_file():
        return own
    zoo = sorted(path.parent.glob(f"*/{RL_ZOO_VECNORMALIZE}"))
    if len(zoo) > 1:
        raise PolicyError(f"saved agent {str(path)!r}: several {RL_ZOO_VECNORMALIZE} beside it ({[str(z) for z in zoo]})")
    return zoo[0] if zoo else None


def load_vecnormalize(model_path: str | Path) -> Any | None:
    """The ``VecNormalize`` saved with a model (:func:`find_vecnormalize`), unpickled without a venv, or ``None``."""
    stats = find_vecnormalize(model_path)
    if stats is None:
        return None
    with stats.open("rb") as handle:
        return pickle.load(handle)


def load_agent(model_path: str | Path, env: gym.Env, device: str = "cpu", name: str | None = None,
               threads: int | None = 1, algo: str | None = None, share_levels: int | None = None) -> SB3Agent:
    """Load a saved model (with its ``VecNormalize`` statistics, if any) as a policy for ``env``.

    ``algo`` (with ``share_levels`` for ``ppo``) names the encoding of a model saved without a run folder
    (e.g. by RL-Zoo); when ``None`` both come from the ``config.yml`` of the run that saved it (``train.py``).
    ``threads`` sets torch's (process-wide) CPU threads unless ``None``: one step of these small MLPs is
    ~6 ms on one thread and up to 10x slower with two threads on a busy 2-core machine. ``name`` defaults
    to ``<algo>:<run folder>/<model stem>``. A set network (``policy_kwargs.network: set``) is rebuilt on
    ``env``'s spaces, so an agent trained at one number of users runs at another.

    Raises:
        MissingDependencyError: torch or SB3 is missing (the ``train`` extra).
        FileNotFoundError: the model, or (``algo=None``) its run's ``config.yml``, is missing.
        HyperparamsError: unknown ``algo``.
        PolicyError: the model does not fit ``env`` with that encoding, or its run trained on other ``bits`` or
            another ``history`` (the message names both sides).
    """
    require_train_extra()
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    path = Path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved agent at {path}")
    if algo is None:
        config = read_run_config(path)
        algo = config["algo"]
        share_levels = share_levels_of(config.get("hyperparams", {}))
        check_scenario_fits(config.get("scenario_config", {}), env.unwrapped.config, f"saved agent {str(path)!r}")
    action_encoding = encoding(algo)  # validates algo before loading
    try:
        model = load_model(algo, path, device)
    except (AttributeError, KeyError, RuntimeError, ValueError) as exc:  # SB3 on a zip of another algorithm
        raise PolicyError(f"saved agent {str(path)!r} does not load as the {algo!r} encoding's model "
                          f"({type(exc).__name__}: {exc}); another encoding?") from None
    levels = DEFAULT_SHARE_LEVELS if share_levels is None else share_levels
    if _is_set_network(model):
        model = _rebuild_for_env(model, algo, path, device, env, action_encoding.build(env.unwrapped, levels))
    return SB3Agent(model, algo, env, load_vecnormalize(path), levels, name or f"{algo}:{policy_label(str(path))}")


def check_scenario_fits(trained: dict[str, Any], config: ScenarioConfig, agent: str) -> None:
    """Check that the scenario a run trained on (its ``config.yml`` ``scenario_config``) encodes observations
    and bit widths as ``config`` does: the same ``bits`` (index ``j`` of the action means the same width) and
    ``history`` (bandwidth slots per user). ``agent`` names the agent in the message.

    Raises:
        PolicyError: a field differs, naming it and both values.
    """
    for field in ("bits", "history"):
        if field in trained and list(np.atleast_1d(trained[field])) != list(np.atleast_1d(getattr(config, field))):
            raise PolicyError(f"{agent} was trained with {field} {trained[field]}; this env's scenario "
                              f"has {field} {getattr(config, field)} (its observations and actions mean other things)")


def _is_set_network(model: Any) -> bool:
    from rapgym.learning.set_policy import SetActorCriticPolicy, SetSACPolicy

    return isinstance(model.policy, SetActorCriticPolicy | SetSACPolicy)


def _rebuild_for_env(model: Any, algo: str, path: Path, device: str, env: gym.Env, decoder: gym.ActionWrapper) -> Any:
    """A set-network model rebuilt on ``env``'s flat spaces (its weights do not depend on the number of users).

    Raises:
        PolicyError: the network cannot read this env's observation or emit its action (another history, bit
            widths, more cuts than it was built for), naming both sides.
    """
    observation_space = NormalizedFlatObservation(env.unwrapped).observation_space
    if model.observation_space == observation_space and model.action_space == decoder.action_space:
        return model
    try:
        return load_model(algo, path, device, observation_space, decoder.action_space)
    except PolicyError as exc:
        raise PolicyError(f"saved agent {str(path)!r} does not fit this env: {exc}") from None


def parse_saved_agent_spec(spec: str) -> tuple[Path, str | None, int | None] | None:
    """``(path, algo, share_levels)`` of a saved-agent spec, or ``None`` for another kind of spec.

    ``PATH.zip`` gives ``(path, None, None)`` (read from the run's ``config.yml``); ``PATH.zip:ENCODING`` and
    ``PATH.zip:ENCODING,share_levels=L`` name the encoding of an agent saved elsewhere.

    Raises:
        PolicyError: unknown encoding or option, or a ``share_levels`` that is not an integer >= 1.
    """
    if spec.endswith(SAVED_AGENT_SUFFIX):
        return Path(spec), None, None
    match = _ENCODED_SPEC.match(spec)
    if match is None:
        return None
    algo = match["algo"]
    if algo not in ENCODINGS:
        raise PolicyError(f"saved agent spec {spec!r}: encoding {algo!r} unknown; allowed: {', '.join(ENCODINGS)}")
    options = parse_overrides(filter(None, (match["options"] or "").split(",")), PolicyError,
                              what=f"saved agent spec {spec!r}: option")
    unknown = sorted(set(options) - {"share_levels"})
    if unknown:
        raise PolicyError(f"saved agent spec {spec!r}: option {unknown[0]!r} unknown; allowed: share_levels")
    levels = options.get("share_levels")
    if levels is not None and (not isinstance(levels, int) or isinstance(levels, bool) or levels < 1):
        raise PolicyError(f"saved agent spec {spec!r}: share_levels must be an integer >= 1, got {levels!r}")
    return Path(match["path"]), algo, levels


def saved_agent_resolver(spec: str) -> Callable[[gym.Env], SB3Agent] | None:
    """Policy-spec resolver for :mod:`rapgym.evaluation.runner`: a saved agent (:func:`parse_saved_agent_spec`).

    Returns a factory ``env -> SB3Agent`` (named by :func:`~rapgym.evaluation.runner.policy_label`) or
    ``None`` for other specs.

    Raises:
        PolicyError: malformed spec; the ``.zip`` does not exist; a spec without encoding has no ``config.yml``.
    """
    parsed = parse_saved_agent_spec(spec)
    if parsed is None:
        return None
    path, algo, share_levels = parsed
    if not path.is_file():
        raise PolicyError(f"saved agent {str(path)!r} not found")
    if algo is None:
        try:
            read_run_config(path)
        except FileNotFoundError as exc:
            raise PolicyError(f"saved agent {spec!r}: {exc}; for an agent saved elsewhere (e.g. RL-Zoo) name its "
                              f"encoding: {spec}:ENCODING with ENCODING one of {', '.join(ENCODINGS)}") from None
    find_vecnormalize(path)
    return lambda env: load_agent(path, env, name=policy_label(spec), algo=algo, share_levels=share_levels)


@functools.cache
def register_saved_agents() -> None:
    """Make ``.zip`` policy specs (saved agents) resolvable by :mod:`rapgym.evaluation.runner`; once per process."""
    register_resolver(saved_agent_resolver)
