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
           "claim_rows", "claims_discussion", "network_class"]

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


def _largest(claims: list[ClaimRow], network: str, ours: str, exclude: tuple[str, ...] = ()) -> ClaimRow | None:
    pool = [c for c in claims if c.network == network and c.ours == ours and c.baseline not in exclude
            and not math.isnan(c.max_ratio)]
    return max(pool, key=lambda c: c.max_ratio) if pool else None


def claims_discussion(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Markdown paragraphs setting this run's figures beside the paper's and explaining the differences that
    follow from our formulation (every number computed from ``rows``)."""
    claims = claim_rows(rows)
    lines = []
    for network in ("stable", "unstable"):
        for ours in OURS:
            top = _largest(claims, network, ours)
            sota = _largest(claims, network, ours, exclude=("device-only", "cloud-only"))
            if top is None:
                continue
            gain = max((c.accuracy_diff_pp[2] for c in claims if c.network == network and c.ours == ours), default=math.nan)
            text = (f"- **{network}, {ours}**: the largest latency ratio is {top.max_ratio:.2f}x (vs {top.baseline}, "
                    f"{top.max_ratio_at[0]} N={top.max_ratio_at[1]}; paper: up to {PAPER_LATENCY_RATIO}x)")
            if sota is not None:
                text += (f"; against the split-computing baselines alone (Neurosurgeon, IAO, accuracy-budget) "
                         f"{sota.max_ratio:.2f}x (vs {sota.baseline}, {sota.max_ratio_at[0]} N={sota.max_ratio_at[1]})")
            text += f"; the largest accuracy gain over any baseline in one variant is {gain:+.2f} pp (paper: +{PAPER_ACCURACY_GAIN_PCT} %)."
            lines.append(text)
    by_variant: dict[Variant, dict[str, float]] = {}
    for variant, group in variants(rows).items():
        by_variant[variant] = {r["policy"]: float(r["reward_per_slot"]) for r in group}
    both = [v for v in by_variant.values() if "rap" in v and "accuracy-budget" in v]
    ahead = sum(v["accuracy-budget"] > v["rap"] for v in both)
    lines += [
        "",
        "Where our formulation agrees: RAP and JM-MPRA lower latency against the fp32 partitioners (Neurosurgeon, "
        "IAO) mostly by quantizing the uploaded tensor when the estimated bandwidth is low, and their reward is higher "
        "than the classic baselines' in most variants (the counts in the table above). The very large ratios against "
        "device-only come from running whole CNNs on a Raspberry Pi 4 and say nothing about the paper's comparison, "
        "which is with state-of-the-art methods.",
        "",
        "Where it does not: (1) **accuracy** — in our model an fp32 partition loses no accuracy, so RAP and JM-MPRA, "
        "which may quantize, can only match or lose accuracy against Neurosurgeon, IAO, cloud-only and device-only; a "
        "positive difference appears only through which tasks complete (accuracy is pooled over the completed tasks "
        "of users running different models). The paper's +1.52 % must come from a comparison we cannot rebuild from "
        "the abstract (its baselines' compression, its accuracy model). (2) **accuracy-budget above RAP** — it has "
        f"the higher reward in {ahead} of {len(both)} variants here. The env's cost prices 1 pp of accuracy like "
        "`acc_weight * latency_ref_s` seconds of latency (10 ms with the defaults 0.1 per pp and 0.1 s, which no preset changes) and adds a deadline "
        "penalty; accuracy-budget minimises latency within a 1 pp loss budget, which is close to the minimum of that "
        "cost. RAP's objective `omega(B) * acc_loss / acc_ref + (1 - omega(B)) * T / T_ref` equals the cost (without "
        "the deadline term) only at `B = B0`; above `B0` it weights accuracy more than the env does, below it less, "
        "and it never sees the deadline penalty. We do not tune the presets or the cost weights to change this "
        "(project rule); the ranking is what our formulation gives.",
    ]
    return lines
