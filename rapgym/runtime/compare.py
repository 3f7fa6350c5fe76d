"""Measured versus predicted: per-task latency, uplink time alone and compute time alone.

Relative error ``e = (predicted - measured) / measured``; a group is summarised by the median and the
95th percentile of ``|e|`` and the median of ``e`` (the bias: negative = the simulator is optimistic).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rapgym.profiles.profile import DNNProfile
from rapgym.runtime.driver import RunResult
from rapgym.traces.trace import BandwidthTrace

__all__ = ["latency_table", "uplink_table", "compute_table", "summarise", "group_by"]

Table = dict[str, np.ndarray]
"""Columns of equal length: ``user``, ``cut``, ``bits``, ``measured``, ``predicted`` (s), ``rel_err``."""


def _table(rows: list[tuple[int, int, int, float, float]]) -> Table:
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
    measured, predicted = arr[:, 3], arr[:, 4]
    return {"user": arr[:, 0].astype(int), "cut": arr[:, 1].astype(int), "bits": arr[:, 2].astype(int),
            "measured": measured, "predicted": predicted, "rel_err": (predicted - measured) / measured}


def latency_table(result: RunResult, predicted: Sequence[np.ndarray]) -> Table:
    """Per task: measured latency against the simulator's (``predicted[user][task]``)."""
    rows = []
    for user, records in enumerate(result.records):
        if len(records) != len(predicted[user]):
            raise ValueError(f"user {user}: {len(records)} measured tasks but {len(predicted[user])} predicted")
        rows += [(user, r["cut"], r["bits"], r["latency_s"], p) for r, p in zip(records, predicted[user], strict=True)]
    return _table(rows)


def uplink_table(result: RunResult, traces: Sequence[BandwidthTrace], uplink_efficiency: float = 1.0,
                 uplink_burst_bytes: float = 0.0, min_bytes: int = 0) -> Table:
    """Per upload: the link's own time -- from ``max(send start, previous last byte)`` to the last byte --
    against the simulator's link rule from that instant (``docs/model.md`` §1): ``X = max(C(t) - B,
    C(previous last byte)) + bits / eta``, predicted ``max(C^-1(X), t) - t``, with ``eta`` =
    ``uplink_efficiency`` and ``B = 8 * uplink_burst_bytes`` (the link options of the scenario). Only uploads
    of at least ``min_bytes`` are listed.
    """
    burst = 8.0 * uplink_burst_bytes
    rows = []
    for user, records in enumerate(result.records):
        trace = traces[user]
        previous = -np.inf
        for r in sorted((r for r in records if "last_byte" in r), key=lambda r: r["last_byte"]):
            start = max(r["send_start"], previous)
            c_start = float(trace.capacity(start))
            x_free = float(trace.capacity(previous)) if previous > -np.inf else -np.inf
            x = max(c_start - burst, x_free) + 8.0 * r["tx_bytes"] / uplink_efficiency
            predicted = max(float(trace.transfer_end(0.0, max(x, 0.0))), start) - start
            if r["tx_bytes"] >= min_bytes:
                rows.append((user, r["cut"], r["bits"], r["last_byte"] - start, predicted))
            previous = r["last_byte"]
    return _table(rows)


def compute_table(result: RunResult, profile: DNNProfile, stage: str, device_factor: float = 1.0) -> Table:
    """Per task: the device stage (head + quantize + pack, stretched by the emulated ``device_factor``:
    ``dev_end - dev_start``) against ``device_s[k] * device_factor`` (``stage="device"``, tasks with a head), or the cloud execution (unpack + tail) against
    ``cloud_s[k]`` (``stage="cloud"``, uploading tasks)."""
    rows = []
    for user, records in enumerate(result.records):
        for r in records:
            k = r["cut"]
            if stage == "device" and k > 0:
                rows.append((user, k, r["bits"], r["dev_end"] - r["dev_start"], profile.device_s[k] * device_factor))
            elif stage == "cloud" and "cloud_end" in r:
                rows.append((user, k, r["bits"], r["cloud_end"] - r["cloud_start"], profile.cloud_s[k]))
    return _table(rows)


def summarise(rel_err: np.ndarray) -> dict[str, float]:
    """``n``, ``median_abs``, ``p95_abs`` and ``bias`` (median signed error) of relative errors."""
    e = np.asarray(rel_err, dtype=np.float64)
    if e.size == 0:
        return {"n": 0, "median_abs": float("nan"), "p95_abs": float("nan"), "bias": float("nan")}
    return {"n": int(e.size), "median_abs": float(np.median(np.abs(e))), "p95_abs": float(np.percentile(np.abs(e), 95)),
            "bias": float(np.median(e))}


def group_by(table: Table, key: str) -> dict[int, dict[str, float]]:
    """:func:`summarise` of ``table`` per value of column ``key``."""
    return {int(v): summarise(table["rel_err"][table[key] == v]) for v in np.unique(table[key])}
