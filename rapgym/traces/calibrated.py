"""Synthetic bandwidth generators calibrated to the real trace sets.

Model (one per set; parameters in ``rapgym/traces/data/trace_params/<set>.json``, fitted by
``scripts/fit_trace_params.py``), on a base step of one real sample (1 s; the Norway set's irregular
samples, about 1.3 s apart, count as 1 s):

- a Markov chain over radio regimes (``irish_5g``: 5G / LTE / HSPA from ``NetworkMode``, with UMTS,
  HSDPA and HSUPA counted as HSPA; the other sets have a single regime) with a fitted per-step
  transition matrix;
- a latent Gaussian AR(1) ``z`` (unit variance, lag-1 correlation ``rho``) shared by the regimes and
  mapped to Mbit/s through the regime's empirical marginal of non-zero samples, stored as quantiles:
  ``x = Q_r(Phi(z))`` (linear between the stored quantile levels);
- outages (rate exactly 0) that start with a fitted per-step probability in each regime and last a
  geometric number of steps with the fitted mean duration.

``rho`` is tuned by simulation so the generated series has the real set's lag-1 autocorrelation (pooled
within files around the set's mean). For ``interval_s != 1`` the per-step quantities are rescaled: the
AR coefficient becomes ``rho ** interval_s``, a stay or no-outage probability ``p`` becomes
``p ** interval_s``, and outage durations keep their mean in seconds.

Acceptance (checked by the tests and ``benchmarks/trace_report.py``): mean and p95 within 10 % of the
real set's; p5 within ``0.1 * max(p5_real, 0.1 * mean_real)`` (plain 10 % unless p5 is below a tenth of
the mean, e.g. 0 when the set has over 5 % outages, where 1 % of the mean is allowed instead); lag-1
autocorrelation within 0.1.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from scipy.signal import lfilter
from scipy.special import ndtr

from rapgym.traces.trace import BandwidthTrace

__all__ = ["CALIBRATED_SETS", "IRISH_REGIMES", "gaussian_ar1", "generate", "in_outage", "lag1_autocorr", "load_params", "num_steps", "set_stats", "simulate", "within_tolerance"]

CALIBRATED_SETS = ("norway_hsdpa_3g", "nyu_mets_lte", "lumos5g_4g", "lumos5g_5g", "mahimahi_uplink", "irish_5g")
"""Names of the sets with a calibrated generator."""

IRISH_REGIMES = {"5G": "5G", "LTE": "LTE", "HSPA+": "HSPA", "HSDPA": "HSPA", "HSUPA": "HSPA", "UMTS": "HSPA"}
"""``NetworkMode`` value -> regime of the ``irish_5g`` generator."""


@cache
def load_params(set_name: str) -> dict[str, Any]:
    """The fitted parameters of ``set_name`` (a name in :data:`CALIBRATED_SETS`)."""
    if set_name not in CALIBRATED_SETS:
        raise ValueError(f"calibrated set {set_name!r} unknown; allowed: {list(CALIBRATED_SETS)}")
    text = resources.files("rapgym.traces").joinpath("data", "trace_params", f"{set_name}.json").read_text()
    return json.loads(text)


def num_steps(duration_s: float, interval_s: float) -> int:
    """Number of ``interval_s``-second steps that cover ``duration_s`` seconds (at least 1)."""
    return max(1, math.ceil(duration_s / interval_s - 1e-9))


def gaussian_ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    """``(n,)`` stationary Gaussian AR(1): unit variance, lag-1 correlation ``rho`` (``|rho| < 1``), started in its stationary law."""
    eps = rng.standard_normal(n)
    eps[0] /= math.sqrt(max(1.0 - rho**2, 1e-12))  # stationary start
    return lfilter([math.sqrt(max(1.0 - rho**2, 0.0))], [1.0, -rho], eps)


def in_outage(n: int, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: whether each step lies in one of the outages ``[starts[i], starts[i] + lengths[i])`` (in steps)."""
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, np.minimum(starts + lengths, n), -1)
    return np.cumsum(marks[:n]) > 0


def _regime_path(params: dict[str, Any], rng: np.random.Generator, n: int, interval_s: float) -> np.ndarray:
    """``(n,)`` regime index per step of a Markov chain with the per-second transition matrix rescaled to ``interval_s``."""
    trans = np.asarray(params["transition"], dtype=np.float64)
    if trans.shape[0] == 1:
        return np.zeros(n, dtype=np.int64)
    stay = np.clip(np.diag(trans), 0.0, 1.0) ** interval_s
    jump = trans * (1.0 - np.eye(trans.shape[0]))
    jump = jump / np.maximum(jump.sum(axis=1, keepdims=True), 1e-300)
    state = int(rng.choice(trans.shape[0], p=np.asarray(params["initial"])))
    out = np.empty(n, dtype=np.int64)
    pos = 0
    while pos < n:
        run = int(rng.geometric(1.0 - stay[state])) if stay[state] < 1.0 else n
        out[pos : pos + run] = state
        pos += run
        state = int(rng.choice(trans.shape[0], p=jump[state]))
    return out


def simulate(params: dict[str, Any], rng: np.random.Generator, n: int, interval_s: float = 1.0, rho: float | None = None) -> np.ndarray:
    """``(n,)`` generated throughput samples in Mbit/s, one per ``interval_s`` seconds (``rho`` overrides the fitted one)."""
    rho_dt = (params["rho"] if rho is None else rho) ** interval_s
    regime = _regime_path(params, rng, n, interval_s)
    u = ndtr(gaussian_ar1(rng, n, rho_dt))
    levels = np.asarray(params["quantile_levels"])
    x = np.empty(n)
    for r, quantiles in enumerate(params["quantiles"]):
        mask = regime == r
        x[mask] = np.interp(u[mask], levels, quantiles)
    start_p = 1.0 - (1.0 - np.asarray(params["outage_start_prob"])) ** interval_s
    starts = np.flatnonzero(rng.random(n) < start_p[regime])
    if starts.size:
        mean_steps = np.maximum(np.asarray(params["outage_mean_s"])[regime[starts]] / interval_s, 1.0)
        x[in_outage(n, starts, rng.geometric(1.0 / mean_steps))] = 0.0
    return x


def generate(set_name: str, rng: np.random.Generator, duration_s: float, interval_s: float = 1.0) -> BandwidthTrace:
    """A synthetic trace of at least ``duration_s`` seconds in steps of ``interval_s`` calibrated to ``set_name``."""
    if not (math.isfinite(duration_s) and duration_s > 0 and math.isfinite(interval_s) and interval_s > 0):
        raise ValueError(f"duration_s and interval_s must be > 0, got {duration_s} and {interval_s}")
    rates = simulate(load_params(set_name), rng, num_steps(duration_s, interval_s), interval_s)
    return BandwidthTrace.from_samples(rates, interval_s, f"calibrated:{set_name}")


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
