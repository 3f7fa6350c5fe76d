"""Ray RLlib: env ids and configs that remote env runners can build, and a callback that logs the episode summary.

Ray pins its own gymnasium (1.2.2 with Ray 2.60); the core env runs on it, so RLlib lives in its own venv
(``pip install "rapgym[rllib]"``). Importing this module imports Ray; without it the import raises
:class:`~rapgym.errors.MissingDependencyError` naming the extra.

- Remote env runners never import rapgym, so the env id RLlib builds must carry the ``rapgym:`` prefix
  (``gym.make`` imports the module before the lookup; the bare id fails there with ``NamespaceNotFound``):
  :func:`runner_env_id`.
- :func:`env_config` validates the scenario fields in the driver, before Ray starts any worker, so a field
  that does not exist is a :class:`~rapgym.errors.ScenarioError` naming it, not a remote traceback.
- :class:`EpisodeSummaryCallback` logs the env's episode summary (``info["rapgym_episode"]``) into RLlib's
  metrics: ``result["env_runners"]["rapgym"][<key>]``, the mean over the episodes of the iteration.
- :func:`register_multi_user_env` registers the PettingZoo view (:mod:`rapgym.envs.multi_user_end_cloud_v0`,
  one agent per user) as an RLlib ``MultiAgentEnv`` through RLlib's ``ParallelPettingZooEnv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapgym.configs.scenario import load_scenario
from rapgym.envs import ENV_ID, FLAT_ENV_ID
from rapgym.envs.step_info import EPISODE_KEY
from rapgym.errors import MissingDependencyError, ScenarioError

try:
    from ray.rllib.callbacks.callbacks import RLlibCallback
except ImportError as exc:
    raise MissingDependencyError('the RLlib integration needs Ray RLlib: pip install "rapgym[rllib]" (in its own venv: '
                                 "Ray pins gymnasium 1.2.2)") from exc

__all__ = ["METRICS_KEY", "MULTI_USER_ENV", "EpisodeSummaryCallback", "env_config", "episode_summary_of",
           "make_multi_user_env", "register_multi_user_env", "runner_env_id"]

METRICS_KEY = "rapgym"
"""Where the episode summary lands in RLlib's results: ``result["env_runners"][METRICS_KEY]``."""

MULTI_USER_ENV = "rapgym-multi-user"
"""Name under which :func:`register_multi_user_env` registers the multi-agent env with RLlib."""

ENV_OPTIONS = frozenset({"scenario", "profiles", "render_mode", "compact", "share_levels", "per_user_reward"})
"""Keywords of the envs that are not scenario fields (the flat ids add ``compact`` and ``share_levels``, the
PettingZoo view ``per_user_reward``)."""


def runner_env_id(env_id: str = FLAT_ENV_ID) -> str:
    """``env_id`` with the ``rapgym:`` module prefix, so that ``gym.make`` in a remote env runner imports rapgym."""
    if not env_id.startswith("rapgym/"):
        raise ScenarioError(f"env id {env_id!r} is not a rapgym id; allowed: ids starting with 'rapgym/', e.g. {ENV_ID!r}")
    return f"rapgym:{env_id}"


def env_config(scenario: str = "default", **fields: Any) -> dict[str, Any]:
    """RLlib's ``env_config`` for the rapgym ids: ``scenario`` and scenario ``fields``, validated here.

    Keywords of the ids that are not scenario fields (``compact``, ``share_levels``) pass through unchecked
    (the env checks them).

    Raises:
        ScenarioError: unknown scenario, a field that does not exist (named, with the allowed fields) or an
            invalid value.
    """
    load_scenario(scenario, **{k: v for k, v in fields.items() if k not in ENV_OPTIONS})
    return {"scenario": scenario, **fields}


def make_multi_user_env(config: Mapping[str, Any]) -> Any:
    """RLlib env creator: the PettingZoo ``parallel_env(**config)`` as an RLlib ``MultiAgentEnv``.

    Raises:
        MissingDependencyError: pettingzoo is missing.
        ScenarioError: an invalid scenario field in ``config``.
    """
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    from rapgym.envs import multi_user_end_cloud_v0

    return ParallelPettingZooEnv(multi_user_end_cloud_v0.parallel_env(**dict(config)))


def register_multi_user_env() -> str:
    """Register :func:`make_multi_user_env` with RLlib (``tune.register_env``) and return its name."""
    from ray.tune.registry import register_env

    register_env(MULTI_USER_ENV, make_multi_user_env)
    return MULTI_USER_ENV


def episode_summary_of(infos: Any) -> dict[str, float] | None:
    """The episode summary in the last ``infos`` of an episode: a single-agent info dict, or a multi-agent dict
    ``agent -> info`` (the summary is shared, the first agent's is used); ``None`` when there is none."""
    if not isinstance(infos, Mapping):
        return None
    if EPISODE_KEY in infos:
        return dict(infos[EPISODE_KEY])
    for info in infos.values():
        if isinstance(info, Mapping) and EPISODE_KEY in info:
            return dict(info[EPISODE_KEY])
    return None


class EpisodeSummaryCallback(RLlibCallback):
    """Logs each finished episode's summary (mean and p95 latency, accuracy, miss and drop rates, return...)
    under ``env_runners/rapgym/<key>``, averaged over the episodes of a training iteration.

    Pass it as ``config.callbacks(EpisodeSummaryCallback)``; it works for single- and multi-agent episodes.
    """

    def on_episode_end(self, *, episode: Any, metrics_logger: Any = None, **kwargs: Any) -> None:
        if metrics_logger is None:
            return
        summary = episode_summary_of(episode.get_infos(-1))
        if summary is None:
            return
        for key, value in summary.items():
            metrics_logger.log_value((METRICS_KEY, key), float(value), reduce="mean")
