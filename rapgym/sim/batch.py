"""M simulators of one scenario whose slots advance in one call of the slot kernel (``pipeline.run_slots``).

Each copy is a :class:`~rapgym.sim.simulator.Simulator` (its own draws, queues, episode summary); after a
copy's reset its episode arrays are copied into row ``m`` of the batch's arrays (one compiled call), so the
kernel reads every copy from one set of 2-D arrays. :meth:`SimulatorBatch.simulator` points the copy at its
rows (:meth:`Simulator.use_arrays`) when it is next asked for, so a reset or a growth re-binds no views until
then. Rows are padded to the longest episode seen; they grow (all copies move) when a longer one comes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from rapgym.configs.scenario import ScenarioConfig
from rapgym.profiles.profile import DNNProfile
from rapgym.sim import pipeline
from rapgym.sim.layout import NUM_STAGES, NUM_STATS
from rapgym.sim.pipeline import EpisodeDraw, QueueState, SlotOutputs
from rapgym.sim.simulator import KernelState, Simulator, kernel_state, load_user_profiles
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
def _store_rows(state: KernelState, m: int, arr_t: np.ndarray, arr_ptr: np.ndarray, trace_offset: np.ndarray,
                tr_edges: np.ndarray, tr_cum: np.ndarray, tr_rates: np.ndarray, tr_ptr: np.ndarray, cursor: np.ndarray,
                free_at: np.ndarray, task_latency: np.ndarray, task_acc_loss: np.ndarray, backlog: np.ndarray) -> None:
    """Copy one episode (the fields of an ``EpisodeDraw``, a ``QueueState`` and the backlog, in order) into row ``m``
    of the batch arrays of ``state`` (the padding past the episode's lengths keeps its values)."""
    d, q = state.draw, state.queues
    tasks, edges, rates = arr_t.shape[0], tr_edges.shape[0], tr_rates.shape[0]
    d.arr_t[m, :tasks] = arr_t
    d.arr_ptr[m] = arr_ptr
    d.trace_offset[m] = trace_offset
    d.tr_edges[m, :edges] = tr_edges
    d.tr_cum[m, :edges] = tr_cum
    d.tr_rates[m, :rates] = tr_rates
    d.tr_ptr[m] = tr_ptr
    q.cursor[m] = cursor
    q.free_at[m] = free_at
    q.task_latency[m, :tasks] = task_latency
    q.task_acc_loss[m, :tasks] = task_acc_loss
    state.out.backlog[m] = backlog


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
    """

    def __init__(self, config: ScenarioConfig, num_copies: int, profiles: Sequence[DNNProfile] | None = None) -> None:
        profiles = list(profiles) if profiles is not None else load_user_profiles(config)
        self._sims = [Simulator(config, profiles) for _ in range(num_copies)]
        self.config = config
        n, m = config.num_users, num_copies
        self.model = self._sims[0].model
        self._ready = np.zeros(m, dtype=np.bool_)
        self._bound = [False] * m
        """Whether copy ``m``'s simulator works on its rows (:meth:`simulator` binds it when it is not)."""
        self.slots = np.zeros(m, dtype=np.int64)
        self.stats = np.zeros((m, NUM_STATS))
        self.shares = np.zeros((m, 2, n))
        self.backlog = np.zeros((m, n, NUM_STAGES), dtype=np.float32)
        self.user_counts = np.zeros((m, 3, n), dtype=np.int64)
        self.user_means = np.zeros((m, 2, n))
        links = self._sims[0].num_links
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
        self._bound = [False] * self.num_copies

    @property
    def num_copies(self) -> int:
        """``M``."""
        return len(self._sims)

    def simulator(self, m: int) -> Simulator:
        """Copy ``m`` (its episode lives in row ``m`` of the batch arrays), its ``slot`` brought up to date
        (:meth:`step` advances only :attr:`slots`: a Python update per copy would cost more than the kernel) and its
        arrays the views of its rows."""
        if not self._bound[m] and self._ready[m]:
            self._bind(m)
        sim = self._sims[m]
        sim.slot = int(self.slots[m])
        return sim

    @property
    def cursor(self) -> np.ndarray:
        """``(M, N)`` each copy's :attr:`Simulator.cursor`; treat as read-only."""
        return self._queues.cursor

    @property
    def task_latency(self) -> np.ndarray:
        """``(M, T)`` each copy's :attr:`Simulator.task_latency` in its row (zero-padded), s; treat as read-only."""
        return self._queues.task_latency

    @property
    def task_acc_loss(self) -> np.ndarray:
        """``(M, T)`` each copy's :attr:`Simulator.task_acc_loss` in its row (zero-padded), pp; treat as read-only."""
        return self._queues.task_acc_loss

    def reset_copy(self, m: int, rng: np.random.Generator, traces: Sequence[BandwidthTrace] | None = None,
                   arrivals: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """:meth:`Simulator.reset` of copy ``m``, then its episode is copied into row ``m``; returns the copy's
        :attr:`Simulator.slot_rate_mbps`."""
        sim = self._sims[m]
        sim.reset(rng, traces=traces, arrivals=arrivals)
        draw = sim.draw
        self._fit(draw)
        state = self._state
        if state is None:
            state = self._state = self._kernel_state()
        _store_rows(state, m, *draw, *sim.queues, sim.backlog)
        self.slots[m] = 0
        self._ready[m] = True
        self._bound[m] = False
        return sim.slot_rate_mbps

    def _bind(self, m: int) -> None:
        """Point copy ``m`` at its rows (sliced to its episode's lengths)."""
        self._bound[m] = True
        sim, d, q = self._sims[m], self._draws, self._queues
        tasks, edges, rates = sim.draw.arr_t.shape[0], sim.draw.tr_edges.shape[0], sim.draw.tr_rates.shape[0]
        sim.use_arrays(
            EpisodeDraw(d.arr_t[m, :tasks], d.arr_ptr[m], d.trace_offset[m], d.tr_edges[m, :edges], d.tr_cum[m, :edges],
                        d.tr_rates[m, :rates], d.tr_ptr[m]),
            QueueState(q.cursor[m], q.free_at[m], q.task_latency[m, :tasks], q.task_acc_loss[m, :tasks]),
            SlotOutputs(self.stats[m], self.shares[m], self.backlog[m], self.user_counts[m], self.user_means[m]))

    def _fit(self, draw: EpisodeDraw) -> None:
        """Grow the padded rows so ``draw`` fits (every copy moves to the new arrays, keeping its values)."""
        d, q = self._draws, self._queues
        tasks, edges, rates = draw.arr_t.shape[0], draw.tr_edges.shape[0], draw.tr_rates.shape[0]
        if tasks <= d.arr_t.shape[1] and edges <= d.tr_edges.shape[1] and rates <= d.tr_rates.shape[1]:
            return
        tasks, edges, rates = (max(need, have + have // 2) for need, have in
                               ((tasks, d.arr_t.shape[1]), (edges, d.tr_edges.shape[1]), (rates, d.tr_rates.shape[1])))
        self._draws = d._replace(arr_t=_grown(d.arr_t, tasks), tr_edges=_grown(d.tr_edges, edges),
                                 tr_cum=_grown(d.tr_cum, edges), tr_rates=_grown(d.tr_rates, rates))
        self._queues = q._replace(task_latency=_grown(q.task_latency, tasks), task_acc_loss=_grown(q.task_acc_loss, tasks))
        self._state = None
        self._bound = [False] * self.num_copies

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
