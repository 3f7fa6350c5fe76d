"""Synthetic bandwidth generators: ``stable``, ``gauss-markov``, and ``calibrated:<set>`` fitted to the real sets.

``stable`` and ``gauss-markov`` are described in :mod:`rapgym.traces.sources`. The calibrated model (one
per set of :data:`rapgym.traces.sets.TRACE_SETS`; parameters in ``rapgym/traces/data/trace_params/<set>.json``,
fitted by ``scripts/fit_trace_params.py``), on a base step of one real sample (1 s; the Norway set's irregular
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

Acceptance against the real set (checked by the tests and ``benchmarks/trace_report.py``):
:func:`rapgym.traces.stats.within_tolerance`.
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

from rapgym.errors import TraceError
from rapgym.traces.sets import TRACE_SETS
from rapgym.traces.trace import BandwidthTrace

__all__ = ["IRISH_REGIMES", "gauss_markov_rates", "gaussian_ar1", "generate", "in_outage", "load_params", "num_steps",
           "simulate", "stable_rates"]

IRISH_REGIMES = {"5G": "5G", "LTE": "LTE", "HSPA+": "HSPA", "HSDPA": "HSPA", "HSUPA": "HSPA", "UMTS": "HSPA"}
"""``NetworkMode`` value -> regime of the ``irish_5g`` generator."""


@cache
def load_params(set_name: str) -> dict[str, Any]:
    """The fitted parameters of ``set_name`` (a key of :data:`rapgym.traces.sets.TRACE_SETS`)."""
    if set_name not in TRACE_SETS:
        raise TraceError(f"calibrated set {set_name!r} unknown; allowed: {list(TRACE_SETS)}")
    text = resources.files("rapgym.traces").joinpath("data", "trace_params", TRACE_SETS[set_name].params_file).read_text()
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


def stable_rates(rng: np.random.Generator, n: int, p: dict[str, float]) -> np.ndarray:
    """``(n,)`` i.i.d. rates, Mbit/s: ``mean_mbps * (1 + noise_cv * N(0, 1))`` clipped at 0 (source ``stable``)."""
    return np.maximum(p["mean_mbps"] * (1.0 + p["noise_cv"] * rng.standard_normal(n)), 0.0)


def gauss_markov_rates(rng: np.random.Generator, n: int, p: dict[str, float]) -> np.ndarray:
    """``(n,)`` rates, Mbit/s, one per ``interval_s``: Gaussian AR(1) around ``mean_mbps`` with outages (source ``gauss-markov``)."""
    dt = p["interval_s"]
    rate = np.maximum(p["mean_mbps"] * (1.0 + p["cv"] * gaussian_ar1(rng, n, p["rho"])), 0.0)
    starts = np.flatnonzero(rng.random(n) < 1.0 - math.exp(-p["outage_rate_per_s"] * dt))
    if starts.size:
        rate[in_outage(n, starts, rng.geometric(min(1.0, dt / p["outage_mean_s"]), size=starts.size))] = 0.0
    return rate


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
        raise TraceError(f"calibrated:{set_name}: duration_s and interval_s must be > 0, got {duration_s} and {interval_s}")
    rates = simulate(load_params(set_name), rng, num_steps(duration_s, interval_s), interval_s)
    return BandwidthTrace.from_samples(rates, interval_s, f"calibrated:{set_name}")
