"""Wrappers that make the Dict env learnable by Stable-Baselines3 (flat observations and actions), and the
learner-ready envs registered as ``rapgym/MultiUserEndCloudFlat-v0`` and ``rapgym/MultiUserEndCloudBox-v0``.

Which algorithm learns on which action wrapper, and the env each one trains on, is
:mod:`rapgym.learning.encodings`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numba import njit

from rapgym.configs.hyperparams import DEFAULT_SHARE_LEVELS
from rapgym.configs.scenario import ScenarioConfig
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ActionError, HyperparamsError
from rapgym.sim.layout import COL_ACC_LOSS, COL_CLOUD_S, COL_DEVICE_S, COL_TX

__all__ = ["BoxAction", "FlatMultiDiscreteAction", "NormalizedFlatObservation", "make_box_env", "make_flat_env"]

OBS_CLIP = 10.0
"""Bound of every normalised observation entry."""

_LOG1P_1000 = float(np.log1p(1000.0))


class NormalizedFlatObservation(gym.ObservationWrapper):
    """Flattens the Dict observation into one float32 vector of O(1) scale.

    Order: bandwidth ``log1p(Mbit/s) / log1p(1000)``; queue ``s / max_backlog_s``; profile (device and cloud
    seconds over ``latency_ref_s`` through ``log1p``, bytes as ``log1p(bytes) / 20``, accuracy loss over
    10 pp); the cut mask as is; the cloud load as is. Every entry is clipped to ``[-10, 10]``.

    The profile and cut mask are constant over an episode (``docs/model.md`` §3), so their normalised block is
    computed from the observation of ``reset`` and reused by every ``step`` of that episode; a direct call of
    :meth:`observation` (e.g. to convert observations of another env) reuses it only for an equal profile and
    mask. The output is bit-identical to normalising every entry anew.
    With ``compact=True`` they are left out: ``N * (H + 3) + 1`` entries, for learners that do not need the
    users' cut tables in every observation (the model behind each user index is fixed by the scenario).
    """

    def __init__(self, env: gym.Env, compact: bool = False) -> None:
        super().__init__(env)
        cfg = env.unwrapped.config
        self._lat_ref = cfg.latency_ref_s
        self.compact = compact
        sizes = {key: int(np.prod(space.shape)) for key, space in env.observation_space.spaces.items()}
        self._bw_end = sizes["bandwidth"]
        self._queue_end = self._bw_end + sizes["queue"]
        self._static_end = self._queue_end + (0 if compact else sizes["profile"] + sizes["cut_mask"])
        self._size = self._static_end + sizes["cloud_load"]
        self._backlog32 = np.float32(cfg.max_backlog_s)
        self._static = np.empty(0, np.float32)
        self._static_from = (np.empty((0,) * 3, np.float32), np.empty((0,) * 2, np.int8))  # (profile, cut_mask)
        self._episode_static = False  # whether the block is the current episode's (set by reset)
        self.observation_space = spaces.Box(-OBS_CLIP, OBS_CLIP, (self._size,), np.float32)

    def _set_static(self, profile: np.ndarray, cut_mask: np.ndarray) -> None:
        """Normalise the profile and cut mask into the flat, clipped block, and remember what it came from."""
        lat = np.log1p(profile[..., COL_DEVICE_S:COL_CLOUD_S + 1] / self._lat_ref)
        tx = np.log1p(profile[..., COL_TX:COL_TX + 1]) / 20.0
        acc = profile[..., COL_ACC_LOSS:] / 10.0
        block = np.concatenate([np.concatenate([lat, tx, acc], axis=-1).ravel(), cut_mask.ravel()])
        self._static = np.clip(block.astype(np.float32), -OBS_CLIP, OBS_CLIP)
        self._static_from = (profile.copy(), cut_mask.copy())

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        if not self.compact:
            self._set_static(obs["profile"], obs["cut_mask"])
        self._episode_static = True
        return self._flatten(obs, episode_static=True), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._flatten(obs, episode_static=self._episode_static), reward, terminated, truncated, info

    def observation(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return self._flatten(obs, episode_static=False)

    def _flatten(self, obs: dict[str, np.ndarray], episode_static: bool) -> np.ndarray:
        """The flat vector; ``episode_static``: ``obs`` belongs to the episode the cached block was made for."""
        flat = np.empty(self._size, np.float32)
        log1p_bandwidth, queue, cloud_load = np.log1p(obs["bandwidth"]), obs["queue"], obs["cloud_load"]
        if self.compact or episode_static:
            _fill_flat(log1p_bandwidth, queue, cloud_load, self._static, self._backlog32, flat)
            return flat
        profile, cut_mask = obs["profile"], obs["cut_mask"]
        cached_profile, cached_mask = self._static_from
        # the cached block is used only for an equal profile and mask of the same dtypes (the fill checks values)
        if (profile.dtype is not cached_profile.dtype or cut_mask.dtype is not cached_mask.dtype
                or not _fill_flat_if_same(log1p_bandwidth, queue, cloud_load, self._static, cached_profile, cached_mask,
                                          profile, cut_mask, self._backlog32, flat)):
            self._set_static(profile, cut_mask)
            _fill_flat(log1p_bandwidth, queue, cloud_load, self._static, self._backlog32, flat)
        return flat


@njit(cache=True)
def _fill_flat_if_same(log1p_bandwidth: np.ndarray, queue: np.ndarray, cloud_load: np.ndarray, static: np.ndarray,
                       static_profile: np.ndarray, static_mask: np.ndarray, profile: np.ndarray, cut_mask: np.ndarray,
                       max_backlog_s: np.float32, out: np.ndarray) -> bool:
    """:func:`_fill_flat` if ``profile`` and ``cut_mask`` equal those ``static`` came from; else False, ``out`` unset."""
    if profile.shape != static_profile.shape or cut_mask.shape != static_mask.shape:
        return False
    new, old = profile.ravel(), static_profile.ravel()
    for i in range(new.shape[0]):
        if new[i] != old[i]:
            return False
    new_mask, old_mask = cut_mask.ravel(), static_mask.ravel()
    for i in range(new_mask.shape[0]):
        if new_mask[i] != old_mask[i]:
            return False
    _fill_flat(log1p_bandwidth, queue, cloud_load, static, max_backlog_s, out)
    return True


@njit(cache=True)
def _fill_flat(log1p_bandwidth: np.ndarray, queue: np.ndarray, cloud_load: np.ndarray, static: np.ndarray,
               max_backlog_s: np.float32, out: np.ndarray) -> None:
    """``out = clip([log1p_bandwidth / log1p(1000), queue / max_backlog_s, static, cloud_load])`` in one call, with
    numpy's dtypes: the bandwidth quotient in float64 rounded to float32, the queue quotient in float32."""
    j = 0
    for x in log1p_bandwidth.ravel():
        out[j] = np.float32(np.float64(x) / _LOG1P_1000)
        j += 1
    for x in queue.ravel():
        out[j] = np.float32(x) / max_backlog_s
        j += 1
    for x in static:
        out[j] = x
        j += 1
    for x in cloud_load.ravel():
        out[j] = x
        j += 1
    for i in range(out.shape[0]):
        if out[i] > OBS_CLIP:
            out[i] = OBS_CLIP
        elif out[i] < -OBS_CLIP:
            out[i] = -OBS_CLIP


@njit(cache=True)
def _level_shares(levels: np.ndarray, num_users: int, num_levels: int) -> np.ndarray:
    """``((levels + 1) / num_levels)`` as float32 rows of ``num_users`` (the quotient in float64, then rounded)."""
    out = np.empty((levels.shape[0] // num_users, num_users), np.float32)
    for j in range(levels.shape[0]):
        out[j // num_users, j % num_users] = np.float32((levels[j] + 1.0) / num_levels)
    return out


@njit(cache=True)
def _decode_box(x: np.ndarray, split_n: np.ndarray, bits_n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split and bit indices and float32 share rows of a Box action (NaN -> 0, clipped to [-1, 1])."""
    n = split_n.shape[0]
    split = np.empty(n, np.int64)
    bits = np.empty(n, np.int64)
    shares = np.empty((x.shape[0] // n - 2, n), np.float32)
    for j in range(x.shape[0]):
        v = np.float64(x[j])
        if np.isnan(v):
            v = 0.0
        u = (min(max(v, -1.0), 1.0) + 1.0) / 2.0
        if j < n:
            split[j] = np.int64(min(u * split_n[j], split_n[j] - 1))
        elif j < 2 * n:
            bits[j - n] = np.int64(min(u * bits_n[j - n], bits_n[j - n] - 1))
        else:
            shares[j // n - 2, j % n] = np.float32(u)
    return split, bits, shares


def _dict_action(split: np.ndarray, bits: np.ndarray, shares: np.ndarray, shared_uplink: bool) -> dict[str, np.ndarray]:
    """The Dict action; ``shares`` are float32 rows (compute, uplink), the dtype of the Dict space's Box."""
    action = {"split": split, "bits": bits, "compute_share": shares[0]}
    if shared_uplink:
        action["uplink_share"] = shares[1]
    return action


class FlatMultiDiscreteAction(gym.ActionWrapper):
    """One ``MultiDiscrete`` vector for PPO: ``[split]*N + [bits]*N + [share level]*N (+ uplink levels)``.

    A share level ``l`` in ``0..levels-1`` decodes to the raw share ``(l + 1) / levels``.
    """

    def __init__(self, env: gym.Env, share_levels: int = DEFAULT_SHARE_LEVELS) -> None:
        super().__init__(env)
        if share_levels < 1:
            raise HyperparamsError(f"key 'share_levels' must be >= 1, got {share_levels}")
        base = env.unwrapped
        n = base.num_users
        self._n = n
        self._levels = share_levels
        self._shared = base.config.shared_uplink
        dict_space = env.action_space.spaces
        nvec = [dict_space["split"].nvec, dict_space["bits"].nvec, np.full(n, share_levels)]
        if self._shared:
            nvec.append(np.full(n, share_levels))
        self.action_space = spaces.MultiDiscrete(np.concatenate(nvec).astype(np.int64))
        self._shape = self.action_space.shape

    def action(self, action: np.ndarray) -> dict[str, np.ndarray]:
        a = np.asarray(action, dtype=np.int64)
        if a.shape != self._shape:
            raise ActionError(f"flat MultiDiscrete action has shape {a.shape}; expected {self._shape}")
        n = self._n
        return _dict_action(a[:n], a[n:2 * n], _level_shares(a[2 * n:], n, self._levels), self._shared)


class BoxAction(gym.ActionWrapper):
    """One ``Box(-1, 1)`` vector for SAC: per user split, bits, compute share (and uplink share).

    ``x`` in ``[-1, 1]`` decodes to the index ``floor((x + 1) / 2 * n)`` clipped to ``n - 1`` for the
    discrete fields, and to the raw share ``(x + 1) / 2`` for shares.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        base = env.unwrapped
        self._n = base.num_users
        self._shared = base.config.shared_uplink
        dict_space = env.action_space.spaces
        self._split_n = dict_space["split"].nvec.astype(np.float64)
        self._bits_n = dict_space["bits"].nvec.astype(np.float64)
        width = 4 if self._shared else 3
        self.action_space = spaces.Box(-1.0, 1.0, (width * self._n,), np.float32)
        self._shape = self.action_space.shape

    def action(self, action: np.ndarray) -> dict[str, np.ndarray]:
        a = np.asarray(action)
        if a.shape != self._shape or a.dtype.kind not in "fiub":
            raise ActionError(f"Box action has shape {a.shape} and dtype {a.dtype}; expected {self._shape}, floats")
        split, bits, shares = _decode_box(a, self._split_n, self._bits_n)
        return _dict_action(split, bits, shares, self._shared)


def make_flat_env(scenario: str | dict[str, Any] | ScenarioConfig = "default", compact: bool = False,
                  share_levels: int = DEFAULT_SHARE_LEVELS, **env_kwargs: Any) -> gym.Env:
    """``rapgym/MultiUserEndCloudFlat-v0``: normalised flat ``Box`` observation, one ``MultiDiscrete`` action.

    ``env_kwargs`` are the env's (``render_mode``, ``profiles``, any scenario field).
    """
    base = MultiUserEndCloudEnv(scenario, **env_kwargs)
    return FlatMultiDiscreteAction(NormalizedFlatObservation(base, compact=compact), share_levels)


def make_box_env(scenario: str | dict[str, Any] | ScenarioConfig = "default", compact: bool = False,
                 **env_kwargs: Any) -> gym.Env:
    """``rapgym/MultiUserEndCloudBox-v0``: normalised flat ``Box`` observation, one ``Box(-1, 1)`` action."""
    return BoxAction(NormalizedFlatObservation(MultiUserEndCloudEnv(scenario, **env_kwargs), compact=compact))
