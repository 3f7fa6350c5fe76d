"""The paper's headline claims set beside the benchmark's own cells.

The abstract of the RAP / JM-MPRA paper (IEEE TMC 2024, doi 10.1109/TMC.2024.3430103; the only public part)
claims up to 5.06x lower latency and +1.52 % accuracy over the state of the art, in stable and unstable
networks. :func:`claim_rows` computes the counterparts from the suite's cells: for RAP and JM-MPRA against
each classic baseline, over the scenario variants of one network class, the *largest* ratio of the baseline's
latency to ours (completed-task latency and latency with drops, :mod:`rapgym.evaluation.suite_metrics`), the
accuracy difference (ours minus the baseline's, percentage points) and in how many variants our reward per
slot is higher. A variant is *stable* when its uplink's per-slot rate varies little (mean per-user coefficient
of variation below :data:`STABLE_CV`), *unstable* otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapgym.evaluation.suite_table import Variant, variants

__all__ = ["BASELINES", "OURS", "PAPER_ACCURACY_GAIN_PCT", "PAPER_LATENCY_RATIO", "STABLE_CV", "ClaimRow",
           "claim_rows", "network_class"]

PAPER_LATENCY_RATIO = 5.06
"""Up to 5.06x lower latency than the state of the art (abstract, doi 10.1109/TMC.2024.3430103)."""
PAPER_ACCURACY_GAIN_PCT = 1.52
"""+1.52 % accuracy over the state of the art (abstract, doi 10.1109/TMC.2024.3430103)."""
OURS = ("rap", "jm-mpra")
BASELINES = ("neurosurgeon", "iao", "cloud-only", "device-only", "accuracy-budget")
STABLE_CV = 0.25
"""Coefficient of variation of the per-slot uplink rate below which a variant counts as a stable network."""


def network_class(row: Mapping[str, Any]) -> str:
    """``"stable"`` or ``"unstable"`` from the row's ``uplink_cv``."""
    return "stable" if float(row["uplink_cv"]) < STABLE_CV else "unstable"


@dataclass(frozen=True)
class ClaimRow:
    """One (network class, our policy, baseline) comparison over the variants where both finished."""

    network: str
    ours: str
    baseline: str
    variants: int
    max_ratio: float
    """Largest baseline / ours completed-task latency ratio."""
    max_ratio_at: Variant
    max_ratio_drops: float
    """Largest baseline / ours latency-with-drops ratio."""
    max_ratio_drops_at: Variant
    accuracy_diff_pp: tuple[float, float, float]
    """Ours minus baseline accuracy (pp): min, mean, max over the variants."""
    reward_wins: int
    """Variants where our reward per slot is higher."""


def _ratio(num: Any, den: Any) -> float:
    num, den = float(num), float(den)
    return num / den if den > 0 and not math.isnan(num) else math.nan


def _argmax(values: dict[Variant, float]) -> tuple[float, Variant]:
    finite = {k: v for k, v in values.items() if not math.isnan(v)}
    if not finite:
        return math.nan, ("", 0)
    best = max(finite, key=finite.__getitem__)
    return finite[best], best


def claim_rows(rows: Sequence[Mapping[str, Any]]) -> list[ClaimRow]:
    """Every (network class, ours, baseline) comparison that has at least one common variant."""
    table: dict[str, dict[Variant, dict[str, Mapping[str, Any]]]] = {"stable": {}, "unstable": {}}
    for variant, group in variants(rows).items():
        table[network_class(group[0])][variant] = {r["policy"]: r for r in group}
    out = []
    for network, by_variant in table.items():
        for ours in OURS:
            for base in BASELINES:
                common = {v: g for v, g in by_variant.items() if ours in g and base in g}
                if not common:
                    continue
                lat = {v: _ratio(g[base]["latency_s"], g[ours]["latency_s"]) for v, g in common.items()}
                drops = {v: _ratio(g[base]["latency_with_drops_s"], g[ours]["latency_with_drops_s"]) for v, g in common.items()}
                acc = [float(g[ours]["accuracy_pct"]) - float(g[base]["accuracy_pct"]) for g in common.values()]
                acc = [a for a in acc if not math.isnan(a)] or [math.nan]
                wins = sum(float(g[ours]["reward_per_slot"]) > float(g[base]["reward_per_slot"]) for g in common.values())
                (r1, at1), (r2, at2) = _argmax(lat), _argmax(drops)
                out.append(ClaimRow(network, ours, base, len(common), r1, at1, r2, at2,
                                    (min(acc), sum(acc) / len(acc), max(acc)), wins))
    return out
