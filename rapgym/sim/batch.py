"""M simulators of one scenario whose slots advance in one call of the slot kernel (``pipeline.run_slots``).

Each copy is a :class:`~rapgym.sim.simulator.Simulator` (its own draws, queues, episode summary); after a
copy's reset its episode arrays are copied into row ``m`` of the batch's arrays (one compiled call), so the
kernel reads every copy from one set of 2-D arrays. :meth:`SimulatorBatch.simulator` points the copy at its
rows (:meth:`Simulator.use_arrays`) when it is next asked for, so a reset or a growth re-binds no views until
then. Rows are padded to the longest episode seen; they grow (all copies move) when a longer one comes.

With a ``gauss-markov`` or ``stable`` source, :meth:`SimulatorBatch.reset_copies` draws the episodes of many
copies straight into their rows in one compiled call (each from its own generator, the draws of
:meth:`Simulator.reset`); a copy's simulator adopts its episode when next asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit, typed

from rapgym.configs.scenario import ScenarioConfig
from rapgym.profiles.profile import DNNProfile
from rapgym.sim import pipeline
from rapgym.sim.layout import NUM_STAGES, NUM_STATS
from rapgym.sim.pipeline import EpisodeDraw, QueueState, SlotOutputs
from rapgym.sim.simulator import KernelState, Simulator, draw_episode, kernel_state, load_user_profiles
from rapgym.traces.generators import GeneratorList
from rapgym.traces.trace import BandwidthTrace

__all__ = ["SimulatorBatch"]


@njit(cache=True)
def _advance_copies(state: KernelState, slots: np.ndarray, dt_s: float, active: np.ndarray, split: np.ndarray,
                    bits_idx: np.ndarray, compute_share: np.ndarray, uplink_share: np.ndarray) -> tuple[int, int]:
    """:func:`pipeline.run_slots` of every ``active`` copy at its slot ``slots[m]`` on the batch arrays of ``state``,
    then ``slots[m] += 1`` for each (nothing changes when an entry is out of range)."""
    status, copy = pipeline.run_slots(slots * dt_s, dt_s, active, state.model, state.draw, split, bits_idx,
                                      compute_share, uplink_share, state.queues, state.out)
    if status == pipeline.STATUS_OK:
        for m in range(slots.shape[0]):
            slots[m] += active[m]
    return status, copy


@njit(cache=True)
def _store_draw(d: EpisodeDraw, m: int, arr_t: np.ndarray, arr_ptr: np.ndarray, trace_offset: np.ndarray,
                tr_edges: np.ndarray, tr_cum: np.ndarray, tr_rates: np.ndarray, tr_ptr: np.ndarray) -> None:
    """Copy one episode's draw (the fields of an ``EpisodeDraw``, in order) into row ``m`` of the batch draw ``d``
    (the padding past the episode's lengths keeps its values)."""
    tasks, edges, rates = arr_t.shape[0], tr_edges.shape[0], tr_rates.shape[0]
    d.arr_t[m, :tasks] = arr_t
    d.arr_ptr[m] = arr_ptr
    d.trace_offset[m] = trace_offset
    d.tr_edges[m, :edges] = tr_edges
    d.tr_cum[m, :edges] = tr_cum
    d.tr_rates[m, :rates] = tr_rates
    d.tr_ptr[m] = tr_ptr


@njit(cache=True)
def _store_rows(state: KernelState, m: int, arr_t: np.ndarray, arr_ptr: np.ndarray, trace_offset: np.ndarray,
                tr_edges: np.ndarray, tr_cum: np.ndarray, tr_rates: np.ndarray, tr_ptr: np.ndarray, cursor: np.ndarray,
                free_at: np.ndarray, task_latency: np.ndarray, task_acc_loss: np.ndarray, backlog: np.ndarray) -> None:
    """Copy one episode (the fields of an ``EpisodeDraw``, a ``QueueState`` and the backlog, in order) into row ``m``
    of the batch arrays of ``state`` (the padding past the episode's lengths keeps its values)."""
    _store_draw(state.draw, m, arr_t, arr_ptr, trace_offset, tr_edges, tr_cum, tr_rates, tr_ptr)
    q, tasks = state.queues, arr_t.shape[0]
    q.cursor[m] = cursor
    q.free_at[m] = free_at
    q.task_latency[m, :tasks] = task_latency
    q.task_acc_loss[m, :tasks] = task_acc_loss
    state.out.backlog[m] = backlog


@njit(cache=True)
def _draw_rows(rngs: typed.List, rows: np.ndarray, state: KernelState, slots: np.ndarray, lengths: np.ndarray,
               rates_mbps: np.ndarray, slot_rate_mbps: np.ndarray, *args: object) -> None:
    """:meth:`Simulator.reset` (drawn traces and arrivals) of each copy ``m`` of ``rows`` in turn from its generator
    ``rngs[m]``: :func:`draw_episode` with ``args`` (a simulator's :attr:`~Simulator.synthetic_draw_args`), written
    into row ``m`` of the batch arrays of ``state`` with empty queues, zero backlog and ``slots[m] = 0``; the episode's
    ``(tasks, edges, rates)`` lengths into ``lengths[m]``, its link samples (Mbit/s) into ``rates_mbps[m]`` and its
    slot rates (Mbit/s) into ``slot_rate_mbps[m]``. The rows must be wide enough (:meth:`Simulator.synthetic_sizes`)."""
    q = state.queues
    for r in range(rows.shape[0]):
        m = rows[r]
        raw, edges, cum, rates_bps, ptr, offset, arr_t, arr_ptr, _ = draw_episode(rngs[m], *args, slot_rate_mbps[m])
        _store_draw(state.draw, m, arr_t, arr_ptr, offset, edges, cum, rates_bps, ptr)
        tasks, num_edges, num_rates = arr_t.shape[0], edges.shape[0], rates_bps.shape[0]
        q.cursor[m] = arr_ptr[:-1]
        q.free_at[m] = 0.0
        q.task_latency[m, :tasks] = 0.0
        q.task_acc_loss[m, :tasks] = 0.0
        state.out.backlog[m] = 0.0
        rates_mbps[m] = raw.ravel()
        lengths[m, 0], lengths[m, 1], lengths[m, 2] = tasks, num_edges, num_rates
        slots[m] = 0


def _grown(array: np.ndarray, length: int) -> np.ndarray:
    """``array`` with its last axis zero-padded to ``length`` (a new array)."""
    out = np.zeros((*array.shape[:-1], length), dtype=array.dtype)
    out[..., :array.shape[-1]] = array
    return out


class SimulatorBatch:
    """``num_copies`` simulators of ``config`` (the profiles are loaded once and shared).

    Attributes:
        slots: ``(M,)`` current slot of each copy (:meth:`simulator` copies it into the copy's ``slot``).
        stats: ``(M, NUM_STATS)`` slot aggregates of the last :meth:`step` (positions ``STAT_*``).
        backlog: ``(M, N, 3)`` float32 remaining work per stage at the end of each copy's last slot, s.
        user_counts: ``(M, 3, N)`` each copy's :attr:`Simulator.user_counts` of its last step.
        user_means: ``(M, 2, N)`` each copy's :attr:`Simulator.user_means` of its last step.
        slot_rate_mbps: ``(M, N, H + T)`` float32 each copy's :attr:`Simulator.slot_rate_mbps` (measured throughput of
            each user's link over slots ``-H .. T-1``, Mbit/s); treat as read-only.
    """

    def __init__(self, config: ScenarioConfig, num_copies: int, profiles: Sequence[DNNProfile] | None = None) -> None:
        profiles = list(profiles) if profiles is not None else load_user_profiles(config)
        self._sims = [Simulator(config, profiles) for _ in range(num_copies)]
        self.config = config
        n, m = config.num_users, num_copies
        self.model = self._sims[0].model
        self._ready = np.zeros(m, dtype=np.bool_)
        self._bound = np.zeros(m, dtype=np.bool_)
        """Whether copy ``m``'s simulator works on its rows (:meth:`simulator` binds it when it is not)."""
        self._adopt = np.zeros(m, dtype=np.bool_)
        """Whether copy ``m``'s episode was drawn by :meth:`reset_copies` and its simulator has yet to adopt it."""
        self._lengths = np.zeros((m, 3), dtype=np.int64)
        """``(tasks, edges, rates)`` of each copy's episode: its arrivals, packed trace edges and rates."""
        self.slots = np.zeros(m, dtype=np.int64)
        self.stats = np.zeros((m, NUM_STATS))
        self.shares = np.zeros((m, 2, n))
        self.backlog = np.zeros((m, n, NUM_STAGES), dtype=np.float32)
        self.user_counts = np.zeros((m, 3, n), dtype=np.int64)
        self.user_means = np.zeros((m, 2, n))
        self.slot_rate_mbps = np.zeros((m, n, config.history + config.episode_slots), dtype=np.float32)
        sim = self._sims[0]
        self._draw_args = sim.synthetic_draw_args
        """:func:`draw_episode`'s arguments of this scenario (``None`` unless its source is ``gauss-markov`` or
        ``stable``: then :meth:`reset_copies` draws in one call)."""
        self._draw_sizes = sim.synthetic_sizes() if self._draw_args is not None else (0, 0, 0)
        """:meth:`Simulator.synthetic_sizes`: how wide :meth:`reset_copies` needs the rows."""
        self._rates_mbps = np.zeros((m, self._draw_sizes[2]))
        """``(M, L * n)`` the link samples (Mbit/s) of each copy's episode drawn by :meth:`reset_copies`."""
        self._rngs = GeneratorList(m)
        """The generator each copy last drew from in :meth:`reset_copies`."""
        links = sim.num_links
        self._draws = EpisodeDraw(np.zeros((m, 0)), np.zeros((m, n + 1), dtype=np.int64), np.zeros((m, n)),
                                  np.zeros((m, 0)), np.zeros((m, 0)), np.zeros((m, 0)),
                                  np.zeros((m, links + 1), dtype=np.int64))
        self._queues = QueueState(np.zeros((m, n), dtype=np.int64), np.zeros((m, n, NUM_STAGES)), np.zeros((m, 0)),
                                  np.zeros((m, 0)))
        self._state: KernelState | None = None
        """The batch arrays as one numba object (built on the first step after they are replaced)."""

    def __getstate__(self) -> dict:
        """Pickle and deepcopy without the kernel state (built again on the first step)."""
        return {**self.__dict__, "_state": None}

    def __setstate__(self, state: dict) -> None:
        """Unpickle; every copy is pointed at its rows again when next asked for (pickling copies the views they
        were)."""
        self.__dict__.update(state)
        self._bound = np.zeros(self.num_copies, dtype=np.bool_)

    @property
    def num_copies(self) -> int:
        """``M``."""
        return len(self._sims)

    def simulator(self, m: int) -> Simulator:
        """Copy ``m`` (its episode lives in row ``m`` of the batch arrays), its ``slot`` brought up to date
        (:meth:`step` advances only :attr:`slots`: a Python update per copy would cost more than the kernel) and its
        arrays the views of its rows."""
        sim = self._sims[m]
        if self._adopt[m]:
            self._adopt[m] = False
            self._bound[m] = True
            sim.adopt_episode(*self._views(m), self._rates_mbps[m], self.slot_rate_mbps[m])
        elif not self._bound[m] and self._ready[m]:
            self._bound[m] = True
            sim.use_arrays(*self._views(m))
        sim.slot = int(self.slots[m])
        return sim

    @property
    def cursor(self) -> np.ndarray:
        """``(M, N)`` each copy's :attr:`Simulator.cursor`; treat as read-only."""
        return self._queues.cursor

    @property
    def arr_ptr(self) -> np.ndarray:
        """``(M, N + 1)`` each copy's arrival pointers (user ``i``'s tasks are ``arr_ptr[m, i]:arr_ptr[m, i + 1]`` of
        its row); treat as read-only."""
        return self._draws.arr_ptr

    @property
    def task_latency(self) -> np.ndarray:
        """``(M, T)`` each copy's :attr:`Simulator.task_latency` in its row (zero-padded), s; treat as read-only."""
        return self._queues.task_latency

    @property
    def task_acc_loss(self) -> np.ndarray:
        """``(M, T)`` each copy's :attr:`Simulator.task_acc_loss` in its row (zero-padded), pp; treat as read-only."""
        return self._queues.task_acc_loss

    def reset_copy(self, m: int, rng: np.random.Generator, traces: Sequence[BandwidthTrace] | None = None,
                   arrivals: Sequence[np.ndarray] | None = None) -> None:
        """:meth:`Simulator.reset` of copy ``m``, then its episode is copied into row ``m``."""
        sim = self._sims[m]
        sim.reset(rng, traces=traces, arrivals=arrivals)
        draw = sim.draw
        lengths = draw.arr_t.shape[0], draw.tr_edges.shape[0], draw.tr_rates.shape[0]
        self._fit(*lengths)
        state = self._state
        if state is None:
            state = self._state = self._kernel_state()
        _store_rows(state, m, *draw, *sim.queues, sim.backlog)
        self.slot_rate_mbps[m] = sim.slot_rate_mbps
        self._lengths[m] = lengths
        self.slots[m] = 0
        self._ready[m] = True
        self._bound[m] = self._adopt[m] = False

    def reset_copies(self, rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """:meth:`reset_copy` (drawn traces and arrivals) of each copy of ``rows`` (``int64``, in order) from its
        generator in ``rngs``: the same draws and episodes, bit for bit; with a ``gauss-markov`` or ``stable`` source
        all in one compiled call, each copy's simulator adopting its episode when next asked for (:meth:`simulator`)."""
        args = self._draw_args
        if not rows.shape[0]:
            return
        if args is None or any(type(rng) is not np.random.Generator for rng in rngs):
            for m, rng in zip(rows.tolist(), rngs, strict=True):
                self.reset_copy(m, rng)
            return
        self._fit(*self._draw_sizes)
        state = self._state
        if state is None:
            state = self._state = self._kernel_state()
        _draw_rows(self._rngs.filled(rows.tolist(), rngs), rows, state, self.slots, self._lengths, self._rates_mbps,
                   self.slot_rate_mbps, *args)
        self._ready[rows] = self._adopt[rows] = True
        self._bound[rows] = False

    def _views(self, m: int) -> tuple[EpisodeDraw, QueueState, SlotOutputs]:
        """Copy ``m``'s rows of the batch arrays, sliced to its episode's lengths."""
        d, q = self._draws, self._queues
        tasks, edges, rates = self._lengths[m].tolist()
        return (EpisodeDraw(d.arr_t[m, :tasks], d.arr_ptr[m], d.trace_offset[m], d.tr_edges[m, :edges],
                            d.tr_cum[m, :edges], d.tr_rates[m, :rates], d.tr_ptr[m]),
                QueueState(q.cursor[m], q.free_at[m], q.task_latency[m, :tasks], q.task_acc_loss[m, :tasks]),
                SlotOutputs(self.stats[m], self.shares[m], self.backlog[m], self.user_counts[m], self.user_means[m]))

    def _fit(self, tasks: int, edges: int, rates: int) -> None:
        """Grow the padded rows so an episode of these lengths fits (every copy moves to the new arrays, keeping its
        values)."""
        d, q = self._draws, self._queues
        if tasks <= d.arr_t.shape[1] and edges <= d.tr_edges.shape[1] and rates <= d.tr_rates.shape[1]:
            return
        tasks, edges, rates = (max(need, have + have // 2) for need, have in
                               ((tasks, d.arr_t.shape[1]), (edges, d.tr_edges.shape[1]), (rates, d.tr_rates.shape[1])))
        self._draws = d._replace(arr_t=_grown(d.arr_t, tasks), tr_edges=_grown(d.tr_edges, edges),
                                 tr_cum=_grown(d.tr_cum, edges), tr_rates=_grown(d.tr_rates, rates))
        self._queues = q._replace(task_latency=_grown(q.task_latency, tasks), task_acc_loss=_grown(q.task_acc_loss, tasks))
        self._state = None
        self._bound[:] = False

    def _kernel_state(self) -> KernelState:
        """The batch arrays as one :class:`KernelState`."""
        return kernel_state(*self.model, *self._draws, *self._queues, self.stats, self.shares, self.backlog,
                            self.user_counts, self.user_means)

    def step(self, active: np.ndarray, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
             uplink_share: np.ndarray) -> None:
        """Advance every ``active`` copy by one slot with its row of the ``(M, N)`` action fields, in one kernel call.

        Raises:
            ActionError: an entry of an active row is out of range (no copy changes); the message names the copy.
        """
        state = self._state
        if state is None:
            state = self._state = self._kernel_state()
        status, copy = _advance_copies(state, self.slots, self.config.dt_s, active, split, bits_idx, compute_share,
                                       uplink_share)
        if status != pipeline.STATUS_OK:
            raise self._sims[copy].action_error(status, f"copy {copy}: ")
