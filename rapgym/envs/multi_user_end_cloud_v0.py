"""PettingZoo view of the env: every user is an agent (optional extra ``marl``: ``pip install "rapgym[marl]"``).

``from rapgym.envs import multi_user_end_cloud_v0``; ``multi_user_end_cloud_v0.parallel_env(**kwargs)`` is a
``ParallelEnv`` and ``multi_user_end_cloud_v0.env(**kwargs)`` its AEC form (PettingZoo's ``parallel_to_aec``).
The keywords are the env's (``scenario``, ``render_mode``, any scenario field) plus ``per_user_reward``.

It wraps one :class:`~rapgym.envs.multi_user_end_cloud.MultiUserEndCloudEnv` (the same simulator; no second
copy of the dynamics). Agents ``user_0 .. user_{N-1}``:

* **observation** of ``user_i`` (``Dict``, the env's units): its own rows, ``bandwidth (H,)``, ``queue (3,)``,
  ``profile (Kmax+1, 3 + len(bits))``, ``cut_mask (Kmax+1,)``, and the context every user shares, ``cloud_load
  (1,)``;
* **action** of ``user_i`` (``Dict``): ``split`` and ``bits`` (``Discrete``), ``compute_share`` (``Box(0, 1,
  (1,))``, the raw share the env normalises over the uploading users) and, in shared-cell scenarios,
  ``uplink_share``;
* **reward**: by default every agent gets the env's shared reward ``-mean(cost)`` over all users' tasks of the
  slot; with ``per_user_reward=True`` agent ``i`` gets ``-info["user_cost"][i]``, the mean cost of its own
  tasks (0 in a slot where it had none);
* **infos**: agent ``i``'s entries of the env's per-user outcomes (``user_tasks``, ``user_cost``, ...), and on
  the last step the episode summary ``rapgym_episode``;
* episodes are truncated for every agent after ``episode_slots`` steps, never terminated.

An action dict missing an agent, naming an unknown one, or with a field out of its space raises
:class:`~rapgym.errors.ActionError` naming the agent. ``reset`` passes the env's reset options (``traces``,
``arrivals``) on and ignores any other key (PettingZoo's API test resets with arbitrary options).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from rapgym.envs.inputs import RESET_OPTIONS
from rapgym.envs.multi_user_end_cloud import MAX_CLOUD_LOAD, MultiUserEndCloudEnv
from rapgym.envs.step_info import EPISODE_KEY, USER_KEYS
from rapgym.errors import ActionError, MissingDependencyError

try:
    from pettingzoo import ParallelEnv
    from pettingzoo.utils.conversions import parallel_to_aec
except ImportError as exc:  # pragma: no cover - exercised by simulating the missing module
    raise MissingDependencyError('the PettingZoo view needs pettingzoo: pip install "rapgym[marl]"') from exc

__all__ = ["MultiUserEndCloudParallelEnv", "env", "parallel_env"]


class MultiUserEndCloudParallelEnv(ParallelEnv):
    """N users as N PettingZoo agents over one :class:`MultiUserEndCloudEnv` (see the module docstring)."""

    metadata = {"name": "multi_user_end_cloud_v0", "render_modes": ["ansi", "rgb_array"], "is_parallelizable": True,
                "render_fps": 10}

    def __init__(self, scenario: Any = "default", render_mode: str | None = None, per_user_reward: bool = False,
                 **overrides: Any) -> None:
        self.env = MultiUserEndCloudEnv(scenario, render_mode=render_mode, **overrides)
        self.render_mode = render_mode
        self.per_user_reward = per_user_reward
        n = self.env.num_users
        self.possible_agents = [f"user_{i}" for i in range(n)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        obs_space, act_space = self.env.observation_space, self.env.action_space
        self._shares = [key for key in ("compute_share", "uplink_share") if key in act_space.spaces]
        kmax1, nb = act_space["split"].nvec[0], act_space["bits"].nvec[0]
        self._observation_spaces = {agent: spaces.Dict({
            "bandwidth": _row_space(obs_space["bandwidth"]),
            "queue": _row_space(obs_space["queue"]),
            "profile": _row_space(obs_space["profile"]),
            "cut_mask": _row_space(obs_space["cut_mask"]),
            "cloud_load": spaces.Box(0.0, MAX_CLOUD_LOAD, (1,), np.float32),
        }) for agent in self.possible_agents}
        self._action_spaces = {agent: spaces.Dict({
            "split": spaces.Discrete(int(kmax1)), "bits": spaces.Discrete(int(nb)),
            **{key: spaces.Box(0.0, 1.0, (1,), np.float32) for key in self._shares},
        }) for agent in self.possible_agents}

    def observation_space(self, agent: str) -> spaces.Dict:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Dict:
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
        env_options = {key: value for key, value in (options or {}).items() if key in RESET_OPTIONS}
        obs, _ = self.env.reset(seed=seed, options=env_options)
        self.agents = list(self.possible_agents)
        return self._split_observation(obs), {agent: {} for agent in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("step() called after the episode was truncated; call reset()")
        obs, reward, terminated, truncated, info = self.env.step(self._join_actions(actions))
        agents = self.agents
        if self.per_user_reward:
            rewards = {agent: -float(info["user_cost"][self._index[agent]]) for agent in agents}
        else:
            rewards = dict.fromkeys(agents, float(reward))
        infos = {}
        for agent in agents:
            i = self._index[agent]
            infos[agent] = {key: info[key][i].item() for key in USER_KEYS}
            if EPISODE_KEY in info:
                infos[agent][EPISODE_KEY] = info[EPISODE_KEY]
        observations = self._split_observation(obs)
        terminations = dict.fromkeys(agents, bool(terminated))
        truncations = dict.fromkeys(agents, bool(truncated))
        if terminated or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:
        return self.env.render()

    def close(self) -> None:
        self.env.close()

    # ------------------------------------------------------------------ helpers
    def _split_observation(self, obs: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        return {agent: {"bandwidth": obs["bandwidth"][i], "queue": obs["queue"][i], "profile": obs["profile"][i],
                        "cut_mask": obs["cut_mask"][i], "cloud_load": obs["cloud_load"]}
                for i, agent in enumerate(self.possible_agents)}

    def _join_actions(self, actions: dict[str, Any]) -> dict[str, np.ndarray]:
        """The env's Dict action from one action per live agent, each checked against its space."""
        if not isinstance(actions, dict):
            raise ActionError(f"actions must be a dict with one action per agent {self.agents}, got {type(actions).__name__}")
        unknown = [agent for agent in actions if agent not in self.agents]
        if unknown:
            raise ActionError(f"action for unknown agent {unknown[0]!r}; agents: {', '.join(self.agents)}")
        missing = [agent for agent in self.agents if agent not in actions]
        if missing:
            raise ActionError(f"no action for agent {missing[0]!r}; every agent must act: {', '.join(self.agents)}")
        n = len(self.possible_agents)
        joined = {"split": np.zeros(n, np.int64), "bits": np.zeros(n, np.int64),
                  **{key: np.zeros(n, np.float32) for key in self._shares}}
        for agent, action in actions.items():
            space = self._action_spaces[agent]
            if not isinstance(action, dict) or set(action) != set(space.spaces):
                raise ActionError(f"action of agent {agent!r} must be a dict with keys {sorted(space.spaces)}, got {action!r}")
            i = self._index[agent]
            for key in ("split", "bits"):
                value = np.asarray(action[key])
                if value.size != 1 or value.dtype.kind not in "iu" or not 0 <= value.item() < space[key].n:
                    raise ActionError(f"action of agent {agent!r}: field {key!r} must be an integer in "
                                      f"[0, {space[key].n - 1}], got {action[key]!r}")
                joined[key][i] = value.item()
            for key in self._shares:
                value = np.asarray(action[key], dtype=np.float64)
                if value.size != 1 or not 0.0 <= value.item() <= 1.0:
                    raise ActionError(f"action of agent {agent!r}: field {key!r} must be one float in [0, 1], "
                                      f"got {action[key]!r}")
                joined[key][i] = value.item()
        return joined


def _row_space(space: spaces.Box) -> spaces.Box:
    """One user's row of an ``(N, ...)`` Box of the env."""
    return spaces.Box(space.low[0], space.high[0], space.shape[1:], space.dtype)


def parallel_env(**kwargs: Any) -> MultiUserEndCloudParallelEnv:
    """The ``ParallelEnv``; ``kwargs``: ``scenario``, ``render_mode``, ``per_user_reward``, any scenario field."""
    return MultiUserEndCloudParallelEnv(**kwargs)


def env(**kwargs: Any) -> Any:
    """The AEC form of :func:`parallel_env` (PettingZoo's ``parallel_to_aec``)."""
    return parallel_to_aec(parallel_env(**kwargs))
