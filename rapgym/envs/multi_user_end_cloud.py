"""``rapgym/MultiUserEndCloud-v0``: N mobile users split a DNN between device and a shared cloud."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec

from rapgym.configs.scenario import ScenarioConfig, load_scenario
from rapgym.envs.inputs import check_reset_options, parse_action
from rapgym.envs.rendering import render_ansi, render_rgb
from rapgym.envs.step_info import EPISODE_KEY, episode_summary, slot_info
from rapgym.errors import ScenarioError
from rapgym.profiles.profile import DNNProfile
from rapgym.sim.layout import NUM_STAGES, STAT_CLOUD_WORK_S, STAT_COST_SUM, STAT_TASKS
from rapgym.sim.simulator import Simulator
from rapgym.traces.trace import BandwidthTrace

__all__ = ["MultiUserEndCloudEnv"]

MAX_BANDWIDTH_MBPS = 1e5
"""Upper bound of the bandwidth observation, Mbit/s (100 Gbit/s); larger samples are clipped."""

MAX_CLOUD_LOAD = 100.0
"""Upper bound of the cloud-load observation; larger values are clipped."""


class MultiUserEndCloudEnv(gym.Env):
    """
    ## Description

    Each of ``N`` mobile users runs a DNN on a stream of frames. Every slot of ``dt_s`` seconds the agent
    picks, per user, a **cut** (blocks ``1..k`` run on the device, the rest in the cloud), a **bit width**
    for the uploaded tensor, and **shares** of the cloud's compute (and of the uplink cell in
    shared-uplink scenarios). Tasks flow through a device -> uplink -> cloud pipeline of exact FIFO
    queues; the uplink follows a bandwidth trace (synthetic or real) exactly, through drops and outages.
    The system model is ``docs/model.md`` §1-3; RAP / JM-MPRA are our formulation (§4) after the TMC 2024
    abstract [1]; the cut model follows Neurosurgeon [2]; the real uplink traces are [3-7].

    ## Action Space

    `Dict`:

    | key | space | meaning |
    |---|---|---|
    | `split` | `MultiDiscrete([Kmax+1] * N)` | cut per user: 0 = cloud-only, `K_i` = device-only. An index above the user's own `K_i` (padding, for models with fewer cuts) means device-only. |
    | `bits` | `MultiDiscrete([len(bits)] * N)` | index into the scenario's `bits` (e.g. 32, 16, 8, 4, 2); ignored at cloud-only and device-only cuts |
    | `compute_share` | `Box(0, 1, (N,))` | raw cloud share; normalised over the users that upload as `max(s, min_share) / sum` (all zero -> equal shares) |
    | `uplink_share` | `Box(0, 1, (N,))` | only when `shared_uplink`: share of the cell, normalised like `compute_share` |

    ## Observation Space

    `Dict` in physical units (use `rapgym.envs.wrappers.NormalizedFlatObservation` for learning):

    | key | shape | unit | meaning |
    |---|---|---|---|
    | `bandwidth` | `(N, H)` | Mbit/s | measured uplink capacity of each of the last `H` slots, oldest first (history only; clipped at 1e5) |
    | `queue` | `(N, 3)` | s | remaining device / uplink / cloud work of each user at the slot start (at most `max_backlog_s`) |
    | `profile` | `(N, Kmax+1, 3 + len(bits))` | s, s, bytes, pp | per cut: device latency (device factor applied), cloud latency on the whole cloud, fp32 bytes crossing, accuracy loss per bit width; zero where padded |
    | `cut_mask` | `(N, Kmax+1)` | 0/1 (int8 `Box(0, 1)`) | 1 where the cut exists for the user's model |
    | `cloud_load` | `(1,)` | - | cloud work offered in the last slot / slot length (clipped at 100) |

    ## Rewards

    For each task of the slot, `cost = latency / latency_ref_s + acc_weight * acc_loss + miss_penalty *
    [latency > deadline]`; a dropped task costs `drop_penalty`. The reward is `-mean(cost)` over the
    tasks that arrived in the slot, 0 if none. The latency of a task is exact at dispatch, so the
    reward belongs to the action that caused it.

    ## Starting State

    Empty queues at `t = 0`; every `reset` draws new uplink traces (or picks real ones), a random start
    offset in each, and the arrival phases (periodic) or times (Poisson) from the env's RNG.

    ## Episode End

    Never terminated; truncated after `episode_slots` slots (the env truncates itself, so the registered
    spec has no `max_episode_steps`). The last step's `info["rapgym_episode"]` holds the episode summary
    (tasks, mean / p95 latency, mean accuracy, deadline-miss and drop rates, return, slots); its own key, so
    Gymnasium's `RecordEpisodeStatistics` and SB3's `Monitor` can add their `info["episode"]` beside it.
    Every step's `info` also holds per-user `(N,)` arrays of the slot's outcomes: `user_tasks`, `user_cost`
    (mean cost of the user's tasks, 0 if none), `user_mean_latency_s`, `user_dropped`, `user_deadline_misses`.

    ## Arguments

    | argument | default | meaning |
    |---|---|---|
    | `scenario` | `"default"` | preset name (`rapgym.configs.scenario.available_scenarios()`), dict or `ScenarioConfig` |
    | `render_mode` | `None` | `"ansi"` or `"rgb_array"` |
    | `profiles` | `None` | one `DNNProfile` per user instead of the library's |
    | `**overrides` | | any scenario field, e.g. `num_users=8, deadline_s=[0.2]` (validated) |

    ## Example

    >>> import gymnasium as gym
    >>> import rapgym
    >>> env = gym.make("rapgym/MultiUserEndCloud-v0", scenario="default", num_users=2, episode_slots=3)
    >>> obs, info = env.reset(seed=0)
    >>> obs["queue"].shape
    (2, 3)
    >>> for _ in range(3):
    ...     obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> truncated, sorted(info["rapgym_episode"])[:3]
    (True, ['deadline_miss_rate', 'drop_rate', 'mean_accuracy'])

    ## Version History

    * v0: initial version.

    ## References

    1. "Real-Time Adaptive Partition and Resource Allocation for Multi-User End-Cloud Inference Collaboration
       in Mobile Environment", IEEE Transactions on Mobile Computing, 2024, doi:10.1109/TMC.2024.3430103.
    2. Y. Kang et al., "Neurosurgeon: Collaborative Intelligence Between the Cloud and Mobile Edge",
       ASPLOS 2017.
    3. H. Riiser, P. Vigmostad, C. Griwodz, P. Halvorsen, "Commute Path Bandwidth Traces from 3G Networks:
       Analysis and Applications", ACM MMSys 2013 (set ``norway_hsdpa_3g``).
    4. L. Mei, R. Hu, H. Cao, Y. Liu, Z. Han, F. Li, J. Li, "Realtime Mobile Bandwidth Prediction using LSTM
       Neural Networks", PAM 2019 (set ``nyu_mets_lte``).
    5. A. Narayanan et al., "Lumos5G: Mapping and Predicting Commercial mmWave 5G Throughput", ACM IMC 2020
       (sets ``lumos5g_4g``, ``lumos5g_5g``).
    6. K. Winstein, A. Sivaraman, H. Balakrishnan, "Stochastic Forecasts Achieve High Throughput and Low Delay
       over Cellular Networks", USENIX NSDI 2013 (set ``mahimahi_uplink``).
    7. D. Raca, D. Leahy, C. J. Sreenan, J. J. Quinlan, "Beyond Throughput, The Next Generation: A 5G Dataset
       with Channel and Context Metrics", ACM MMSys 2020 (set ``irish_5g``).

    Each trace set's origin and license: :data:`rapgym.traces.sets.TRACE_SETS`.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 10}
    _spec: EnvSpec | None = None

    def __init__(self, scenario: str | dict[str, Any] | ScenarioConfig = "default", render_mode: str | None = None,
                 profiles: Sequence[DNNProfile] | None = None, **overrides: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ScenarioError(f"render_mode {render_mode!r} unknown; allowed: None, 'ansi', 'rgb_array'")
        self.config = load_scenario(scenario, **overrides)
        self.sim = Simulator(self.config, profiles)
        self.render_mode = render_mode
        cfg, sim = self.config, self.sim
        n, kmax1, nb = cfg.num_users, sim.features.shape[1], len(cfg.bits)
        self.num_users = n
        action = {
            "split": spaces.MultiDiscrete(np.full(n, kmax1, dtype=np.int64)),
            "bits": spaces.MultiDiscrete(np.full(n, nb, dtype=np.int64)),
            "compute_share": spaces.Box(0.0, 1.0, (n,), np.float32),
        }
        if cfg.shared_uplink:
            action["uplink_share"] = spaces.Box(0.0, 1.0, (n,), np.float32)
        self.action_space = spaces.Dict(action)
        self._profile_obs = sim.features.astype(np.float32)
        self.observation_space = spaces.Dict({
            "bandwidth": spaces.Box(0.0, MAX_BANDWIDTH_MBPS, (n, cfg.history), np.float32),
            "queue": spaces.Box(0.0, cfg.max_backlog_s, (n, NUM_STAGES), np.float32),
            "profile": spaces.Box(0.0, float(self._profile_obs.max()), sim.features.shape, np.float32),
            "cut_mask": spaces.Box(0, 1, (n, kmax1), np.int8),
            "cloud_load": spaces.Box(0.0, MAX_CLOUD_LOAD, (1,), np.float32),
        })
        self._ones = np.ones(n)
        self._action_shape = (n,)
        self._shared_uplink = bool(cfg.shared_uplink)
        self._cut_mask = sim.cut_mask
        self._dt, self._history, self._episode_slots = cfg.dt_s, cfg.history, cfg.episode_slots
        self._cloud_load = 0.0
        self._return = 0.0
        self._last_action: tuple[np.ndarray, np.ndarray] | None = None
        self._load_obs = np.zeros(1, dtype=np.float32)
        """The ``cloud_load`` observation's template (a copy with its value set is cheaper than ``np.array``)."""

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode.

        ``options`` may hold ``"traces"`` (one :class:`BandwidthTrace` per uplink, used from t = 0) and
        ``"arrivals"`` (sorted arrival times per user, s) to replace the random draws, e.g. to replay a
        recorded episode.
        """
        super().reset(seed=seed)
        options = check_reset_options(options)
        traces: Sequence[BandwidthTrace] | None = options.get("traces")
        self.sim.reset(self.np_random, traces=traces, arrivals=options.get("arrivals"))
        self._bandwidth = np.minimum(self.sim.slot_rate_mbps, MAX_BANDWIDTH_MBPS)
        self._cloud_load = 0.0
        self._return = 0.0
        self._last_action = None
        return self._observation(), {}

    def step(self, action: dict[str, Any]) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        sim = self.sim
        if sim.slot >= self._episode_slots:
            raise RuntimeError("step() called after the episode was truncated; call reset()")
        split, bits, compute, uplink = parse_action(action, self._action_shape, self._shared_uplink)
        stats = sim.advance(split, bits, compute, self._ones if uplink is None else uplink)
        tasks = stats[STAT_TASKS]
        reward = -stats[STAT_COST_SUM] / tasks if tasks > 0 else 0.0
        self._cloud_load = cloud_load = stats[STAT_CLOUD_WORK_S] / self._dt
        self._return += reward
        self._last_action = (split, bits)
        info = slot_info(stats, self._dt, cloud_load, sim=sim)
        truncated = sim.slot >= self._episode_slots
        if truncated:
            info[EPISODE_KEY] = self.episode_summary()
        return self._observation(), float(reward), False, truncated, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return render_ansi(self)
        if self.render_mode == "rgb_array":
            return render_rgb(self)
        return None

    # ------------------------------------------------------------------ spec
    @property
    def spec(self) -> EnvSpec | None:
        """The Gymnasium spec ``gym.make`` set (``None`` when built directly)."""
        return self._spec

    @spec.setter
    def spec(self, spec: EnvSpec | None) -> None:
        # a ScenarioConfig in the kwargs is stored as its dict, which builds the same env and keeps to_json() working
        scenario = spec.kwargs.get("scenario") if spec is not None else None
        if isinstance(scenario, ScenarioConfig):
            spec = replace(spec, kwargs={**spec.kwargs, "scenario": scenario.model_dump(mode="json")})
        self._spec = spec

    # ------------------------------------------------------------------ read-only state
    @property
    def cloud_load(self) -> float:
        """Cloud work offered in the last slot / slot length (unclipped; 0 after ``reset``)."""
        return self._cloud_load

    @property
    def last_action(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(split, bits_idx)`` of the last step's action, ``(N,)`` each (``None`` after ``reset``); do not modify."""
        return self._last_action

    # ------------------------------------------------------------------ helpers
    def _observation(self) -> dict[str, np.ndarray]:
        sim = self.sim
        t = sim.slot
        load = self._load_obs.copy()
        load[0] = min(self._cloud_load, MAX_CLOUD_LOAD)  # float32 rounding, as np.array([...], dtype=np.float32)
        return {
            "bandwidth": self._bandwidth[:, t:t + self._history].copy(),
            "queue": sim.backlog.copy(),
            "profile": self._profile_obs.copy(),
            "cut_mask": self._cut_mask.copy(),
            "cloud_load": load,
        }

    def episode_summary(self) -> dict[str, float]:
        """Metrics over every task that arrived so far in the episode (:func:`rapgym.envs.step_info.episode_summary`)."""
        return episode_summary(self.sim, self._return)
