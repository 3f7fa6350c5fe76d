"""An SB3 ``VecEnv`` over the native vector env: the copies step in one kernel call, with the project's encodings.

:class:`NativeVecEnv` is what ``DummyVecEnv([make_sb3_env(...)] * M)`` is, without M Python envs: observations
are encoded by the same :class:`~rapgym.envs.wrappers.NormalizedFlatObservation` and flat actions decoded by the
same action wrapper of :mod:`rapgym.learning.encodings` (of a template env that is never stepped), and SB3's
conventions hold: a finished copy is reset in the same step, its last observation in
``info["terminal_observation"]``, ``info["TimeLimit.truncated"]`` set. Wrap it in SB3's ``VecMonitor`` for
episode statistics. The ``hybrid`` encoding reads each copy's observation to decode its action, so it is
not offered here (train it with ``vec_env: dummy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from rapgym.configs.hyperparams import DEFAULT_SHARE_LEVELS
from rapgym.envs.vector import MultiUserEndCloudVectorEnv
from rapgym.errors import HyperparamsError
from rapgym.learning.encodings import encoding, make_sb3_env

__all__ = ["NativeVecEnv"]


def _unbatch(infos: dict[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """Each copy's info of a Gymnasium vector info (arrays with ``_key`` masks): ``(M,)`` entries as Python
    scalars, ``(M, ...)`` ones as rows; one pass per key, not per copy and key."""
    out: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        rows = np.flatnonzero(infos[f"_{key}"]).tolist()
        if isinstance(value, dict):
            column = _unbatch(value, num_envs)
        elif value.ndim == 1:
            column = value.tolist()
        else:
            column = value
        for k in rows:
            out[k][key] = column[k]
    return out


class NativeVecEnv(VecEnv):
    """``n_envs`` copies of ``scenario`` (with field ``overrides``) as ``algo`` trains on them.

    Raises:
        HyperparamsError: ``algo`` unknown, or an encoding that reads the observation (``hybrid``).
        ScenarioError: invalid scenario, override or ``n_envs``.
    """

    def __init__(self, algo: str, scenario: str = "default", n_envs: int = 1, share_levels: int = DEFAULT_SHARE_LEVELS,
                 **overrides: Any) -> None:
        if encoding(algo).reads_observation:
            raise HyperparamsError(f"algo {algo!r} decodes actions from each copy's observation; the native vector env "
                                   "offers 'ppo' and 'sac' (use vec_env: dummy)")
        self.vector = MultiUserEndCloudVectorEnv(n_envs, scenario, **overrides)
        self._decoder = make_sb3_env(algo, scenario, share_levels, **overrides)
        self._encoder = self._decoder.env
        super().__init__(n_envs, self._decoder.observation_space, self._decoder.action_space)
        self._actions: np.ndarray | None = None

    def _encode(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return np.stack([self._encoder.observation({key: value[k] for key, value in obs.items()})
                         for k in range(self.num_envs)])

    def reset(self) -> np.ndarray:
        seeds = None if all(s is None for s in self._seeds) else self._seeds
        obs, _ = self.vector.reset(seed=seeds)
        self._reset_seeds()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return self._encode(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        decoded = [self._decoder.action(a) for a in self._actions]
        obs, rewards, terminated, truncated, vector_infos = self.vector.step(
            {key: np.stack([d[key] for d in decoded]) for key in decoded[0]})
        dones = terminated | truncated
        infos = _unbatch(vector_infos, self.num_envs)
        encoded = self._encode(obs)
        if dones.any():
            for k in np.flatnonzero(dones):
                infos[k]["terminal_observation"] = encoded[k].copy()
            obs, _ = self.vector.reset(options={"reset_mask": dones})
            encoded[dones] = self._encode(obs)[dones]
        for k in range(self.num_envs):
            infos[k]["TimeLimit.truncated"] = bool(truncated[k] and not terminated[k])
        return encoded, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.vector.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.vector, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError(f"NativeVecEnv copies share one vector env; cannot set {attr_name!r} per copy")

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
        raise AttributeError(f"NativeVecEnv has no per-copy env to call {method_name!r} on")

    def env_is_wrapped(self, wrapper_class: type, indices: Sequence[int] | int | None = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))
