"""The multi-user end-cloud simulator: scenario -> profiles, traces, arrivals, queues (no gymnasium).

``Simulator`` owns the episode's random draws (uplink traces, their start offsets, arrivals) and the
queue state, and advances one slot per :meth:`Simulator.step` through the numba kernel of
:mod:`rapgym.sim.pipeline`; :meth:`Simulator.score_actions` scores candidate actions of the current slot
on a copy of the state (used by the clairvoyant oracle). The environment adds only the Gymnasium
interface on top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numba
import numpy as np
from numba import njit, typed, types
from numba.experimental import structref

from rapgym.configs.scenario import ScenarioConfig
from rapgym.errors import ActionError, ProfileError, ScenarioError, TraceError
from rapgym.profiles.library import load_profile
from rapgym.profiles.profile import DNNProfile
from rapgym.sim import pipeline
from rapgym.sim.arrivals import draw_arrivals, episode_arrivals, max_arrivals
from rapgym.sim.layout import COL_ACC_LOSS, COL_CLOUD_S, COL_DEVICE_S, COL_TX, NUM_STAGES, NUM_STATS, SlotStats
from rapgym.sim.pipeline import EpisodeDraw, QueueState, SlotOutputs, SystemModel
from rapgym.traces.capacity import slot_rates_mbps
from rapgym.traces.generators import GeneratorList, synthetic_rates
from rapgym.traces.sources import PackedTraces, pack_samples, synthetic_draw, uplink_drawer
from rapgym.traces.trace import BandwidthTrace

__all__ = ["KernelState", "Simulator", "draw_episode", "kernel_state"]

_INT64, _FLOAT64 = np.dtype(np.int64), np.dtype(np.float64)

_STATUS_FIELD = {
    pipeline.STATUS_BAD_SPLIT: "split",
    pipeline.STATUS_BAD_BITS: "bits",
    pipeline.STATUS_BAD_COMPUTE_SHARE: "compute_share",
    pipeline.STATUS_BAD_UPLINK_SHARE: "uplink_share",
}


def load_user_profiles(config: ScenarioConfig) -> list[DNNProfile]:
    """The profile of each user: ``config.models`` cycled, on ``config.device`` / ``config.cloud``."""
    cache: dict[str, DNNProfile] = {}
    out = []
    for model in config.per_user("models"):
        if model not in cache:
            cache[model] = load_profile(model, device=config.device, cloud=config.cloud, bits=tuple(config.bits))
        out.append(cache[model])
    return out


@njit(cache=True)
def _task_users(arr_ptr: np.ndarray) -> np.ndarray:
    """The user of each task of arrivals packed as ``arr_ptr`` (``np.repeat(np.arange(N), np.diff(arr_ptr))``, which
    copies one element at a time)."""
    out = np.empty(arr_ptr[-1], dtype=np.int64)
    for i in range(arr_ptr.shape[0] - 1):
        out[arr_ptr[i]:arr_ptr[i + 1]] = i
    return out


@structref.register
class KernelStateType(types.StructRef):
    """numba type of :class:`KernelState`."""

    def preprocess_fields(self, fields: tuple) -> tuple:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class KernelState(structref.StructRefProxy):
    """The kernel's arguments that stay the same between resets (``model``, ``draw``, ``queues``, ``out``; one copy's
    or, in :class:`rapgym.sim.batch.SimulatorBatch`, every copy's) in one numba object: a step passes one pointer
    instead of unboxing ~30 arrays and scalars (~5 us, more than a slot of 8 users)."""


structref.define_proxy(KernelState, KernelStateType, ["model", "draw", "queues", "out"])

_END_MODEL = len(SystemModel._fields)
_END_DRAW = _END_MODEL + len(EpisodeDraw._fields)
_END_QUEUES = _END_DRAW + len(QueueState._fields)


@njit(cache=True)
def kernel_state(*fields: object) -> KernelState:
    """The :class:`KernelState` of the fields of ``(model, draw, queues, out)``, flattened in that order (array
    arguments take the dispatcher's fast path; NamedTuples would be typed in Python, element by element)."""
    return KernelState(SystemModel(*fields[:_END_MODEL]), EpisodeDraw(*fields[_END_MODEL:_END_DRAW]),
                        QueueState(*fields[_END_DRAW:_END_QUEUES]), SlotOutputs(*fields[_END_QUEUES:]))


@njit(cache=True, _nrt=False, error_model="numpy")
def _run_slot(t0: float, t1: float, model: SystemModel, draw: EpisodeDraw, split: np.ndarray, bits_idx: np.ndarray,
              compute_share: np.ndarray, uplink_share: np.ndarray, queues: QueueState, out: SlotOutputs) -> int:
    """:func:`pipeline.run_slot` (inlined) compiled with the options of pipeline's kernels (no NRT, NumPy's error
    model); a structref needs NRT, so :func:`_advance` calls this."""
    return pipeline.run_slot(t0, t1, model, draw, split, bits_idx, compute_share, uplink_share, queues, out)


@njit(cache=True)
def _advance(state: KernelState, slot: int, dt_s: float, split: np.ndarray, bits_idx: np.ndarray,
             compute_share: np.ndarray, uplink_share: np.ndarray) -> int:
    """:func:`pipeline.run_slot` of slot ``slot`` (``[slot * dt_s, slot * dt_s + dt_s)``) on the arrays of ``state``."""
    t0 = slot * dt_s
    return _run_slot(t0, t0 + dt_s, state.model, state.draw, split, bits_idx, compute_share, uplink_share,
                     state.queues, state.out)


@njit(cache=True)
def draw_episode(rng: np.random.Generator, num_links: int, n: int, hold_s: float, gauss_markov: bool, mean: float,
                  cv: float, rho: float, start_p: float, geo_p: float, shift_s: float, poisson: bool, fps: np.ndarray,
                  period: np.ndarray, horizon_s: float, link_of_user: np.ndarray, slot_edges: np.ndarray, dt_s: float,
                  slot_rate_mbps: np.ndarray) -> tuple:
    """:meth:`Simulator.reset`'s draws for a ``gauss-markov`` or ``stable`` source in one call, in its order and with
    its arithmetic: the links' samples (:func:`synthetic_rates`) packed (:func:`pack_samples`), one start offset
    per link (``period * u + shift_s``, ``u`` the uniforms of ``rng.random(num_links)``), the arrivals
    (:func:`episode_arrivals`); then each user's slot rates into ``slot_rate_mbps`` and the user of each task.

    Returns:
        ``(rates_mbps, edges, cum_bits, rates_bps, ptr, trace_offset, arr_t, arr_ptr, task_user)``.
    """
    rates = synthetic_rates(rng, num_links, n, gauss_markov, mean, cv, rho, start_p, geo_p)
    edges, cum, rates_bps = pack_samples(rates, hold_s)
    ptr = np.arange(num_links + 1) * (n + 1)
    link_offset = np.empty(num_links)
    for lnk in range(num_links):
        link_offset[lnk] = edges[ptr[lnk + 1] - 1] * rng.random() + shift_s
    trace_offset = np.empty(link_of_user.shape[0])
    for i in range(link_of_user.shape[0]):
        trace_offset[i] = link_offset[link_of_user[i]]
    arr_t, arr_ptr = draw_arrivals(rng, poisson, fps, period, horizon_s)
    slot_rates_mbps(edges, cum, rates_bps, ptr, link_of_user, trace_offset, slot_edges, dt_s, slot_rate_mbps)
    return rates, edges, cum, rates_bps, ptr, trace_offset, arr_t, arr_ptr, _task_users(arr_ptr)


@njit(cache=True)
def _draw_listed(rngs: typed.List, args: tuple) -> tuple:
    """:func:`draw_episode` from the generator ``rngs[0]`` (a :class:`GeneratorList`'s) with the arguments ``args``."""
    return draw_episode(rngs[0], *args)


_ADVANCE_ENTRIES: dict[types.Type, Callable[..., int]] = {}
"""Compiled entry point of :func:`_advance` per :class:`KernelState` type, for 1-D (any strides)
``int64`` / ``float64`` action arrays (calling it skips the dispatcher's typing of the structref, ~1 us a step)."""


def _advance_entry(state: KernelState) -> Callable[..., int]:
    """:func:`_advance`'s entry point for ``state``'s type, an ``int`` slot, a ``float`` slot length and
    :data:`_ADVANCE_ENTRIES`' action arrays (compiled, or loaded from numba's cache, on first use)."""
    state_type = state._numba_type_
    entry = _ADVANCE_ENTRIES.get(state_type)
    if entry is None:
        index, share = types.Array(types.int64, 1, "A"), types.Array(types.float64, 1, "A")
        entry = _ADVANCE_ENTRIES[state_type] = _advance.compile((state_type, types.int64, types.float64, index, index,
                                                                 share, share))
    return entry


def _pack_arrivals(arrivals: Sequence[np.ndarray], num_users: int) -> tuple[np.ndarray, np.ndarray]:
    """Flatten per-user arrival times into ``(times, ptr)``, checking count, order and finiteness."""
    if len(arrivals) != num_users:
        raise ScenarioError(f"reset option 'arrivals' has {len(arrivals)} users; expected num_users={num_users}")
    parts = [np.asarray(a, dtype=np.float64).ravel() for a in arrivals]
    for i, a in enumerate(parts):
        if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(np.diff(a) < 0):
            raise ScenarioError(f"reset option 'arrivals': user {i}'s times must be finite, >= 0 and sorted")
    ptr = np.concatenate(([0], np.cumsum([a.shape[0] for a in parts]))).astype(np.int64)
    return (np.concatenate(parts) if parts else np.zeros(0)), ptr


class Simulator:
    """Slot-level simulator of N users sharing a cloud (and optionally an uplink cell).

    Args:
        config: validated scenario.
        profiles: one profile per user (default: loaded from the library by ``config.models``); each must
            offer every bit width of ``config.bits``.
    """

    def __init__(self, config: ScenarioConfig, profiles: Sequence[DNNProfile] | None = None) -> None:
        self.config = config
        n = config.num_users
        profiles = list(profiles) if profiles is not None else load_user_profiles(config)
        if len(profiles) != n:
            raise ProfileError(f"got {len(profiles)} profiles for num_users={n}; pass one per user")
        bits = tuple(config.bits)
        self.profiles = [p if p.bits == bits else p.with_bits(bits) for p in profiles]
        self.bits = np.asarray(bits, dtype=np.int64)
        self.num_cuts = np.array([p.num_cuts for p in self.profiles], dtype=np.int64)
        kmax1 = int(self.num_cuts.max())
        nb = len(bits)
        factor = np.asarray(config.per_user("device_factor"), dtype=np.float64)
        # the observation's cut table: device s, whole-cloud s, fp32 bytes, acc loss per bit width
        features = np.zeros((n, kmax1, COL_ACC_LOSS + nb))
        for i, p in enumerate(self.profiles):
            k1 = p.num_cuts
            features[i, :k1, COL_DEVICE_S] = p.device_s * factor[i]
            features[i, :k1, COL_CLOUD_S] = p.cloud_s / config.cloud_capacity
            features[i, :k1, COL_TX] = p.tx_bytes
            features[i, :k1, COL_ACC_LOSS:] = p.acc_loss
        self.features = features
        self.cut_mask = (np.arange(kmax1)[None, :] < self.num_cuts[:, None]).astype(np.int8)
        self.deadline = np.asarray(config.per_user("deadline_s"), dtype=np.float64)
        self.base_accuracy = np.array([p.base_accuracy for p in self.profiles])
        self.fps = np.asarray(config.per_user("fps"), dtype=np.float64)
        self.num_links = 1 if config.shared_uplink else n
        self._slot_edges = np.arange(-config.history, config.episode_slots + 1) * config.dt_s
        """Slot boundaries of slots -H .. T-1, s (where :meth:`reset` measures each link's per-slot throughput)."""
        self.link_of_user = np.zeros(n, dtype=np.int64) if config.shared_uplink else np.arange(n, dtype=np.int64)
        self._draw_uplink = uplink_drawer(config.uplink, self.num_links, self.horizon_s + config.history * config.dt_s,
                                          dict(config.uplink_params), trace_dir=config.trace_dir, split=config.trace_split)
        """The episode's link traces as a function of the generator (the source's parameters checked once)."""
        self._synthetic = synthetic_draw(config.uplink, self.num_links, self.horizon_s + config.history * config.dt_s,
                                         dict(config.uplink_params), trace_dir=config.trace_dir)
        """A ``gauss-markov`` or ``stable`` source's draw (:func:`draw_episode` draws such an episode in one call)."""
        if self._synthetic is not None:
            syn = self._synthetic
            self._draw_args = (self.num_links, syn.n, syn.hold_s, *syn.args, config.history * config.dt_s,
                               config.arrival == "poisson", self.fps, np.ascontiguousarray(1.0 / self.fps),
                               self.horizon_s, self.link_of_user, self._slot_edges, float(config.dt_s))
            """:func:`draw_episode`'s arguments between the generator and the output."""
        self._draw_entry: Callable[..., tuple] | None = None
        """:func:`_draw_listed`'s compiled entry point for :attr:`_rngs` and :attr:`_draw_args` with the output (found on
        the first reset that draws through it)."""
        self._rngs = GeneratorList(1)
        """The generator of the last synthetic reset, as compiled code takes it cheaply."""
        table = features.copy()
        table[:, :, COL_TX] *= 8.0
        self._state: KernelState | None = None
        """The kernel's model, draw, queues and outputs (built on the first step after they are replaced)."""
        self._model = SystemModel(
            table=table, num_cuts=self.num_cuts, bit_scale=self.bits / 32.0, deadline_s=self.deadline,
            base_accuracy=self.base_accuracy, link_of_user=self.link_of_user, min_share=float(config.min_share),
            header_bits=8.0 * config.header_bytes, rtt_s=float(config.rtt_s), latency_ref_s=float(config.latency_ref_s),
            acc_weight=float(config.acc_weight), miss_penalty=float(config.miss_penalty),
            drop_penalty=float(config.drop_penalty), max_backlog_s=float(config.max_backlog_s),
            shared_uplink=bool(config.shared_uplink), uplink_efficiency=float(config.uplink_efficiency),
            uplink_burst_bits=8.0 * config.uplink_burst_bytes)
        self.shares = np.zeros((2, n))
        self.backlog = np.zeros((n, NUM_STAGES), dtype=np.float32)
        self._out = SlotOutputs(np.zeros(NUM_STATS), self.shares, self.backlog, np.zeros((3, n), dtype=np.int64),
                                np.zeros((2, n)))
        self._dt_s = float(config.dt_s)
        self._entry: Callable[..., int] = _advance
        """:func:`_advance`'s entry point for :attr:`_state` (:func:`_advance_entry`, found whenever the state is built)."""
        self.slot = 0

    def __getstate__(self) -> dict:
        """Pickle and deepcopy without the kernel state (built again on the first step) and the compiled entry
        points (found again on the next step / reset)."""
        return {**self.__dict__, "_state": None, "_draw_entry": None, "_entry": _advance}

    @property
    def horizon_s(self) -> float:
        """Episode length, s."""
        return self.config.episode_slots * self.config.dt_s

    @property
    def now_s(self) -> float:
        """Start of the current slot, s."""
        return self.slot * self.config.dt_s

    def reset(self, rng: np.random.Generator, traces: Sequence[BandwidthTrace] | None = None,
              arrivals: Sequence[np.ndarray] | None = None) -> None:
        """Start an episode: draw traces (unless given, one per link), start offsets and arrivals.

        Args:
            rng: the episode's generator (the env's ``np_random``).
            traces: explicit link traces (``1`` for a shared cell, else one per user), used as they are
                with zero offset; by default they come from the scenario's uplink source with a random
                start offset per link.
            arrivals: explicit sorted arrival times per user, s (default: drawn from the arrival process).
        """
        replayed = self.check_replay(traces, arrivals)
        cfg = self.config
        if traces is None and replayed is None and self._synthetic is not None:
            self._reset_synthetic(rng)
            return
        dt, hist = cfg.dt_s, cfg.history
        if traces is None:
            packed = self._draw_uplink(rng)
            # uniform in [0, period) per link: the draws and arithmetic of rng.uniform(0.0, periods) (0 + period * u)
            # without its broadcasting path; the history window covers the H slots before t = 0: shift by H slots
            # so it lies in the trace
            link_offset = packed.periods_s * rng.random(self.num_links) + hist * dt
        else:
            packed = PackedTraces.from_traces(traces)
            link_offset = np.zeros(self.num_links)
        self._packed = packed
        trace_offset = link_offset[self.link_of_user]
        rates_bps = packed.rates_bps
        # per-slot measured throughput of each user's link over slots -H .. T-1 (Mbit/s)
        self.slot_rate_mbps = np.empty((cfg.num_users, self._slot_edges.shape[0] - 1), dtype=np.float32)
        slot_rates_mbps(packed.edges, packed.cum_bits, rates_bps, packed.ptr, self.link_of_user, trace_offset,
                        self._slot_edges, dt, self.slot_rate_mbps)
        arr_t, arr_ptr = episode_arrivals(rng, cfg.arrival, self.fps, self.horizon_s) if replayed is None else replayed
        self._start(EpisodeDraw(arr_t=arr_t, arr_ptr=arr_ptr, trace_offset=trace_offset, tr_edges=packed.edges,
                                tr_cum=packed.cum_bits, tr_rates=rates_bps, tr_ptr=packed.ptr), _task_users(arr_ptr))

    def _reset_synthetic(self, rng: np.random.Generator) -> None:
        """:meth:`reset`'s draws (same order, same values) for a ``gauss-markov`` or ``stable`` source and drawn
        arrivals, in one compiled call (:func:`draw_episode`)."""
        out = self.slot_rate_mbps = np.empty((self.config.num_users, self._slot_edges.shape[0] - 1), dtype=np.float32)
        args = (*self._draw_args, out)
        if type(rng) is np.random.Generator:
            listed = self._rngs.filled((0,), (rng,))
            entry = self._draw_entry
            if entry is None:  # the arguments are C-contiguous arrays and scalars of fixed types: one entry point
                entry = self._draw_entry = _draw_listed.compile((numba.typeof(listed), numba.typeof(args)))
            drawn = entry(listed, args)
        else:
            drawn = draw_episode(rng, *args)
        rates, edges, cum, rates_bps, ptr, trace_offset, arr_t, arr_ptr, task_user = drawn
        self._packed = PackedTraces(edges, cum, rates.ravel(), ptr, self._synthetic.names, rates_bps)
        self._start(EpisodeDraw(arr_t=arr_t, arr_ptr=arr_ptr, trace_offset=trace_offset, tr_edges=edges, tr_cum=cum,
                                tr_rates=rates_bps, tr_ptr=ptr), task_user)

    def _start(self, draw: EpisodeDraw, task_user: np.ndarray) -> None:
        """Begin the episode of ``draw`` at slot 0 with empty queues."""
        tasks = draw.arr_t.shape[0]
        self._state = None
        self._draw = draw
        self._queues = QueueState(cursor=draw.arr_ptr[:-1].copy(), free_at=np.zeros((self.config.num_users, NUM_STAGES)),
                                  task_latency=np.zeros(tasks), task_acc_loss=np.zeros(tasks))
        self.task_user = task_user
        self.backlog[:] = 0.0
        self.slot = 0

    @property
    def synthetic_draw_args(self) -> tuple | None:
        """:func:`draw_episode`'s arguments between the generator and the output (``slot_rate_mbps``) for a
        ``gauss-markov`` or ``stable`` source (what :meth:`reset` draws without options), else ``None``."""
        return self._draw_args if self._synthetic is not None else None

    def synthetic_sizes(self) -> tuple[int, int, int]:
        """``(tasks, edges, rates)``: the most arrivals and the (fixed) lengths of the packed trace edges and rates of
        an episode drawn by :func:`draw_episode` with :attr:`synthetic_draw_args` (only for such a source)."""
        n = self._synthetic.n
        tasks = max_arrivals(self.config.arrival == "poisson", self.fps, 1.0 / self.fps, self.horizon_s)
        return tasks, self.num_links * (n + 1), self.num_links * n

    def adopt_episode(self, draw: EpisodeDraw, queues: QueueState, out: SlotOutputs, rates_mbps: np.ndarray,
                      slot_rate_mbps: np.ndarray) -> None:
        """Continue an episode that :func:`draw_episode` drew elsewhere with this simulator's
        :attr:`synthetic_draw_args` (e.g. :meth:`rapgym.sim.batch.SimulatorBatch.reset_copies`, in one call for many
        copies): its kernel arrays (:meth:`use_arrays`), its ``(L * n,)`` link samples (Mbit/s) and its
        :attr:`slot_rate_mbps` (both copied, so later draws into the same storage leave this episode's alone)."""
        self._packed = PackedTraces(draw.tr_edges.copy(), draw.tr_cum.copy(), rates_mbps.copy(), draw.tr_ptr.copy(),
                                    self._synthetic.names, draw.tr_rates.copy())
        self.slot_rate_mbps = slot_rate_mbps.copy()
        self.task_user = _task_users(draw.arr_ptr)
        self.use_arrays(draw, queues, out)

    def check_replay(self, traces: Sequence[BandwidthTrace] | None, arrivals: Sequence[np.ndarray] | None
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        """Check explicit traces and arrivals of :meth:`reset` without changing anything; the packed arrivals
        ``(times, ptr)``, or ``None`` when they are to be drawn.

        Raises:
            TraceError: not one trace per link.
            ScenarioError: arrivals not one finite, non-negative, sorted array per user.
        """
        if traces is not None and len(traces) != self.num_links:
            raise TraceError(f"reset option 'traces' has {len(traces)} traces; this scenario has {self.num_links} uplink(s)")
        return None if arrivals is None else _pack_arrivals(arrivals, self.config.num_users)

    def use_arrays(self, draw: EpisodeDraw, queues: QueueState, out: SlotOutputs) -> None:
        """Continue the episode on ``draw``, ``queues`` and ``out``, which must hold the values of :attr:`draw`,
        :attr:`queues` and the slot outputs (e.g. rows of a batch's arrays, :class:`rapgym.sim.batch.SimulatorBatch`)."""
        self._draw, self._queues, self._out = draw, queues, out
        self._state = None
        self.shares, self.backlog = out.shares, out.backlog

    @property
    def model(self) -> SystemModel:
        """The scenario constants the kernel reads; treat as read-only."""
        return self._model

    @property
    def draw(self) -> EpisodeDraw:
        """The episode's draws as the kernel reads them; treat as read-only."""
        return self._draw

    @property
    def queues(self) -> QueueState:
        """The queue state the kernel advances; treat as read-only."""
        return self._queues

    @property
    def traces(self) -> list[BandwidthTrace]:
        """The episode's link traces (one per uplink), built from the kernel's packed arrays on each access."""
        return self._packed.traces()

    @property
    def cursor(self) -> np.ndarray:
        """``(N,)`` index (into the episode's arrivals) of each user's next undispatched task; treat as read-only."""
        return self._queues.cursor

    @property
    def user_counts(self) -> np.ndarray:
        """``(3, N)`` int64 per user of the last :meth:`step`: tasks that arrived, dropped, completed over the
        deadline; overwritten by the next step (copy to keep)."""
        return self._out.user_counts

    @property
    def user_means(self) -> np.ndarray:
        """``(2, N)`` per user of the last :meth:`step`: mean cost of its tasks, mean latency of its completed tasks
        (s; 0 where there are none); overwritten by the next step (copy to keep)."""
        return self._out.user_means

    @property
    def task_latency(self) -> np.ndarray:
        """Latency of each task of the episode (grouped by user, in arrival order), s; ``-1`` marks a drop."""
        return self._queues.task_latency

    @property
    def task_acc_loss(self) -> np.ndarray:
        """Accuracy loss of each task of the episode (like :attr:`task_latency`), pp."""
        return self._queues.task_acc_loss

    def step(self, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
             uplink_share: np.ndarray) -> SlotStats:
        """Dispatch the current slot's arrivals with the given per-user decision (``(N,)`` each) and advance.

        The kernel is specialised on the arrays' dtypes (integer splits and bits, float shares), so callers
        need not convert them.

        Raises:
            ActionError: an entry is outside its range (nothing is changed).
        """
        return SlotStats._make(self.advance(split, bits_idx, compute_share, uplink_share))

    def advance(self, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
                uplink_share: np.ndarray) -> list[float]:
        """:meth:`step`, returning the slot's aggregates as a plain list in :class:`SlotStats`' order (no NamedTuple).

        Raises:
            ActionError: an entry is outside its range (nothing is changed).
        """
        state = self._state
        if state is None:
            state = self._state = kernel_state(*self._model, *self._draw, *self._queues, *self._out)
            self._entry = _advance_entry(state)
        if (split.dtype is _INT64 and bits_idx.dtype is _INT64 and compute_share.dtype is _FLOAT64
                and uplink_share.dtype is _FLOAT64 and split.ndim == bits_idx.ndim == compute_share.ndim
                == uplink_share.ndim == 1):
            status = self._entry(state, self.slot, self._dt_s, split, bits_idx, compute_share, uplink_share)
        else:
            status = _advance(state, self.slot, self._dt_s, split, bits_idx, compute_share, uplink_share)
        if status != pipeline.STATUS_OK:
            raise self.action_error(status)
        self.slot += 1
        return self._out.stats.tolist()

    def score_actions(self, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
                      uplink_share: np.ndarray) -> np.ndarray:
        """Env cost (summed over the slot's tasks) of ``M`` candidate actions for the current slot, ``(M,)``.

        Each argument is ``(M, N)`` (or ``(N,)`` for one action). The simulator is not modified: the kernel
        runs on copies of the arrival cursors, queue state and task outputs. An out-of-range row costs ``inf``.
        """
        def rows(a: np.ndarray, dtype: type) -> np.ndarray:
            return np.ascontiguousarray(np.atleast_2d(a), dtype=dtype)

        q = self._queues
        scratch = QueueState(q.cursor.copy(), q.free_at.copy(), q.task_latency.copy(), q.task_acc_loss.copy())
        n = self.config.num_users
        out = SlotOutputs(np.zeros(NUM_STATS), np.zeros((2, n)), np.zeros((n, NUM_STAGES)), np.zeros((3, n), dtype=np.int64),
                          np.zeros((2, n)))
        t0 = self.now_s
        return pipeline.score_actions(t0, t0 + self.config.dt_s, self._model, self._draw, rows(split, np.int64),
                                      rows(bits_idx, np.int64), rows(compute_share, np.float64),
                                      rows(uplink_share, np.float64), q, scratch, out)

    def action_error(self, status: int, where: str = "") -> ActionError:
        """The error of a kernel ``STATUS_BAD_*`` code: the field, its allowed values, and ``where`` (a prefix)."""
        name = _STATUS_FIELD[status]
        allowed = {
            "split": f"integers in [0, {self.features.shape[1] - 1}]",
            "bits": f"integers in [0, {len(self.bits) - 1}] indexing bit widths {self.bits.tolist()}",
            "compute_share": "finite floats in [0, 1]",
            "uplink_share": "finite floats in [0, 1]",
        }[name]
        return ActionError(f"{where}action field {name!r} is out of range; allowed: {allowed}")

    def dispatched_tasks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(user, latency_s, acc_loss_pp)`` of every task dispatched so far in the episode (grouped by user, in
        arrival order); a latency of ``-1`` marks a dropped task."""
        dispatched = np.arange(self.task_user.shape[0]) < self.cursor[self.task_user]
        return self.task_user[dispatched], self.task_latency[dispatched], self.task_acc_loss[dispatched]
