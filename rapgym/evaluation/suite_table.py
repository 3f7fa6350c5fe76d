"""The benchmark's results as rows: one per cell, written to and read from CSV, and ranked per scenario variant.

Row keys: the cell (``scenario``, ``preset``, ``traces``, ``num_users``, ``policy``, ``first_seed``,
``episodes``, ``episode_slots``), ``status`` and ``reason``, then the cell metrics of
:mod:`rapgym.evaluation.suite_metrics` with their ``_ci95`` half-widths, the task counts, ``empty_episodes``,
``uplink_cv`` and ``decision_us``. A policy's rank in a variant (scenario, N) orders the variant's finished
cells by reward per slot, 1 = best.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rapgym.evaluation.suite_metrics import CELL_METRICS

__all__ = ["COLUMNS", "TIMING_COLUMNS", "Variant", "fmt_ci", "ranks", "read_rows", "result_rows", "variants",
           "write_rows"]

CELL_COLUMNS = ("scenario", "preset", "traces", "num_users", "policy", "first_seed", "episodes", "episode_slots")
METRIC_COLUMNS = tuple(c for m in CELL_METRICS for c in ((m,) if m == "p95_latency_s" else (m, f"{m}_ci95")))
COLUMNS = (*CELL_COLUMNS, "status", "reason", *METRIC_COLUMNS, "tasks", "completed", "dropped", "empty_episodes",
           "uplink_cv", "decision_us")
"""CSV columns, in order."""
TIMING_COLUMNS = ("decision_us",)
"""Columns measured in wall time (machine-dependent; never compared between runs)."""

Variant = tuple[str, int]
"""A scenario variant: (scenario, N)."""


def result_rows(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per :func:`~rapgym.evaluation.suite_cell.run_cell` result (failed cells with empty metrics)."""
    rows = []
    for result in results:
        row: dict[str, Any] = {key: result["cell"][key] for key in CELL_COLUMNS}
        row.update(status=result["status"], reason=result["reason"])
        metrics = result["metrics"]
        for key in COLUMNS[len(CELL_COLUMNS) + 2:]:
            row[key] = result.get(key, "") if key == "uplink_cv" else metrics.get(key, "")
        rows.append(row)
    return rows


def write_rows(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Rows as CSV at full precision (``repr`` of floats)."""
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV written by :func:`write_rows`, numbers parsed (``num_users`` and counts as int)."""
    ints = {"num_users", "first_seed", "episodes", "episode_slots", "tasks", "completed", "dropped", "empty_episodes"}
    rows = []
    with open(path, newline="") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for key, value in raw.items():
                if key in ints and value != "":
                    row[key] = int(value)
                elif key in METRIC_COLUMNS or key in ("uplink_cv", "decision_us"):
                    row[key] = float(value) if value != "" else ""
                else:
                    row[key] = value
            rows.append(row)
    return rows


def variants(rows: Iterable[Mapping[str, Any]]) -> dict[Variant, list[Mapping[str, Any]]]:
    """Finished rows grouped by variant, in first-seen order."""
    groups: dict[Variant, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["status"] == "ok":
            groups[(row["scenario"], int(row["num_users"]))].append(row)
    return dict(groups)


def ranks(rows: Sequence[Mapping[str, Any]]) -> dict[Variant, dict[str, int]]:
    """Per variant, policy -> rank by reward per slot (1 = highest; ties share the better rank)."""
    out = {}
    for variant, group in variants(rows).items():
        rewards = {r["policy"]: float(r["reward_per_slot"]) for r in group}
        out[variant] = {p: 1 + sum(v > rewards[p] for v in rewards.values()) for p in rewards}
    return out


def fmt_ci(row: Mapping[str, Any], metric: str) -> str:
    """``mean ± half-width`` of a metric in its format; "—" for a ratio over no task (NaN)."""
    fmt = CELL_METRICS[metric][1]
    value = row[metric]
    if value == "" or math.isnan(float(value)):
        return "—"
    if metric == "p95_latency_s":
        return fmt.format(float(value))
    return (fmt + " ± " + fmt).format(float(value), float(row[f"{metric}_ci95"]))
