"""The clairvoyant per-slot oracle: exhaustive search scored by the simulator's own slot kernel.

For the current slot it enumerates every combination of the users' non-dominated ``(cut, bits)``
candidates (:func:`rapgym.agents.candidates.prune_dominated`: a dominated candidate is never needed by a
cost non-decreasing in device s, cloud s, bits and accuracy loss), gives each combination the closed-form
shares of its cloud work ``fps_i * cloud_s_i`` (and uplink bits ``fps_i * bits_i`` in a shared cell), and
runs :func:`rapgym.sim.pipeline.run_slot` on copies of the queue state and arrival cursors with the true
uplink trace. It returns the combination with the least env cost of the slot (myopic: later slots are not
looked at). **Clairvoyant**: it reads the simulator (true bandwidth, arrivals), which no deployable policy can.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numba import njit

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.base import Policy
from rapgym.agents.candidates import Candidates, enumerate_candidates, prune_dominated
from rapgym.agents.context import PolicyContext
from rapgym.sim.pipeline import STAT_INDEX, run_slot

__all__ = ["Oracle", "slot_costs"]

_COST = STAT_INDEX["cost_sum"]


@njit(cache=True)
def _search(t0: float, t1: float, arr_t: np.ndarray, arr_ptr: np.ndarray, cursor: np.ndarray, split: np.ndarray,
            bits_idx: np.ndarray, compute_share: np.ndarray, uplink_share: np.ndarray, table: np.ndarray,
            num_cuts: np.ndarray, bit_scale: np.ndarray, deadline: np.ndarray, base_acc: np.ndarray,
            trace_offset: np.ndarray, link_of_user: np.ndarray, tr_edges: np.ndarray, tr_cum: np.ndarray,
            tr_rates: np.ndarray, tr_ptr: np.ndarray, params: np.ndarray, state: np.ndarray,
            task_latency: np.ndarray, task_acc_loss: np.ndarray, n_stats: int) -> np.ndarray:
    """Slot cost of each of the ``M`` rows of ``split``/``bits_idx``/shares ``(M, N)``, on copies of the state."""
    m, n = split.shape
    out = np.empty(m)
    cur = np.empty_like(cursor)
    st = np.empty_like(state)
    stats = np.zeros(n_stats)
    shares = np.zeros((2, n))
    backlog = np.zeros((n, 3))
    for r in range(m):
        cur[:] = cursor
        st[:, :] = state
        status = run_slot(t0, t1, arr_t, arr_ptr, cur, split[r], bits_idx[r], compute_share[r], uplink_share[r], table,
                          num_cuts, bit_scale, deadline, base_acc, trace_offset, link_of_user, tr_edges, tr_cum, tr_rates,
                          tr_ptr, params, st, task_latency, task_acc_loss, stats, shares, backlog)
        out[r] = stats[1] if status == 0 else np.inf
    return out


def _rows(a: np.ndarray, dtype: type) -> np.ndarray:
    """``a`` as a contiguous 2-D array of ``dtype`` (one row per candidate action)."""
    return np.ascontiguousarray(np.atleast_2d(a), dtype=dtype)


def slot_costs(sim: Any, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
               uplink_share: np.ndarray) -> np.ndarray:
    """Env cost (sum over the slot's tasks) of ``M`` candidate actions ``(M, N)`` for ``sim``'s current slot.

    The simulator is not modified: the kernel runs on copies of its cursors, queue state and task outputs.
    """
    dt = sim.config.dt_s
    t0 = sim.slot * dt
    return _search(t0, t0 + dt, sim.arr_t, sim.arr_ptr, sim.cursor, _rows(split, np.int64), _rows(bits_idx, np.int64),
                   _rows(compute_share, np.float64), _rows(uplink_share, np.float64), sim.table, sim.num_cuts,
                   sim.bit_scale, sim.deadline, sim.base_accuracy, sim.trace_offset, sim.link_of_user, sim.tr_edges,
                   sim.tr_cum, sim.tr_rates, sim.tr_ptr, sim.params, sim.state, sim.task_latency.copy(),
                   sim.task_acc_loss.copy(), len(STAT_INDEX))


class Oracle(Policy):
    """Exhaustive clairvoyant per-slot search; option ``max_combinations`` (default 200 000) bounds the search.

    Raises:
        ValueError: at construction, when the product of the users' candidate counts exceeds
            ``max_combinations`` (the message gives the counts).
    """

    name: ClassVar[str] = "oracle"
    OPTIONS: ClassVar[dict[str, Any]] = {"max_combinations": 200_000}
    clairvoyant: ClassVar[bool] = True

    def __init__(self, ctx: PolicyContext, env: Any, max_combinations: int = 200_000) -> None:
        super().__init__(ctx)
        self.sim = env.unwrapped.sim
        cands = prune_dominated(enumerate_candidates(self.sim.features, self.sim.cut_mask, ctx.bits, ctx.header_bits))
        counts = cands.valid.sum(axis=1)
        total = int(np.prod(counts.astype(np.float64)))
        if total > max_combinations:
            raise ValueError(f"oracle: {ctx.num_users} users with {counts.tolist()} non-dominated candidates give {total} "
                             f"combinations > max_combinations={max_combinations}; use fewer users (N <= 4 with typical "
                             f"profiles) or raise max_combinations")
        idx = np.stack(np.meshgrid(*[np.arange(c) for c in counts], indexing="ij"), axis=-1).reshape(-1, ctx.num_users)
        rows = np.arange(ctx.num_users)[None, :]
        self.combos: Candidates = Candidates(*(getattr(cands, f)[rows, idx] for f in Candidates.__dataclass_fields__))
        fps = ctx.fps[None, :]  # cloud_s and tx_bits are 0 for the candidates that do not upload
        self.compute_share = closed_form_shares(fps * self.combos.cloud_s)
        self.uplink_share = (closed_form_shares(fps * self.combos.tx_bits) if ctx.shared_uplink
                             else np.ones(self.combos.split.shape))
        self.last_cost = np.nan

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        c = self.combos
        costs = slot_costs(self.sim, c.split, c.bits_idx, self.compute_share, self.uplink_share)
        best = int(np.argmin(costs))
        self.last_cost = float(costs[best])
        return self.ctx.action(c.split[best], c.bits_idx[best], self.compute_share[best], self.uplink_share[best])
