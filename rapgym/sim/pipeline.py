"""The tandem pipeline device -> uplink -> cloud of ``docs/model.md §1``, one slot at a time (numba kernel).

Every stage is a per-user FIFO with the exact Lindley recurrence; ``QueueState.free_at[i]`` (absolute s,
columns ``STAGE_*``) carries the queues across slots. The uplink works in capacity coordinates of the
user's link trace: ``X_j = max(C(dev_done_j) - B / w, X_{j-1}) + bits_j / (eta w)``,
``tx_done_j = max(C^-1(X_j), dev_done_j)``, which is exact through bandwidth drops and outages; ``eta`` is the
payload fraction of the link rate and ``B`` the burst a token-bucket shaper lets out at once after the link
has been idle (both scenario options, ``docs/model.md §1``; defaults 1 and 0 give the fluid link). A task that would not complete within ``max_backlog_s`` of its
arrival is dropped before it enters any queue.

The kernel's inputs are bundled: :class:`SystemModel` (scenario constants), :class:`EpisodeDraw` (the
episode's arrivals and link traces), :class:`QueueState` (what a slot advances) and :class:`SlotOutputs`.
numba takes these NamedTuples as tuple arguments.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from rapgym.sim.cost import dispatched_cut, task_cost, upload_bits, uploads
from rapgym.sim.layout import (
    COL_ACC_LOSS,
    COL_CLOUD_S,
    COL_DEVICE_S,
    COL_TX,
    STAGE_CLOUD,
    STAGE_DEVICE,
    STAGE_UPLINK,
    STAT_ACC_LOSS_SUM,
    STAT_ACCURACY_SUM,
    STAT_CLOUD_WORK_S,
    STAT_COMPLETED,
    STAT_COST_SUM,
    STAT_DROPPED,
    STAT_LATENCY_MAX,
    STAT_LATENCY_SUM,
    STAT_MISSED,
    STAT_TASKS,
    STAT_UPLINK_BITS,
)
from rapgym.traces.capacity import capacity_at, capacity_segment_at, inverse_capacity_near

__all__ = ["STATUS_BAD_BITS", "STATUS_BAD_COMPUTE_SHARE", "STATUS_BAD_SPLIT", "STATUS_BAD_UPLINK_SHARE", "STATUS_OK",
           "EpisodeDraw", "QueueState", "SlotOutputs", "SystemModel", "check_action", "normalise_shares", "run_slot",
           "run_slots", "score_actions"]

STATUS_OK, STATUS_BAD_SPLIT, STATUS_BAD_BITS, STATUS_BAD_COMPUTE_SHARE, STATUS_BAD_UPLINK_SHARE = 0, 1, 2, 3, 4
"""Return codes of :func:`run_slot`: success, or the action field that is out of range."""

_KERNEL = {"cache": True, "_nrt": False, "error_model": "numpy"}
"""numba options of the slot kernels. Without NRT numba keeps no reference counts: the kernels allocate
nothing and every array they view belongs to their arguments, while NRT's two atomic updates per view
(the row views of each copy, each user's trace) cost more than the slot of a user without tasks. With the
``numpy`` error model a division by zero would give ``inf`` instead of raising; every divisor here is
positive (shares have a floor ``min_share > 0``, trace periods and ``latency_ref_s`` are positive), so this
only drops the checks."""


class SystemModel(NamedTuple):
    """Scenario constants of the kernel (per user ``(N, ...)`` arrays and scalars)."""

    table: np.ndarray
    """``(N, Kmax+1, 3 + nbits)`` cut table, columns ``COL_*``: device s (device factor applied), whole-cloud s,
    fp32 bits, accuracy loss pp per bit width."""
    num_cuts: np.ndarray
    """``(N,)`` the user's ``K + 1``."""
    bit_scale: np.ndarray
    """``(nbits,)`` ``b / 32`` of each bit width."""
    deadline_s: np.ndarray
    """``(N,)`` s."""
    base_accuracy: np.ndarray
    """``(N,)`` fp32 top-1 accuracy, %."""
    link_of_user: np.ndarray
    """``(N,)`` index of the user's uplink trace."""
    min_share: float
    header_bits: float
    rtt_s: float
    latency_ref_s: float
    acc_weight: float
    miss_penalty: float
    drop_penalty: float
    max_backlog_s: float
    shared_uplink: bool
    uplink_efficiency: float
    """Payload fraction of the link rate, in (0, 1]: an upload of ``bits`` occupies ``bits / eta`` of capacity."""
    uplink_burst_bits: float
    """Bits of link capacity an upload may use ahead of the trace after an idle link (token bucket), >= 0."""


class EpisodeDraw(NamedTuple):
    """The episode's random draws: arrivals and link traces (flat arrays with pointers)."""

    arr_t: np.ndarray
    """Arrival times, s; user ``i``'s are ``arr_t[arr_ptr[i]:arr_ptr[i+1]]``, sorted."""
    arr_ptr: np.ndarray
    trace_offset: np.ndarray
    """``(N,)`` s added to time to index the user's trace."""
    tr_edges: np.ndarray
    """Edges (``M+1`` per trace, s) of all traces; trace ``l``'s at ``tr_edges[tr_ptr[l]:tr_ptr[l+1]]``."""
    tr_cum: np.ndarray
    """``C`` at each edge (bits), laid out like ``tr_edges``."""
    tr_rates: np.ndarray
    """Rates (``M`` per trace, bit/s), laid out like ``tr_edges`` one shorter per trace, i.e. offset by ``-l``."""
    tr_ptr: np.ndarray


class QueueState(NamedTuple):
    """What :func:`run_slot` advances in place."""

    cursor: np.ndarray
    """``(N,)`` index of each user's next undispatched arrival."""
    free_at: np.ndarray
    """``(N, 3)`` time each stage (``STAGE_*``) is free, absolute s."""
    task_latency: np.ndarray
    """Per arrival (indexed like ``arr_t``): latency, s; ``-1`` marks a drop."""
    task_acc_loss: np.ndarray
    """Per arrival: accuracy loss, pp."""


class SlotOutputs(NamedTuple):
    """What :func:`run_slot` overwrites."""

    stats: np.ndarray
    """``(NUM_STATS,)`` aggregates of the slot, positions ``STAT_*``."""
    shares: np.ndarray
    """``(2, N)`` the normalised compute and uplink shares used."""
    backlog: np.ndarray
    """``(N, 3)`` remaining work of each stage at the slot end, s (any float dtype)."""
    user_counts: np.ndarray
    """``(3, N)`` int64 per user: tasks that arrived in the slot, of them dropped, of them completed over the deadline."""
    user_means: np.ndarray
    """``(2, N)`` per user: mean cost of the slot's tasks (0 if none), mean latency of its completed tasks (s, 0 if
    none)."""


@njit(cache=True, inline="always")
def normalise_shares(raw: np.ndarray, active: np.ndarray, floor: float, out: np.ndarray) -> None:
    """Shares of the ``active`` users: ``max(raw, floor)`` normalised to sum 1 (all-zero gives equal shares)."""
    total = 0.0
    for i in range(raw.shape[0]):
        if active[i]:
            total += max(raw[i], floor)
    for i in range(raw.shape[0]):
        out[i] = max(raw[i], floor) / total if active[i] else 0.0


@njit(cache=True, inline="always")
def _uploads(model: SystemModel, split: np.ndarray, i: int) -> bool:
    """Whether user ``i`` uploads at split index ``split[i]``."""
    k_dev = model.num_cuts[i] - 1
    return uploads(dispatched_cut(split[i], k_dev), k_dev)


@njit(cache=True, inline="always")
def _normalise_uploading(raw: np.ndarray, model: SystemModel, split: np.ndarray, out: np.ndarray) -> None:
    """:func:`normalise_shares` over the users that upload at ``split`` (no array of flags: the kernels allocate nothing)."""
    total = 0.0
    for i in range(raw.shape[0]):
        if _uploads(model, split, i):
            total += max(raw[i], model.min_share)
    for i in range(raw.shape[0]):
        out[i] = max(raw[i], model.min_share) / total if _uploads(model, split, i) else 0.0


@njit(cache=True, inline="always")
def check_action(model: SystemModel, split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray,
                 uplink_share: np.ndarray) -> int:
    """``STATUS_OK``, or the ``STATUS_BAD_*`` code of the first out-of-range entry of a ``(N,)`` action."""
    nbits = model.bit_scale.shape[0]
    kmax1 = model.table.shape[1]
    for i in range(split.shape[0]):
        if split[i] < 0 or split[i] >= kmax1:
            return STATUS_BAD_SPLIT
        if bits_idx[i] < 0 or bits_idx[i] >= nbits:
            return STATUS_BAD_BITS
        if not (compute_share[i] >= 0.0 and compute_share[i] <= 1.0):
            return STATUS_BAD_COMPUTE_SHARE
        if not (uplink_share[i] >= 0.0 and uplink_share[i] <= 1.0):
            return STATUS_BAD_UPLINK_SHARE
    return STATUS_OK


# inlined into run_slots and score_actions: a call per copy costs more than a slot of a few users
@njit(inline="always", **_KERNEL)
def run_slot(t0: float, t1: float, model: SystemModel, draw: EpisodeDraw, split: np.ndarray, bits_idx: np.ndarray,
             compute_share: np.ndarray, uplink_share: np.ndarray, queues: QueueState, out: SlotOutputs) -> int:
    """Dispatch every task arriving in ``[t0, t1)`` (s) with one decision per user and advance ``queues``.

    ``split``, ``bits_idx`` (``(N,)`` indices of cut and bit width; a split above the user's device-only
    cut means device-only) and ``compute_share``, ``uplink_share`` (``(N,)`` raw shares in [0, 1],
    normalised over the users that upload) are the action of ``docs/model.md §3``.

    Returns:
        ``STATUS_OK``, or a ``STATUS_BAD_*`` code (nothing changed) when an action entry is out of range.
    """
    status = check_action(model, split, bits_idx, compute_share, uplink_share)
    if status != STATUS_OK:
        return status
    n = split.shape[0]
    half_rtt = 0.5 * model.rtt_s
    table, stats, state = model.table, out.stats, queues.free_at
    arr_t, tr_ptr = draw.arr_t, draw.tr_ptr

    _normalise_uploading(compute_share, model, split, out.shares[0])
    if model.shared_uplink:
        _normalise_uploading(uplink_share, model, split, out.shares[1])
    else:
        for i in range(n):
            out.shares[1, i] = 1.0 if _uploads(model, split, i) else 0.0
    stats[:] = 0.0

    for i in range(n):
        k_dev = model.num_cuts[i] - 1
        k = dispatched_cut(split[i], k_dev)
        up = uploads(k, k_dev)
        b = bits_idx[i]
        dev_s = table[i, k, COL_DEVICE_S]
        acc_loss = table[i, k, COL_ACC_LOSS + b]
        cloud_s = table[i, k, COL_CLOUD_S] / out.shares[0, i] if up else 0.0
        bits = upload_bits(table[i, k, COL_TX], model.bit_scale[b], k, k_dev, model.header_bits) / out.shares[1, i] \
            if up else 0.0
        link_bits = bits / model.uplink_efficiency
        burst = model.uplink_burst_bits / out.shares[1, i] if up else 0.0
        lnk = model.link_of_user[i]
        edges = draw.tr_edges[tr_ptr[lnk]:tr_ptr[lnk + 1]]
        cum = draw.tr_cum[tr_ptr[lnk]:tr_ptr[lnk + 1]]
        rates = draw.tr_rates[tr_ptr[lnk] - lnk:tr_ptr[lnk + 1] - lnk - 1]
        off = draw.trace_offset[i]
        dev_free = state[i, STAGE_DEVICE]
        up_free = state[i, STAGE_UPLINK]
        cl_free = state[i, STAGE_CLOUD]
        x_free = 0.0  # C(up_free + off), read at the user's first task of the slot
        j = queues.cursor[i]
        first = j
        drops, misses = 0, 0
        cost_sum, latency_sum = 0.0, 0.0
        end = draw.arr_ptr[i + 1]
        while j < end and arr_t[j] < t1:
            a = arr_t[j]
            dev_done = max(a, dev_free) + dev_s
            if not up:
                done = dev_done
            else:
                if j == first:
                    x_free = capacity_at(edges, cum, rates, up_free + off)
                c_start, seg = capacity_segment_at(edges, cum, rates, dev_done + off)
                # the bucket holds at most `burst` of capacity not used yet: X may lag C(start) by that much
                x = max(c_start - burst, x_free) + link_bits
                x_time = inverse_capacity_near(edges, cum, rates, x, seg) - off
                # max(): a transfer the bucket covers (or an empty one inside an outage) ends when it starts
                tx_done = max(x_time, dev_done)
                cl_done = max(tx_done + half_rtt, cl_free) + cloud_s
                done = cl_done + half_rtt
            latency = done - a
            stats[STAT_TASKS] += 1.0
            if latency > model.max_backlog_s:
                queues.task_latency[j] = -1.0
                queues.task_acc_loss[j] = 0.0
                cost = task_cost(0.0, 0.0, 0.0, True, model.latency_ref_s, model.acc_weight, model.miss_penalty,
                                 model.drop_penalty)
                stats[STAT_COST_SUM] += cost
                stats[STAT_DROPPED] += 1.0
                drops += 1
            else:
                dev_free = dev_done
                if up:
                    x_free = x
                    # with a bucket, carry C^-1(X) (the unused tokens) so the next slot's C(up_free) is X
                    up_free = tx_done if burst == 0.0 else x_time
                    cl_free = cl_done
                    stats[STAT_CLOUD_WORK_S] += table[i, k, COL_CLOUD_S]
                    stats[STAT_UPLINK_BITS] += bits * out.shares[1, i]
                queues.task_latency[j] = latency
                queues.task_acc_loss[j] = acc_loss
                cost = task_cost(latency, acc_loss, model.deadline_s[i], False, model.latency_ref_s, model.acc_weight,
                                 model.miss_penalty, model.drop_penalty)
                stats[STAT_COST_SUM] += cost
                stats[STAT_LATENCY_SUM] += latency
                stats[STAT_ACC_LOSS_SUM] += acc_loss
                stats[STAT_COMPLETED] += 1.0
                latency_sum += latency
                if latency > model.deadline_s[i]:
                    stats[STAT_MISSED] += 1.0
                    misses += 1
                stats[STAT_LATENCY_MAX] = max(stats[STAT_LATENCY_MAX], latency)
                stats[STAT_ACCURACY_SUM] += model.base_accuracy[i] - acc_loss
            cost_sum += cost
            j += 1
        queues.cursor[i] = j
        tasks = j - first
        out.user_counts[0, i] = tasks
        out.user_counts[1, i] = drops
        out.user_counts[2, i] = misses
        out.user_means[0, i] = cost_sum / tasks if tasks > 0 else 0.0
        out.user_means[1, i] = latency_sum / (tasks - drops) if tasks > drops else 0.0
        state[i, STAGE_DEVICE] = dev_free
        state[i, STAGE_UPLINK] = up_free
        state[i, STAGE_CLOUD] = cl_free
        out.backlog[i, STAGE_DEVICE] = max(dev_free - t1, 0.0)
        out.backlog[i, STAGE_UPLINK] = max(up_free - t1, 0.0)
        out.backlog[i, STAGE_CLOUD] = max(cl_free - t1, 0.0)
    return STATUS_OK


@njit(**_KERNEL)
def _score_rows(t0: float, t1: float, model: SystemModel, draw: EpisodeDraw, split: np.ndarray, bits_idx: np.ndarray,
                compute_share: np.ndarray, uplink_share: np.ndarray, queues: QueueState, scratch: QueueState,
                out: SlotOutputs, costs: np.ndarray) -> None:
    """:func:`score_actions` into ``costs`` (``(M,)``; allocated by the caller, as a kernel without NRT cannot)."""
    for r in range(split.shape[0]):
        for i in range(queues.cursor.shape[0]):  # element by element: a slice copy may allocate (overlap)
            scratch.cursor[i] = queues.cursor[i]
            for stage in range(queues.free_at.shape[1]):
                scratch.free_at[i, stage] = queues.free_at[i, stage]
        status = run_slot(t0, t1, model, draw, split[r], bits_idx[r], compute_share[r], uplink_share[r], scratch, out)
        costs[r] = out.stats[STAT_COST_SUM] if status == STATUS_OK else np.inf


@njit(cache=True)
def score_actions(t0: float, t1: float, model: SystemModel, draw: EpisodeDraw, split: np.ndarray,
                  bits_idx: np.ndarray, compute_share: np.ndarray, uplink_share: np.ndarray, queues: QueueState,
                  scratch: QueueState, out: SlotOutputs) -> np.ndarray:
    """Slot cost of each of the ``M`` actions (rows of the ``(M, N)`` arrays), run on ``scratch`` copies of ``queues``.

    ``queues`` is not modified; ``scratch`` and ``out`` are overwritten. An out-of-range row costs ``inf``.
    """
    costs = np.empty(split.shape[0])
    _score_rows(t0, t1, model, draw, split, bits_idx, compute_share, uplink_share, queues, scratch, out, costs)
    return costs


@njit(**_KERNEL)
def run_slots(t0: np.ndarray, dt_s: float, active: np.ndarray, model: SystemModel, draws: EpisodeDraw,
              split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray, uplink_share: np.ndarray,
              queues: QueueState, out: SlotOutputs) -> tuple[int, int]:
    """:func:`run_slot` for every ``active`` copy ``m`` of a batch, from ``t0[m]`` to ``t0[m] + dt_s`` (s).

    Every field of ``draws``, ``queues`` and ``out`` holds one copy per row (row ``m`` is copy ``m``'s array
    of :func:`run_slot`, padded past its pointers); the action fields are ``(M, N)``. Every active row is
    checked first, so a bad entry changes no copy.

    Returns:
        ``(STATUS_OK, -1)``, or ``(STATUS_BAD_*, m)`` for the first copy ``m`` with an out-of-range entry.
    """
    for m in range(split.shape[0]):
        if active[m]:
            status = check_action(model, split[m], bits_idx[m], compute_share[m], uplink_share[m])
            if status != STATUS_OK:
                return status, m
    for m in range(split.shape[0]):
        if active[m]:
            draw = EpisodeDraw(draws.arr_t[m], draws.arr_ptr[m], draws.trace_offset[m], draws.tr_edges[m],
                               draws.tr_cum[m], draws.tr_rates[m], draws.tr_ptr[m])
            queue = QueueState(queues.cursor[m], queues.free_at[m], queues.task_latency[m], queues.task_acc_loss[m])
            run_slot(t0[m], t0[m] + dt_s, model, draw, split[m], bits_idx[m], compute_share[m], uplink_share[m], queue,
                     SlotOutputs(out.stats[m], out.shares[m], out.backlog[m], out.user_counts[m], out.user_means[m]))
    return STATUS_OK, -1
