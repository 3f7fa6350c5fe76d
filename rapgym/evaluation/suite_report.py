"""``RESULTS.md`` of a benchmark run, with its CSV and figures beside it in ``results/``.

Everything in the report is computed from the run's cells; the only numbers from elsewhere are the paper's
(:mod:`rapgym.evaluation.suite_claims`), marked with their source.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.evaluation.suite_claims import (
    PAPER_ACCURACY_GAIN_PCT,
    PAPER_LATENCY_RATIO,
    STABLE_CV,
    claim_rows,
    claims_discussion,
    network_class,
)
from rapgym.evaluation.suite_metrics import CELL_METRICS
from rapgym.evaluation.suite_plots import plot_latency_cdfs, plot_pareto, plot_rank_heatmap
from rapgym.evaluation.suite_table import fmt_ci, ranks, result_rows, variants, write_rows

__all__ = ["ReportContext", "display_label", "write_report"]

DOI = "10.1109/TMC.2024.3430103"


@dataclass(frozen=True)
class ReportContext:
    """How the run was made (printed at the top of the report)."""

    command: str
    date: str
    wall_s: float
    """Wall time of the run, all its invocations together, s."""
    settings: Mapping[str, Any]
    missing_real_sets: Sequence[str] = ()


def _machine() -> str:
    import os

    return f"{os.cpu_count()}-core {platform.machine()} CPU, Python {platform.python_version()}, numpy {np.__version__}"


def display_label(spec: str) -> str:
    """A policy's name in the report: the spec, or ``<folder>/<run folder>`` for a saved agent (e.g.
    ``hybrid-warmstart/s0``)."""
    if not spec.endswith(".zip"):
        return spec
    path = Path(spec)
    return f"{path.parent.parent.name}/{path.parent.name}"


def _policies(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(row["policy"], None)
    return list(seen)


def _summary(rows: Sequence[Mapping[str, Any]], policies: Sequence[str]) -> list[str]:
    by_variant = ranks(rows)
    lines = ["| policy | variants | mean rank | median rank | rank 1 in | failed cells |", "|---|---|---|---|---|---|"]
    for policy in policies:
        got = [r[policy] for r in by_variant.values() if policy in r]
        failed = sum(1 for r in rows if r["policy"] == policy and r["status"] != "ok")
        if got:
            lines.append(f"| {policy} | {len(got)} | {np.mean(got):.2f} | {np.median(got):.1f} | "
                         f"{sum(g == 1 for g in got)} | {failed} |")
        else:
            lines.append(f"| {policy} | 0 | — | — | 0 | {failed} |")
    return lines


def _reward_grid(rows: Sequence[Mapping[str, Any]], policies: Sequence[str], n: int) -> list[str]:
    groups = {v: {r["policy"]: r for r in g} for v, g in variants(rows).items() if v[1] == n}
    if not groups:
        return []
    lines = ["| scenario | " + " | ".join(policies) + " |", "|---|" + "---|" * len(policies)]
    for (scenario, _), by_policy in groups.items():
        best = max(float(r["reward_per_slot"]) for r in by_policy.values())
        cells = []
        for p in policies:
            if p not in by_policy:
                cells.append("")
                continue
            v = float(by_policy[p]["reward_per_slot"])
            cells.append(f"**{v:.2f}**" if v == best else f"{v:.2f}")
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return lines


def _claims(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    claims = claim_rows(rows)
    counts = {c: sum(1 for g in variants(rows).values() if network_class(g[0]) == c) for c in ("stable", "unstable")}
    lines = [f"The paper's abstract (doi {DOI}; the only public part) claims **up to {PAPER_LATENCY_RATIO}x lower "
             f"latency** and **+{PAPER_ACCURACY_GAIN_PCT} % accuracy** over the state of the art, in stable and unstable "
             "networks. Below, the same kind of figures computed from this run's cells: per network class, the largest "
             "ratio of a classic baseline's latency to ours over the scenario variants where both ran, where it occurs, "
             "the accuracy difference (ours minus the baseline, percentage points: min / mean / max over the variants) "
             "and in how many variants our reward per slot is higher. A variant is *stable* when the mean per-user "
             f"coefficient of variation of its per-slot uplink rate is below {STABLE_CV} ({counts['stable']} stable and "
             f"{counts['unstable']} unstable variants here).", "",
             "| network | ours | baseline | variants | max latency ratio (completed) | at | max ratio incl. drops | at | "
             "accuracy diff (pp) min / mean / max | our reward higher in |", "|---|---|---|---|---|---|---|---|---|---|"]
    for c in claims:
        lines.append(f"| {c.network} | {c.ours} | {c.baseline} | {c.variants} | {c.max_ratio:.2f}x | "
                     f"{c.max_ratio_at[0]} N={c.max_ratio_at[1]} | {c.max_ratio_drops:.2f}x | "
                     f"{c.max_ratio_drops_at[0]} N={c.max_ratio_drops_at[1]} | "
                     + " / ".join(f"{round(a, 2) + 0.0:+.2f}" for a in c.accuracy_diff_pp) + f" | {c.reward_wins} of {c.variants} |")
    return [*lines, "", *claims_discussion(rows)]


def _ranking(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| scenario | N | ranking by reward per slot (best first) |", "|---|---|---|"]
    for (scenario, n), group in variants(rows).items():
        order = sorted(group, key=lambda r: -float(r["reward_per_slot"]))
        lines.append(f"| {scenario} | {n} | " + ", ".join(f"{r['policy']} ({float(r['reward_per_slot']):.2f})"
                                                          for r in order) + " |")
    return lines


def _full_tables(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    headers = ["N", "policy", "empty ep."] + [CELL_METRICS[m][0] for m in CELL_METRICS]
    lines: list[str] = []
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    for scenario in scenarios:
        lines += ["<details><summary>" + scenario + "</summary>", "", "| " + " | ".join(headers) + " |",
                  "|" + "---|" * len(headers)]
        for row in (r for r in rows if r["scenario"] == scenario):
            if row["status"] != "ok":
                lines.append(f"| {row['num_users']} | {row['policy']} | failed: {row['reason']} |" + " |" * len(CELL_METRICS))
                continue
            lines.append(f"| {row['num_users']} | {row['policy']} | {row['empty_episodes']} | "
                         + " | ".join(fmt_ci(row, m) for m in CELL_METRICS) + " |")
        lines += ["", "</details>", ""]
    return lines


def _bandwidth_sources(settings: Mapping[str, Any], missing_real_sets: Sequence[str]) -> str:
    """What the protocol line says about the bandwidth: the real-trace test splits, or the user's own traces."""
    own = settings.get("own_traces")
    if own:
        read = ", ".join(f"{k}={v}" for k, v in own["uplink_params"].items()) or "format and columns auto-detected"
        return (f"on your own traces `{own['trace_dir']}` (split {own['trace_split']}; {read}) in place of the "
                "generators and the real-trace splits")
    return (f"the real-trace test split of {', '.join(settings['real_sets']) or 'none'}"
            + (f" (skipped, shared data absent: {', '.join(missing_real_sets)})" if missing_real_sets else ""))


def write_report(results: Sequence[Mapping[str, Any]], report: Path, ctx: ReportContext, plots: bool = True) -> None:
    """Write ``report`` (markdown) and, in ``<report dir>/results/``, ``results.csv`` and (with ``plots``) the
    figures ``latency_cdf.png``, ``pareto.png`` and ``rank_heatmap.png``."""
    folder = report.parent / "results"
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(result_rows(results), folder / "results.csv")
    rows = [dict(row, policy=display_label(row["policy"])) for row in result_rows(results)]
    policies = _policies(rows)
    s = ctx.settings
    plot_n = 8 if 8 in s["users"] else s["users"][-1]
    if plots:
        quantiles: dict[tuple[str, int], dict[str, Sequence[float]]] = {}
        for result in results:
            cell = result["cell"]
            if result["status"] == "ok" and cell["num_users"] == plot_n:
                quantiles.setdefault((cell["scenario"], plot_n), {})[display_label(cell["policy"])] = result["latency_quantiles"]
        plot_latency_cdfs(quantiles, folder / "latency_cdf.png", f"completed-task latency, N = {plot_n}")
        plot_pareto(rows, plot_n, folder / "pareto.png", f"accuracy vs latency, N = {plot_n} (dashed: Pareto front)")
        plot_rank_heatmap(rows, policies, folder / "rank_heatmap.png", "rank by reward per slot in every scenario variant")
    seeds = f"{s['seed_base']} … {s['seed_base'] + s['episodes'] - 1}"
    failed = [r for r in rows if r["status"] != "ok"]
    cell_s = sum(float(r.get("wall_s", 0.0)) for r in results)
    lines = [
        "# rapgym benchmark results", "",
        f"Made by `{ctx.command}` on {ctx.date} on {_machine()}. Wall time of the run: "
        f"{ctx.wall_s / 60:.1f} min ({cell_s / 60:.1f} min of cell time in the worker processes).", "",
        f"Protocol: presets {', '.join(s['presets'])}; " + _bandwidth_sources(s, ctx.missing_real_sets)
        + f"; N ∈ {{{', '.join(map(str, s['users']))}}}; {s['episodes']} episodes of {s['episode_slots']} slots per "
        f"cell, test seeds {seeds}; policies {', '.join(s['policies'])}"
        + (f"; agents {', '.join(s['agents'])}" if s["agents"] else "") + ". "
        f"{len(rows)} cells, {len(failed)} failed.", "",
        "Metrics (defined in `rapgym/evaluation/suite_metrics.py`): reward per slot (the env's reward, the ranking "
        "metric); latency of the completed tasks; latency including drops (a dropped task counted at `max_backlog_s`, "
        "a lower bound of what it would have taken, so dropping never looks fast); p95 latency; accuracy of the "
        "completed tasks; deadline-miss and drop rates per arrived task. Latency, accuracy and rates pool the tasks "
        "of all episodes (an episode with no completed task adds nothing to latency or accuracy and is counted in "
        "'empty ep.'); ± is the 95 % confidence half-width over episodes.", "",
        "## Summary", "", *_summary(rows, policies), "",
        f"Reward per slot at N = {plot_n} (best in bold):", "", *_reward_grid(rows, policies, plot_n), "",
        "## The paper's claims, side by side", "", *_claims(rows), "",
        "## Ranking per scenario", "", *_ranking(rows), "",
        "## Figures", "", "- `results/latency_cdf.png`: latency CDF per scenario", "- `results/pareto.png`: accuracy vs "
        "latency, Pareto front per scenario", "- `results/rank_heatmap.png`: rank of every policy in every variant", "",
        "## Every cell (mean ± 95 % CI)", "", *_full_tables(rows),
    ]
    if failed:
        lines += ["## Failed cells", ""] + [f"- {r['scenario']} N={r['num_users']} {r['policy']}: {r['reason']}"
                                            for r in failed] + [""]
    report.write_text("\n".join(lines).rstrip("\n") + "\n")
