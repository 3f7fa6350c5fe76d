"""Fit the calibrated generators' parameters to the real trace sets and write the JSON files.

Usage: ``python scripts/fit_trace_params.py`` (reads ``$RAPGYM_SHARED_DATA/traces``, default
``../shared/data``, and writes ``rapgym/traces/data/trace_params/<set>.json``). Deterministic: the
autocorrelation tuning uses a fixed seed. See :mod:`rapgym.traces.generators` for the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rapgym.shared_data import shared_data_dir
from rapgym.traces.generators import IRISH_REGIMES, simulate
from rapgym.traces.loaders import load_gnettrack
from rapgym.traces.sets import TRACE_SETS, real_set
from rapgym.traces.stats import lag1_autocorr, set_stats

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "rapgym" / "traces" / "data" / "trace_params"
QUANTILE_LEVELS = [0.0, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08]
QUANTILE_LEVELS += [round(0.1 + 0.05 * i, 2) for i in range(17)]
QUANTILE_LEVELS += [0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.9975, 0.999, 1.0]
TUNE_STEPS = 400_000
TUNE_SEED = 12345


def load_set(name: str, traces_dir: Path) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """Per-file sample series (Mbit/s), per-file regime indices, and the regime names of set ``name``."""
    if name == "irish_5g":
        names = list(dict.fromkeys(IRISH_REGIMES.values()))  # 5G, LTE, HSPA
        logs = [load_gnettrack(p) for p in real_set(name, traces_dir).files()]
        regimes = [np.array([names.index(IRISH_REGIMES[m]) for m in g.network_mode]) for g in logs]
        return [g.trace.rates_mbps for g in logs], regimes, names
    series = [t.rates_mbps for t in real_set(name, traces_dir).traces()]
    return series, [np.zeros(s.size, dtype=np.int64) for s in series], ["all"]


def fit(series: list[np.ndarray], regimes: list[np.ndarray], names: list[str]) -> dict:
    """Regime chain, per-regime marginal quantiles and outage figures, and a simulation-tuned ``rho``.

    Finite files start and end in arbitrary regimes, so the raw transition counts give a chain whose
    stationary law can be far from the observed regime occupancy (the rare, long HSPA spells); the counts
    are symmetrised, which keeps the mean sojourn times and makes the stationary law the occupancy.
    """
    k = len(names)
    counts = np.zeros((k, k))
    for reg in regimes:
        np.add.at(counts, (reg[:-1], reg[1:]), 1.0)
    counts = 0.5 * (counts + counts.T)  # reversible chain: its stationary law is the empirical regime occupancy
    trans = np.where(counts.sum(1, keepdims=True) > 0, counts / np.maximum(counts.sum(1, keepdims=True), 1), np.eye(k))
    x_all, r_all = np.concatenate(series), np.concatenate(regimes)
    starts, lengths = np.zeros(k), [[] for _ in range(k)]
    for x, reg in zip(series, regimes, strict=True):
        zero = np.concatenate(([False], x <= 0, [False])).astype(np.int8)
        edge = np.diff(zero)
        for s, e in zip(np.flatnonzero(edge == 1), np.flatnonzero(edge == -1), strict=True):
            starts[reg[s]] += 1
            lengths[reg[s]].append(e - s)
    occupancy = np.bincount(r_all, minlength=k).astype(float)
    params = {
        "regimes": names,
        "transition": np.round(trans, 6).tolist(),
        "initial": np.round(occupancy / occupancy.sum(), 6).tolist(),
        "quantile_levels": QUANTILE_LEVELS,
        "quantiles": [
            [float(f"{q:.5g}") for q in np.quantile(x_all[(r_all == r) & (x_all > 0)], QUANTILE_LEVELS)] for r in range(k)
        ],
        "outage_start_prob": [float(f"{p:.5g}") for p in starts / occupancy],
        "outage_mean_s": [float(f"{np.mean(v):.5g}") if v else 1.0 for v in lengths],
    }
    target = lag1_autocorr(series)
    lo, hi = 0.0, 0.9995
    for _ in range(20):
        mid = 0.5 * (lo + hi)
        acf = lag1_autocorr(simulate(params, np.random.default_rng(TUNE_SEED), TUNE_STEPS, rho=mid))
        lo, hi = (mid, hi) if acf < target else (lo, mid)
    params["rho"] = round(0.5 * (lo + hi), 5)
    return params


def main() -> None:
    traces_dir = shared_data_dir("traces")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in TRACE_SETS:
        series, regimes, names = load_set(name, traces_dir)
        params = {"set": name, "step_s": 1.0, **fit(series, regimes, names)}
        params["real_stats"] = {key: round(value, 5) for key, value in set_stats(series).items()}
        (OUT_DIR / f"{name}.json").write_text(json.dumps(params, indent=1) + "\n")
        print(f"{name}: rho={params['rho']} regimes={names} real={params['real_stats']}")


if __name__ == "__main__":
    main()
