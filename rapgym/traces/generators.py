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

Every generator draws all links of a call in one compiled (numba) pass over the caller's
``np.random.Generator``; numba reproduces NumPy's streams for these distributions, so the draws are those of
the per-link NumPy code they replace (``tests/traces/test_generators_draws.py`` checks it draw for draw).

Acceptance against the real set (checked by the tests and ``benchmarks/trace_report.py``):
:func:`rapgym.traces.stats.within_tolerance`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numba
import numpy as np
from numba import njit, typed
from scipy.special import ndtr

from rapgym.errors import TraceError
from rapgym.traces.sets import TRACE_SETS
from rapgym.traces.trace import BandwidthTrace

__all__ = ["IRISH_REGIMES", "GeneratorList", "call_with_rng", "gauss_markov_rates", "generate", "load_params", "num_steps",
           "simulate", "stable_rates", "synthetic_args", "synthetic_rates"]

IRISH_REGIMES = {"5G": "5G", "LTE": "LTE", "HSPA+": "HSPA", "HSDPA": "HSPA", "HSUPA": "HSPA", "UMTS": "HSPA"}
"""``NetworkMode`` value -> regime of the ``irish_5g`` generator."""


@cache
def load_params(set_name: str) -> dict[str, Any]:
    """The fitted parameters of ``set_name`` (a key of :data:`rapgym.traces.sets.TRACE_SETS`)."""
    if set_name not in TRACE_SETS:
        raise TraceError(f"calibrated set {set_name!r} unknown; allowed: {list(TRACE_SETS)}")
    text = resources.files("rapgym.traces").joinpath("data", "trace_params", TRACE_SETS[set_name].params_file).read_text()
    return json.loads(text)


_RNG_ENTRIES: dict[tuple, Callable[..., Any]] = {}
"""Compiled entry point of each numba function of :func:`call_with_rng` per combination of argument types."""


def call_with_rng(function: Any, rng: np.random.Generator, *args: Any) -> Any:
    """``function(rng, *args)`` for a numba-compiled ``function`` that draws from ``rng``, through the entry point
    compiled for these argument types: numba's dispatcher types a ``Generator`` argument in Python on every call
    (~20 us, more than a reset's draws). Anything but a ``Generator`` and C-contiguous, aligned, writeable arrays
    and Python / NumPy scalars goes through the dispatcher."""
    key: list[Any] = [function]
    for arg in args:
        if type(arg) is np.ndarray:
            if not arg.flags.carray:
                return function(rng, *args)
            key.append((arg.dtype, arg.ndim))
        elif type(arg) in (int, float, bool, np.float64, np.int64):
            key.append(type(arg))
        else:
            return function(rng, *args)
    if type(rng) is not np.random.Generator:
        return function(rng, *args)
    entry = _RNG_ENTRIES.get(entry_key := tuple(key))
    if entry is None:
        entry = _RNG_ENTRIES[entry_key] = function.compile(tuple(numba.typeof(a) for a in (rng, *args)))
    return entry(rng, *args)


@njit(cache=True)
def _generator_list(rng: np.random.Generator, size: int) -> typed.List:
    """A numba list of ``size`` references to ``rng`` (built by cached compiled code: the list's Python methods would
    be compiled afresh in every process, ~0.5 s)."""
    out = typed.List()
    for _ in range(size):
        out.append(rng)
    return out


@njit(cache=True)
def _set_generator(listed: typed.List, slot: int, rng: np.random.Generator) -> None:
    """``listed[slot] = rng`` in cached compiled code (see :func:`_generator_list`)."""
    listed[slot] = rng


class GeneratorList:
    """``size`` slots of ``np.random.Generator`` as one numba list for compiled code, which takes the list in ~1 us but
    unboxes a generator argument in ~5 us (ctypes casts of its bit generator's functions) on every call. A slot is
    written (~10 us) only when it is given another generator object; the compiled code draws from the objects
    themselves, so their states stay in step. Pickles empty (filled again on the next use)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._listed: typed.List | None = None
        self._objects: list[np.random.Generator | None] = [None] * size

    def __getstate__(self) -> dict:
        return {"_size": self._size, "_listed": None, "_objects": [None] * self._size}

    def filled(self, slots: Sequence[int], rngs: Sequence[np.random.Generator]) -> typed.List:
        """The list with slot ``slots[k]`` holding ``rngs[k]`` (each exactly a ``np.random.Generator``; non-empty)."""
        listed, objects = self._listed, self._objects
        if listed is None:
            listed = self._listed = _generator_list(rngs[0], self._size)  # placeholders until set
        for slot, rng in zip(slots, rngs, strict=True):
            if objects[slot] is not rng:
                _set_generator(listed, slot, rng)
                objects[slot] = rng
        return listed


def num_steps(duration_s: float, interval_s: float) -> int:
    """Number of ``interval_s``-second steps that cover ``duration_s`` seconds (at least 1)."""
    return max(1, math.ceil(duration_s / interval_s - 1e-9))


@njit(cache=True, inline="always")
def _gaussian_ar1(rng: np.random.Generator, n: int, rho: float, out: np.ndarray) -> None:
    """Fill ``out[:n]`` with a stationary Gaussian AR(1): unit variance, lag-1 correlation ``rho`` (``|rho| < 1``).

    The recursion ``y[j] = gain * eps[j] + rho * y[j-1]`` is the arithmetic of ``scipy.signal.lfilter([gain],
    [1, -rho], eps)``; ``eps[0]`` is scaled to the stationary law. The ``n`` normals are drawn one at a time, the
    draws of ``rng.standard_normal(n)`` without the array.
    """
    first_scale = math.sqrt(max(1.0 - rho * rho, 1e-12))
    gain = math.sqrt(max(1.0 - rho * rho, 0.0))
    prev = 0.0
    for j in range(n):
        eps = rng.standard_normal()
        if j == 0:
            eps /= first_scale
        prev = eps * gain + prev * rho
        out[j] = prev


@njit(cache=True)
def _gauss_markov(rng: np.random.Generator, num_links: int, n: int, mean: float, cv: float, rho: float,
                  start_p: float, geo_p: float) -> np.ndarray:
    """``(num_links, n)`` rates of :func:`gauss_markov_rates`, link after link from one stream: ``n`` normals, ``n``
    uniforms (an outage starts where one is below ``start_p``), then one geometric length per start, in order."""
    out = np.empty((num_links, n))
    u = np.empty(n)
    for lnk in range(num_links):
        rate = out[lnk]
        _gaussian_ar1(rng, n, rho, rate)
        for j in range(n):
            rate[j] = max(mean * (1.0 + cv * rate[j]), 0.0)
        for j in range(n):
            u[j] = rng.random()
        for j in range(n):
            if u[j] < start_p:
                rate[j:min(j + rng.geometric(geo_p), n)] = 0.0
    return out


@njit(cache=True)
def _stable(rng: np.random.Generator, num_links: int, n: int, mean: float, cv: float) -> np.ndarray:
    """``(num_links, n)`` rates of :func:`stable_rates`: the normals of ``rng.standard_normal((num_links, n))``, drawn
    one at a time."""
    out = np.empty((num_links, n))
    for lnk in range(num_links):
        for j in range(n):
            out[lnk, j] = max(mean * (1.0 + cv * rng.standard_normal()), 0.0)
    return out


@njit(cache=True)
def synthetic_rates(rng: np.random.Generator, num_links: int, n: int, gauss_markov: bool, mean: float, cv: float,
                    rho: float, start_p: float, geo_p: float) -> np.ndarray:
    """``(num_links, n)`` rates of :func:`gauss_markov_rates` (``gauss_markov``) or :func:`stable_rates` (``cv`` its
    ``noise_cv``; the last three unused), with the arguments of :func:`synthetic_args`, for compiled callers."""
    if gauss_markov:
        return _gauss_markov(rng, num_links, n, mean, cv, rho, start_p, geo_p)
    return _stable(rng, num_links, n, mean, cv)


def synthetic_args(gauss_markov: bool, p: dict[str, float]) -> tuple[float, float, float, float, float]:
    """The last five arguments of :func:`synthetic_rates` for checked parameters ``p``: ``(mean_mbps, cv, rho, outage
    start probability per step, geometric parameter of an outage's length)``, or ``(mean_mbps, noise_cv, 0, 0, 0)``
    for ``stable``."""
    if not gauss_markov:
        return float(p["mean_mbps"]), float(p["noise_cv"]), 0.0, 0.0, 0.0
    dt = p["interval_s"]
    return (float(p["mean_mbps"]), float(p["cv"]), float(p["rho"]), 1.0 - math.exp(-p["outage_rate_per_s"] * dt),
            min(1.0, dt / p["outage_mean_s"]))


def stable_rates(rng: np.random.Generator, num_links: int, n: int, p: dict[str, float]) -> np.ndarray:
    """``(num_links, n)`` i.i.d. rates, Mbit/s: ``mean_mbps * (1 + noise_cv * N(0, 1))`` clipped at 0 (source ``stable``)."""
    return call_with_rng(_stable, rng, num_links, n, p["mean_mbps"], p["noise_cv"])


def gauss_markov_rates(rng: np.random.Generator, num_links: int, n: int, p: dict[str, float]) -> np.ndarray:
    """``(num_links, n)`` rates, Mbit/s, one per ``interval_s``: Gaussian AR(1) around ``mean_mbps`` with outages
    (source ``gauss-markov``); each link draws its AR noise, outage starts and outage lengths in turn."""
    return call_with_rng(_gauss_markov, rng, num_links, n, *synthetic_args(True, p))


@njit(cache=True, inline="always")
def _choose(rng: np.random.Generator, cdf: np.ndarray) -> int:
    """One index drawn with cumulative probabilities ``cdf`` (NumPy's ``Generator.choice(k, p=...)`` arithmetic)."""
    return np.searchsorted(cdf, rng.random(), side="right")


@njit(cache=True)
def _calibrated(rng: np.random.Generator, num_links: int, n: int, initial_cdf: np.ndarray, stay: np.ndarray,
                jump_cdf: np.ndarray, rho: float, start_p: np.ndarray, geo_p: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(regime, z, outage)``, each ``(num_links, n)``, of :func:`simulate`: the regime path, the latent AR(1) and
    the outage mask (``n`` uniforms, then one geometric length per outage start, in order), drawn link after link."""
    regimes = np.zeros((num_links, n), dtype=np.int64)
    z = np.empty((num_links, n))
    outage = np.zeros((num_links, n), dtype=np.bool_)
    u = np.empty(n)
    for lnk in range(num_links):
        regime = regimes[lnk]
        if stay.shape[0] > 1:
            state = _choose(rng, initial_cdf)
            pos = 0
            while pos < n:
                run = rng.geometric(1.0 - stay[state]) if stay[state] < 1.0 else n
                regime[pos:pos + run] = state
                pos += run
                state = _choose(rng, jump_cdf[state])
        _gaussian_ar1(rng, n, rho, z[lnk])
        for j in range(n):
            u[j] = rng.random()
        for j in range(n):
            if u[j] < start_p[regime[j]]:
                outage[lnk, j:min(j + rng.geometric(geo_p[regime[j]]), n)] = True
    return regimes, z, outage


def _cdf(p: np.ndarray) -> np.ndarray:
    """Cumulative probabilities of the last axis normalised to end at 1 (an all-zero row stays zero)."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64), axis=-1)
    return cdf / np.maximum(cdf[..., -1:], 1e-300)


def simulate(params: dict[str, Any], rng: np.random.Generator, n: int, interval_s: float = 1.0, rho: float | None = None,
             num_links: int = 1) -> np.ndarray:
    """``(num_links, n)`` generated throughput samples in Mbit/s, one per ``interval_s`` seconds (``rho`` overrides
    the fitted one); each link draws its regime path, latent AR(1), outage starts and lengths in turn."""
    trans = np.asarray(params["transition"], dtype=np.float64)
    k = trans.shape[0]
    stay = np.clip(np.diag(trans), 0.0, 1.0) ** interval_s
    jump = trans * (1.0 - np.eye(k))
    jump = jump / np.maximum(jump.sum(axis=1, keepdims=True), 1e-300)
    start_p = 1.0 - (1.0 - np.asarray(params["outage_start_prob"], dtype=np.float64)) ** interval_s
    geo_p = 1.0 / np.maximum(np.asarray(params["outage_mean_s"], dtype=np.float64) / interval_s, 1.0)
    rho_dt = (params["rho"] if rho is None else rho) ** interval_s
    regime, z, outage = call_with_rng(_calibrated, rng, num_links, n, _cdf(params["initial"]), stay, _cdf(jump), rho_dt,
                                      start_p, geo_p)
    u = ndtr(z)
    levels = np.asarray(params["quantile_levels"])
    x = np.empty((num_links, n))
    for r, quantiles in enumerate(params["quantiles"]):
        mask = regime == r
        x[mask] = np.interp(u[mask], levels, quantiles)
    x[outage] = 0.0
    return x


def generate(set_name: str, rng: np.random.Generator, duration_s: float, interval_s: float = 1.0) -> BandwidthTrace:
    """A synthetic trace of at least ``duration_s`` seconds in steps of ``interval_s`` calibrated to ``set_name``."""
    if not (math.isfinite(duration_s) and duration_s > 0 and math.isfinite(interval_s) and interval_s > 0):
        raise TraceError(f"calibrated:{set_name}: duration_s and interval_s must be > 0, got {duration_s} and {interval_s}")
    rates = simulate(load_params(set_name), rng, num_steps(duration_s, interval_s), interval_s)[0]
    return BandwidthTrace.from_samples(rates, interval_s, f"calibrated:{set_name}")
