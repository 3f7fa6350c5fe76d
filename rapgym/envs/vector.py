"""``MultiUserEndCloudVectorEnv``: M copies of the env stepped by one call of the slot kernel.

``gymnasium.make_vec("rapgym/MultiUserEndCloud-v0", num_envs=M, vectorization_mode="vector_entry_point",
**overrides)`` builds it. Every copy is the single env's simulator (:class:`~rapgym.sim.batch.SimulatorBatch`),
its observation, reward and info are built as the single env builds them (the same parser, the same
:mod:`rapgym.envs.step_info`), so copy ``m`` reset with seed ``s + m`` plays exactly the episode of
``MultiUserEndCloudEnv`` reset with seed ``s + m`` under the same actions.

- Spaces: the single env's, batched (``gymnasium.vector.utils.batch_space``); actions are Dicts of ``(M, N)``
  arrays.
- Autoreset: Gymnasium's default ``NEXT_STEP``: the step after a copy's last slot resets that copy (its row
  of the action is ignored) and reports reward 0, not terminated, not truncated and the reset's empty info.
- Seeding: ``reset(seed=s)`` seeds copy ``m`` with ``s + m``; a list gives each copy its own seed.
- Reset options: ``traces`` and ``arrivals``, each a list with one entry per copy (``None`` draws that
  copy's); ``reset_mask`` (``(M,)`` bool) resets only some copies. Everything is checked before any copy
  changes.
- ``obs["profile"]`` and ``obs["cut_mask"]`` are read-only views of the episode-constant tables broadcast
  over the copies, not copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space
from numba import njit

from rapgym.configs.scenario import ScenarioConfig, load_scenario
from rapgym.envs.inputs import RESET_OPTIONS, check_reset_options, parse_action
from rapgym.envs.multi_user_end_cloud import MAX_BANDWIDTH_MBPS, MAX_CLOUD_LOAD, MultiUserEndCloudEnv
from rapgym.envs.step_info import EPISODE_KEY, batch_step, batch_summaries
from rapgym.errors import ScenarioError
from rapgym.profiles.profile import DNNProfile
from rapgym.sim.batch import SimulatorBatch

__all__ = ["MultiUserEndCloudVectorEnv"]


@njit(cache=True)
def _observe(bandwidth: np.ndarray, slots: np.ndarray, cloud_load: np.ndarray, window: np.ndarray, load: np.ndarray
             ) -> None:
    """Each copy's window of its ``(M, N, H + T)`` float32 slot rates at its slot (``bandwidth[m, :, s:s + H]``),
    clipped at :data:`MAX_BANDWIDTH_MBPS` as ``np.minimum`` clips (a NaN stays), into ``window`` (``(M, N, H)``) and
    the float32 cloud-load observation (clipped at :data:`MAX_CLOUD_LOAD`) into ``load`` (``(M, 1)``). Both arrays
    C-contiguous; flat unsigned indices (no negative-index checks, no per-copy slices)."""
    num_copies, n, history = window.shape
    length = bandwidth.shape[2]
    src, dst = bandwidth.reshape(-1), window.reshape(-1)
    top = np.float32(MAX_BANDWIDTH_MBPS)
    k = np.uint64(0)
    for m in range(num_copies):
        start = np.uint64(m * n * length + slots[m])
        for _ in range(n):
            for h in range(history):
                rate = src[start + np.uint64(h)]
                dst[k] = top if rate > top else rate
                k += np.uint64(1)
            start += np.uint64(length)
        load[m, 0] = min(cloud_load[m], MAX_CLOUD_LOAD)


class MultiUserEndCloudVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` copies of :class:`~rapgym.envs.multi_user_end_cloud.MultiUserEndCloudEnv` (see the module
    docstring).

    Args:
        num_envs: number of copies ``M >= 1``.
        scenario: preset name, dict or ``ScenarioConfig`` (as the single env).
        profiles: one ``DNNProfile`` per user instead of the library's (shared by every copy).
        **overrides: scenario fields, validated.

    Raises:
        ScenarioError: ``num_envs`` not an integer ``>= 1``, or an invalid scenario.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 1, scenario: str | dict[str, Any] | ScenarioConfig = "default",
                 profiles: Sequence[DNNProfile] | None = None, **overrides: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise ScenarioError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        self.config = load_scenario(scenario, **overrides)
        single = MultiUserEndCloudEnv(self.config, profiles=profiles)
        self.num_envs = int(num_envs)
        self.num_users = self.config.num_users
        self.single_observation_space = single.observation_space
        self.single_action_space = single.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.batch = SimulatorBatch(self.config, self.num_envs, single.sim.profiles)
        m, cfg = self.num_envs, self.config
        shape = (m, *single.sim.features.shape)
        self._profile = np.broadcast_to(single.sim.features.astype(np.float32), shape)
        self._cut_mask = np.broadcast_to(single.sim.cut_mask, (m, *single.sim.cut_mask.shape))
        self._rngs: list[np.random.Generator | None] = [None] * m
        self._cloud_load = np.zeros(m)
        self._returns = np.zeros(m)
        self._autoreset = np.zeros(m, dtype=np.bool_)
        self._ones = np.ones((m, cfg.num_users))
        self._action_shape = (m, cfg.num_users)

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset the copies (all, or those of ``options["reset_mask"]``); see the module docstring."""
        options = dict(options or {})
        mask = self._reset_mask(options.pop("reset_mask", None))
        seeds = self._seeds(seed)
        per_copy = self._per_copy_options(options)
        rows = np.flatnonzero(mask)
        for k in rows:  # check every copy's replay before any copy changes
            if per_copy[k]:
                self.batch.simulator(k).check_replay(per_copy[k].get("traces"), per_copy[k].get("arrivals"))
        self._reset_copies(rows, seeds, per_copy)
        self._autoreset[mask] = False
        return self._observation(), {}

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray,
                                                    dict[str, Any]]:
        split, bits, compute, uplink = parse_action(actions, self._action_shape, self.config.shared_uplink)
        resetting = self._autoreset
        stepping = ~resetting
        self.batch.step(stepping, split, bits, compute, self._ones if uplink is None else uplink)
        rewards, truncated, infos = batch_step(self.batch, stepping, self._cloud_load, self._returns)
        if np.count_nonzero(truncated):  # cheaper than truncated.any()
            infos[EPISODE_KEY] = batch_summaries(self.batch, truncated, self._returns)
            infos[f"_{EPISODE_KEY}"] = truncated.copy()
        if np.count_nonzero(resetting):
            self._reset_copies(np.flatnonzero(resetting))
        self._autoreset = truncated.copy()
        return self._observation(), rewards, np.zeros(self.num_envs, dtype=np.bool_), truncated, infos

    # ------------------------------------------------------------------ helpers
    def _reset_copies(self, rows: np.ndarray, seeds: Sequence[int | None] | None = None,
                      options: Sequence[dict[str, Any]] | None = None) -> None:
        """Reset the copies ``rows`` (``int64``, ascending): copy ``k`` seeded with ``seeds[k]`` (or on its first reset)
        gets a new generator; a copy with ``options[k]`` resets alone, the others in one
        :meth:`SimulatorBatch.reset_copies` (each copy draws from its own generator, so the order does not matter)."""
        drawn = []
        for k in rows.tolist():
            if (seeds is not None and seeds[k] is not None) or self._rngs[k] is None:
                self._rngs[k], _ = seeding.np_random(None if seeds is None else seeds[k])
            if options is not None and options[k]:
                self.batch.reset_copy(k, self._rngs[k], traces=options[k].get("traces"),
                                      arrivals=options[k].get("arrivals"))
            else:
                drawn.append(k)
        self.batch.reset_copies(np.array(drawn, dtype=np.int64), [self._rngs[k] for k in drawn])
        self._cloud_load[rows] = 0.0
        self._returns[rows] = 0.0

    def _observation(self) -> dict[str, np.ndarray]:
        m, n = self._action_shape
        bandwidth = np.empty((m, n, self.config.history), dtype=np.float32)
        cloud_load = np.empty((m, 1), dtype=np.float32)
        _observe(self.batch.slot_rate_mbps, self.batch.slots, self._cloud_load, bandwidth, cloud_load)
        return {"bandwidth": bandwidth, "queue": self.batch.backlog.copy(), "profile": self._profile,
                "cut_mask": self._cut_mask, "cloud_load": cloud_load}

    def _reset_mask(self, mask: Any) -> np.ndarray:
        if mask is None:
            return np.ones(self.num_envs, dtype=np.bool_)
        array = np.asarray(mask)
        if array.shape != (self.num_envs,) or array.dtype != np.bool_:
            raise ScenarioError(f"reset option 'reset_mask' must be a bool array of shape ({self.num_envs},), got "
                                f"dtype {array.dtype} shape {array.shape}")
        return array

    def _seeds(self, seed: Any) -> list[int | None]:
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
            return [int(seed) + k for k in range(self.num_envs)]
        if isinstance(seed, list | tuple) and len(seed) == self.num_envs:
            return list(seed)
        raise ScenarioError(f"reset 'seed' must be None, an int (copy m gets seed + m) or a list of {self.num_envs} "
                            f"seeds, got {seed!r}")

    def _per_copy_options(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        """One single-env options dict per copy, each checked by :func:`check_reset_options`."""
        unknown = sorted(str(key) for key in options if key not in RESET_OPTIONS)
        if unknown:
            raise ScenarioError(f"unknown reset option(s) {unknown}; allowed: 'reset_mask', "
                                f"{', '.join(map(repr, RESET_OPTIONS))}")
        for key, values in options.items():
            if not isinstance(values, list | tuple) or len(values) != self.num_envs:
                got = f"length {len(values)}" if isinstance(values, list | tuple) else type(values).__name__
                raise ScenarioError(f"reset option {key!r} must be a list with one entry per copy ({self.num_envs}; "
                                    f"None draws that copy's), got {got}")
        per_copy = [{key: values[k] for key, values in options.items() if values[k] is not None}
                    for k in range(self.num_envs)]
        return [check_reset_options(o) for o in per_copy]
