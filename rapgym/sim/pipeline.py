"""The tandem pipeline device -> uplink -> cloud of DESIGN.md §1, one slot at a time (numba kernel).

Every stage is a per-user FIFO with the exact Lindley recurrence; ``state[i] = (dev_free, up_free,
cl_free)`` (absolute seconds) carries the queues across slots. The uplink works in capacity
coordinates of the user's link trace: ``X_j = max(C(dev_done_j), X_{j-1}) + bits_j / w``, ``tx_done_j
= C^-1(X_j)``, which is exact through bandwidth drops and outages. A task that would not complete
within ``max_backlog_s`` of its arrival is dropped before it enters any queue.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rapgym.sim.cost import task_cost

__all__ = ["STATUS_OK", "STATUS_BAD_SPLIT", "STATUS_BAD_BITS", "STATUS_BAD_COMPUTE_SHARE", "STATUS_BAD_UPLINK_SHARE", "PARAM_INDEX", "STAT_INDEX", "TAB_DEVICE", "TAB_CLOUD", "TAB_TX_BITS", "TAB_ACC0", "capacity_at", "inverse_capacity_at", "normalise_shares", "run_slot"]

STATUS_OK, STATUS_BAD_SPLIT, STATUS_BAD_BITS, STATUS_BAD_COMPUTE_SHARE, STATUS_BAD_UPLINK_SHARE = 0, 1, 2, 3, 4

PARAM_INDEX = {name: i for i, name in enumerate(
    ("min_share", "header_bits", "rtt_s", "latency_ref_s", "acc_weight", "miss_penalty", "drop_penalty",
     "max_backlog_s", "shared_uplink"))}
"""Positions of the scalar parameters in the ``params`` array of :func:`run_slot`."""

STAT_INDEX = {name: i for i, name in enumerate(
    ("tasks", "cost_sum", "latency_sum", "acc_loss_sum", "dropped", "missed", "cloud_work_s", "completed",
     "uplink_bits", "latency_max", "accuracy_sum"))}
"""Positions of the per-slot aggregates written to ``stats`` by :func:`run_slot`."""

TAB_DEVICE, TAB_CLOUD, TAB_TX_BITS, TAB_ACC0 = 0, 1, 2, 3
"""Feature columns of the per-user cut table: device s, whole-cloud s, fp32 bits, acc loss per bit width."""


@njit(cache=True, inline="always")
def capacity_at(edges: np.ndarray, cum: np.ndarray, rates: np.ndarray, tau: float) -> float:
    """``C(tau)`` in bits for a trace repeating with period ``edges[-1]`` (``rates`` in bit/s)."""
    period = edges[-1]
    laps = np.floor(tau / period)
    phase = tau - laps * period
    m = rates.shape[0]
    seg = np.searchsorted(edges, phase, side="right") - 1
    seg = min(max(seg, 0), m - 1)
    return laps * cum[m] + cum[seg] + rates[seg] * (phase - edges[seg])


@njit(cache=True, inline="always")
def inverse_capacity_at(edges: np.ndarray, cum: np.ndarray, rates: np.ndarray, x: float) -> float:
    """``C^-1(x)``: first time the cumulative capacity reaches ``x`` bits; ``inf`` if never."""
    m = rates.shape[0]
    total = cum[m]
    if total <= 0.0:
        return 0.0 if x <= 0.0 else np.inf
    laps = np.floor(x / total)
    rem = x - laps * total
    idx = np.searchsorted(cum, rem, side="left")
    if idx == 0:
        return laps * edges[m]
    seg = min(idx - 1, m - 1)
    within = (rem - cum[seg]) / rates[seg] if rates[seg] > 0.0 else 0.0
    return laps * edges[m] + edges[seg] + within


@njit(cache=True, inline="always")
def normalise_shares(raw: np.ndarray, active: np.ndarray, floor: float, out: np.ndarray) -> None:
    """Shares of the ``active`` users: ``max(raw, floor)`` normalised to sum 1 (all-zero gives equal shares)."""
    total = 0.0
    for i in range(raw.shape[0]):
        if active[i]:
            total += max(raw[i], floor)
    for i in range(raw.shape[0]):
        out[i] = max(raw[i], floor) / total if active[i] else 0.0


@njit(cache=True)
def run_slot(t0: float, t1: float, arr_t: np.ndarray, arr_ptr: np.ndarray, cursor: np.ndarray,
             split: np.ndarray, bits_idx: np.ndarray, compute_share: np.ndarray, uplink_share: np.ndarray,
             table: np.ndarray, num_cuts: np.ndarray, bit_scale: np.ndarray, deadline: np.ndarray, base_acc: np.ndarray,
             trace_offset: np.ndarray, link_of_user: np.ndarray, tr_edges: np.ndarray, tr_cum: np.ndarray,
             tr_rates: np.ndarray, tr_ptr: np.ndarray, params: np.ndarray, state: np.ndarray,
             task_latency: np.ndarray, task_acc_loss: np.ndarray, stats: np.ndarray, shares_out: np.ndarray,
             backlog_out: np.ndarray) -> int:
    """Dispatch every task arriving in ``[t0, t1)`` with one decision per user and advance the queues.

    Args:
        t0, t1: slot bounds, s.
        arr_t, arr_ptr: episode arrivals, user ``i``'s at ``arr_t[arr_ptr[i]:arr_ptr[i+1]]``, s.
        cursor: ``(N,)`` index of each user's next undispatched arrival (advanced in place).
        split: ``(N,)`` cut index; an index above the user's device-only cut means device-only.
        bits_idx: ``(N,)`` index into the bit widths.
        compute_share, uplink_share: ``(N,)`` raw shares in [0, 1], normalised over the users that upload.
        table: ``(N, Kmax+1, 3 + nbits)`` per-user cut table (columns ``TAB_*``; device s already scaled by the
            user's device factor, cloud s for the whole cloud capacity, fp32 bits).
        num_cuts: ``(N,)`` the user's ``K + 1``.
        bit_scale: ``(nbits,)`` ``b / 32``.
        deadline: ``(N,)`` s. base_acc: ``(N,)`` fp32 top-1 accuracy, %. trace_offset: ``(N,)`` s added to time to index the user's trace.
        link_of_user: ``(N,)`` trace index; tr_edges/tr_cum (``M+1`` per trace) and tr_rates (``M``, bit/s)
            are flat, trace ``l``'s edges at ``tr_edges[tr_ptr[l]:tr_ptr[l+1]]``, rates one shorter, offset by ``-l``.
        params: scalars at :data:`PARAM_INDEX`.
        state: ``(N, 3)`` (dev_free, up_free, cl_free) absolute s, updated in place.
        task_latency, task_acc_loss: per-arrival outputs (indexed like ``arr_t``); latency -1 marks a drop.
        stats: ``(len(STAT_INDEX),)`` aggregates of this slot (overwritten).
        shares_out: ``(2, N)`` the normalised compute and uplink shares used.
        backlog_out: ``(N, 3)`` remaining device / uplink / cloud work at ``t1``, s (any float dtype).

    Returns:
        ``STATUS_OK``, or a ``STATUS_BAD_*`` code (nothing changed) when an action entry is out of range.
    """
    n = split.shape[0]
    nbits = bit_scale.shape[0]
    kmax1 = table.shape[1]
    for i in range(n):
        if split[i] < 0 or split[i] >= kmax1:
            return STATUS_BAD_SPLIT
        if bits_idx[i] < 0 or bits_idx[i] >= nbits:
            return STATUS_BAD_BITS
        if not (compute_share[i] >= 0.0 and compute_share[i] <= 1.0):
            return STATUS_BAD_COMPUTE_SHARE
        if not (uplink_share[i] >= 0.0 and uplink_share[i] <= 1.0):
            return STATUS_BAD_UPLINK_SHARE
    floor = params[0]
    header_bits = params[1]
    half_rtt = 0.5 * params[2]
    weights = params[3:7]
    max_backlog = params[7]
    shared = params[8] > 0.0

    uploads = np.empty(n, dtype=np.bool_)
    for i in range(n):
        uploads[i] = min(split[i], num_cuts[i] - 1) < num_cuts[i] - 1
    normalise_shares(compute_share, uploads, floor, shares_out[0])
    if shared:
        normalise_shares(uplink_share, uploads, floor, shares_out[1])
    else:
        for i in range(n):
            shares_out[1, i] = 1.0 if uploads[i] else 0.0
    stats[:] = 0.0

    for i in range(n):
        k_dev = num_cuts[i] - 1
        k = min(split[i], k_dev)
        b = bits_idx[i]
        dev_s = table[i, k, 0]
        acc_loss = table[i, k, 3 + b]
        cloud_s = table[i, k, 1] / shares_out[0, i] if k < k_dev else 0.0
        scale = bit_scale[b] if 0 < k < k_dev else 1.0
        bits = (table[i, k, 2] * scale + header_bits) / shares_out[1, i] if k < k_dev else 0.0
        lnk = link_of_user[i]
        edges = tr_edges[tr_ptr[lnk]:tr_ptr[lnk + 1]]
        cum = tr_cum[tr_ptr[lnk]:tr_ptr[lnk + 1]]
        rates = tr_rates[tr_ptr[lnk] - lnk:tr_ptr[lnk + 1] - lnk - 1]
        off = trace_offset[i]
        dev_free = state[i, 0]
        up_free = state[i, 1]
        cl_free = state[i, 2]
        x_free = capacity_at(edges, cum, rates, up_free + off) if k < k_dev else 0.0
        j = cursor[i]
        end = arr_ptr[i + 1]
        while j < end and arr_t[j] < t1:
            a = arr_t[j]
            dev_done = max(a, dev_free) + dev_s
            if k == k_dev:
                done = dev_done
            else:
                x = max(capacity_at(edges, cum, rates, dev_done + off), x_free) + bits
                # max(): an empty transfer that starts inside an outage ends when it starts, not before
                tx_done = max(inverse_capacity_at(edges, cum, rates, x) - off, dev_done)
                cl_done = max(tx_done + half_rtt, cl_free) + cloud_s
                done = cl_done + half_rtt
            latency = done - a
            stats[0] += 1.0
            if latency > max_backlog:
                task_latency[j] = -1.0
                task_acc_loss[j] = 0.0
                stats[1] += task_cost(0.0, 0.0, 0.0, True, weights)
                stats[4] += 1.0
            else:
                dev_free = dev_done
                if k < k_dev:
                    x_free = x
                    up_free = tx_done
                    cl_free = cl_done
                    stats[6] += table[i, k, 1]
                    stats[8] += bits * shares_out[1, i]
                task_latency[j] = latency
                task_acc_loss[j] = acc_loss
                stats[1] += task_cost(latency, acc_loss, deadline[i], False, weights)
                stats[2] += latency
                stats[3] += acc_loss
                stats[7] += 1.0
                if latency > deadline[i]:
                    stats[5] += 1.0
                stats[9] = max(stats[9], latency)
                stats[10] += base_acc[i] - acc_loss
            j += 1
        cursor[i] = j
        state[i, 0] = dev_free
        state[i, 1] = up_free
        state[i, 2] = cl_free
        backlog_out[i, 0] = max(dev_free - t1, 0.0)
        backlog_out[i, 1] = max(up_free - t1, 0.0)
        backlog_out[i, 2] = max(cl_free - t1, 0.0)
    return STATUS_OK
