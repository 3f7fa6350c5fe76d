"""Named sources of uplink bandwidth traces for the environment.

:func:`make_uplink_traces` builds one trace per link from a source name and its parameters:

- ``"stable"``: i.i.d. Gaussian noise around ``mean_mbps`` with coefficient of variation ``noise_cv``,
  clipped at 0, one sample per ``interval_s`` seconds.
- ``"gauss-markov"``: a Gaussian AR(1) rate around ``mean_mbps`` (stationary coefficient of variation
  ``cv``, lag-1 correlation ``rho`` per ``interval_s`` step, clipped at 0) with outages (rate 0) starting
  at ``outage_rate_per_s`` per second and lasting ``outage_mean_s`` seconds on average (geometric).
- ``"calibrated:<set>"`` for each set in :data:`rapgym.traces.sets.TRACE_SETS` (parameter
  ``interval_s``). With ``trace_dir`` (a directory or glob read as a :class:`~rapgym.traces.sets.TraceSet`)
  the links get real traces of that set's ``split`` instead, picked uniformly at random with replacement.

Traces are at least ``duration_s`` long (real traces keep their own length; every trace repeats).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rapgym.errors import ScenarioError
from rapgym.traces.generators import gauss_markov_rates, generate, num_steps, stable_rates
from rapgym.traces.sets import TRACE_SETS, TraceSet
from rapgym.traces.trace import BandwidthTrace

__all__ = ["SOURCE_DEFAULTS", "check_uplink_source", "make_uplink_traces", "source_names"]

SOURCE_DEFAULTS: dict[str, dict[str, float]] = {
    "stable": {"mean_mbps": 10.0, "noise_cv": 0.05, "interval_s": 1.0},
    "gauss-markov": {"mean_mbps": 10.0, "cv": 0.3, "rho": 0.9, "outage_rate_per_s": 0.01, "outage_mean_s": 2.0, "interval_s": 1.0},
    **{f"calibrated:{name}": {"interval_s": 1.0} for name in TRACE_SETS},
}
"""Source name -> its parameters with their defaults (rates in Mbit/s, times in seconds)."""


def source_names() -> list[str]:
    """All source names accepted by :func:`make_uplink_traces`."""
    return list(SOURCE_DEFAULTS)


@lru_cache(maxsize=16)
def _real_traces(trace_dir: str, split: str) -> tuple[BandwidthTrace, ...]:
    return tuple(TraceSet(trace_dir).traces(split))


def check_uplink_source(source: str, params: dict[str, float]) -> dict[str, float]:
    """Validated parameters of ``source`` with defaults filled in; :class:`~rapgym.errors.ScenarioError` names a bad
    name or parameter (the scenario fields ``uplink`` and ``uplink_params``)."""
    if source not in SOURCE_DEFAULTS:
        raise ScenarioError(f"uplink source {source!r} unknown; allowed: {source_names()}")
    defaults = SOURCE_DEFAULTS[source]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ScenarioError(f"uplink source {source!r}: unknown parameter(s) {unknown}; allowed: {sorted(defaults)}")
    p = dict(defaults)
    for key, value in params.items():
        try:
            p[key] = float(value)
        except (TypeError, ValueError):
            raise ScenarioError(f"uplink source {source!r}: {key} must be a number, got {value!r}") from None
    for key in ("interval_s", "outage_mean_s"):
        if key in p and not (math.isfinite(p[key]) and p[key] > 0):
            raise ScenarioError(f"uplink source {source!r}: {key} must be > 0, got {p[key]}")
    for key in ("mean_mbps", "noise_cv", "cv", "outage_rate_per_s"):
        if key in p and not (math.isfinite(p[key]) and p[key] >= 0):
            raise ScenarioError(f"uplink source {source!r}: {key} must be >= 0, got {p[key]}")
    if "rho" in p and not -1.0 < p["rho"] < 1.0:
        raise ScenarioError(f"uplink source {source!r}: rho must be in (-1, 1), got {p['rho']}")
    return p


def make_uplink_traces(
    source: str,
    rng: np.random.Generator,
    num_links: int,
    duration_s: float,
    params: dict[str, float],
    trace_dir: str | None = None,
    split: str = "train",
) -> list[BandwidthTrace]:
    """``num_links`` uplink traces (Mbit/s) of at least ``duration_s`` seconds from ``source`` (see the module docstring)."""
    p = check_uplink_source(source, params)
    if num_links < 1 or not (math.isfinite(duration_s) and duration_s > 0):
        raise ScenarioError(f"num_links must be >= 1 and duration_s > 0, got {num_links} and {duration_s}")
    if trace_dir is not None:
        if not source.startswith("calibrated:"):
            raise ScenarioError(f"trace_dir is only allowed with a 'calibrated:<set>' source, got {source!r}")
        real = _real_traces(str(trace_dir), split)
        return [real[i] for i in rng.integers(0, len(real), size=num_links)]
    if source.startswith("calibrated:"):
        return [generate(source.split(":", 1)[1], rng, duration_s, p["interval_s"]) for _ in range(num_links)]
    n = num_steps(duration_s, p["interval_s"])
    make = stable_rates if source == "stable" else gauss_markov_rates
    return [BandwidthTrace.from_samples(make(rng, n, p), p["interval_s"], f"{source}#{i}") for i in range(num_links)]
