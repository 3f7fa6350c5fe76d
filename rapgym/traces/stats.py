"""Offline statistics of throughput series, and the acceptance test of a generator against a real set.

Acceptance (:func:`within_tolerance`, checked by the tests and ``benchmarks/trace_report.py``): mean and
p95 within 10 % of the real set's; p5 within ``0.1 * max(p5_real, 0.1 * mean_real)`` (plain 10 % unless p5
is below a tenth of the mean, e.g. 0 when the set has over 5 % outages, where 1 % of the mean is allowed
instead); lag-1 autocorrelation within 0.1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lag1_autocorr", "set_stats", "within_tolerance"]


def lag1_autocorr(series: list[np.ndarray]) -> float:
    """Lag-1 autocorrelation of consecutive pairs pooled over ``series``, around the pooled mean and variance."""
    pooled = np.concatenate(series)
    mean, var = pooled.mean(), pooled.var()
    num = sum(float(np.sum((s[1:] - mean) * (s[:-1] - mean))) for s in series)
    pairs = sum(s.size - 1 for s in series)
    return num / pairs / var if var > 0 and pairs > 0 else 0.0


def set_stats(series: list[np.ndarray]) -> dict[str, float]:
    """``mean``, ``p5``, ``p50``, ``p95`` (Mbit/s, over all samples), ``zero_frac`` and ``acf1`` of sample series."""
    pooled = np.concatenate(series)
    p5, p50, p95 = np.percentile(pooled, [5, 50, 95])
    return {
        "mean": float(pooled.mean()),
        "p5": float(p5),
        "p50": float(p50),
        "p95": float(p95),
        "zero_frac": float(np.mean(pooled <= 0)),
        "acf1": float(lag1_autocorr(series)),
    }


def within_tolerance(real: dict[str, float], synth: dict[str, float]) -> dict[str, bool]:
    """Whether each acceptance criterion (see the module docstring) holds for ``synth`` against ``real``."""
    return {
        "mean": abs(synth["mean"] - real["mean"]) <= 0.1 * real["mean"],
        "p5": abs(synth["p5"] - real["p5"]) <= 0.1 * max(real["p5"], 0.1 * real["mean"]),
        "p95": abs(synth["p95"] - real["p95"]) <= 0.1 * real["p95"],
        "acf1": abs(synth["acf1"] - real["acf1"]) <= 0.1,
    }
