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
- ``"traces"``: your own trace files, from ``trace_dir`` (required), picked the same way; its parameters
  (:data:`TRACE_OPTIONS`, all optional) say how to read them: ``format`` (``auto`` or a name of
  :data:`rapgym.traces.loaders.FORMATS`), ``time_col``, ``rate_col``, ``run_col`` (CSV and JSON columns),
  ``unit`` (the rate unit, :data:`rapgym.traces.tabular.RATE_UNITS_MBPS`), ``time_unit`` (``s`` or ``ms``) and
  ``scale_to`` (rescale the set to this mean, Mbit/s; :class:`~rapgym.traces.sets.TraceSet`).

The simulator starts each link at a random offset in its trace (``docs/model.md`` §1, "Traces and history"), file traces included.

A generated trace covers ``duration_s`` seconds, but at most :data:`MAX_PERIOD_SAMPLES` samples: a longer
episode wraps around that period, so its memory does not grow with the episode; a sample is held for
``interval_s`` or, when that is longer, for ``duration_s`` (one constant segment: times stay of the order of
the episode, exact in float64). Real traces keep their own length. Every trace repeats.

:func:`draw_uplink` returns the links packed into flat arrays (:class:`PackedTraces`, what the simulator's
kernel reads); all links of a generated source are drawn in one compiled call and packed in another.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from rapgym.errors import ScenarioError
from rapgym.traces.generators import gauss_markov_rates, load_params, num_steps, simulate, stable_rates, synthetic_args
from rapgym.traces.loaders import FORMATS
from rapgym.traces.sets import TRACE_SETS, TraceSet
from rapgym.traces.tabular import RATE_UNITS_MBPS, TIME_UNITS_S
from rapgym.traces.trace import MBIT, BandwidthTrace

__all__ = ["MAX_PERIOD_SAMPLES", "PARAM_BOUNDS", "SOURCE_DEFAULTS", "TRACES", "TRACE_OPTIONS", "PackedTraces", "SyntheticDraw",
           "check_uplink_source", "draw_uplink", "make_uplink_traces", "pack_samples", "real_traces", "source_names",
           "synthetic_draw", "uplink_drawer"]

MAX_PERIOD_SAMPLES = 65_536
"""Most samples per generated link: the period of a generated trace is at most this many ``interval_s`` steps."""

SOURCE_DEFAULTS: dict[str, dict[str, float]] = {
    "stable": {"mean_mbps": 10.0, "noise_cv": 0.05, "interval_s": 1.0},
    "gauss-markov": {"mean_mbps": 10.0, "cv": 0.3, "rho": 0.9, "outage_rate_per_s": 0.01, "outage_mean_s": 2.0, "interval_s": 1.0},
    **{f"calibrated:{name}": {"interval_s": 1.0} for name in TRACE_SETS},
}
"""Generator source name -> its parameters with their defaults (rates in Mbit/s, times in seconds)."""

TRACES = "traces"
"""The source of your own trace files (``trace_dir``), read as its parameters :data:`TRACE_OPTIONS` say."""

TRACE_OPTIONS: dict[str, str] = {"format": "fmt", "time_col": "time_col", "rate_col": "rate_col", "run_col": "run_col",
                                 "unit": "rate_unit", "time_unit": "time_unit", "scale_to": "scale_to"}
"""Parameter of the ``traces`` source -> the :class:`~rapgym.traces.sets.TraceSet` or loader option it sets."""

SCALE_TO_MAX_MBPS = 1e4
"""Largest ``scale_to``, Mbit/s (the bound of a generator's ``mean_mbps``)."""


def source_names() -> list[str]:
    """All source names accepted by :func:`make_uplink_traces`."""
    return [*SOURCE_DEFAULTS, TRACES]


@lru_cache(maxsize=16)
def real_traces(trace_dir: str, split: str, options: tuple[tuple[str, Any], ...] = ()) -> tuple[BandwidthTrace, ...]:
    """The traces of ``split`` of the set ``trace_dir``, read with the ``traces`` source's ``options`` (checked
    ``(parameter, value)`` pairs of :data:`TRACE_OPTIONS`); cached per process."""
    kw = {TRACE_OPTIONS[key]: value for key, value in options}
    return tuple(TraceSet(trace_dir, fmt=kw.pop("fmt", "auto"), scale_to=kw.pop("scale_to", None), **kw).traces(split))


def _check_trace_options(params: dict[str, Any]) -> dict[str, Any]:
    """Validated parameters of the ``traces`` source (no defaults: an absent option is found from the files)."""
    unknown = sorted(map(str, set(params) - set(TRACE_OPTIONS)))
    if unknown:
        raise ScenarioError(f"uplink source {TRACES!r}: unknown parameter(s) {unknown}; allowed: {list(TRACE_OPTIONS)}")
    choices = {"format": ["auto", *FORMATS], "unit": list(RATE_UNITS_MBPS), "time_unit": list(TIME_UNITS_S)}
    p: dict[str, Any] = {}
    for key, value in params.items():
        if key == "scale_to":
            try:
                p[key] = float(value)
            except (TypeError, ValueError, OverflowError):
                raise ScenarioError(f"uplink source {TRACES!r}: scale_to must be a number (Mbit/s), got {str(value)[:40]!r}") from None
            if not (math.isfinite(p[key]) and 0 < p[key] <= SCALE_TO_MAX_MBPS):
                raise ScenarioError(f"uplink source {TRACES!r}: scale_to must be in (0, {SCALE_TO_MAX_MBPS:g}] Mbit/s, got {p[key]}")
        elif key in choices and value not in choices[key]:
            raise ScenarioError(f"uplink source {TRACES!r}: {key} {value!r} unknown; allowed: {choices[key]}")
        elif not isinstance(value, str) or not value:
            raise ScenarioError(f"uplink source {TRACES!r}: {key} must be a non-empty string (a column name), got {value!r}")
        else:
            p[key] = value
    return p


PARAM_BOUNDS: dict[str, tuple[float, float]] = {
    "mean_mbps": (0.0, 1e4), "noise_cv": (0.0, 10.0), "cv": (0.0, 10.0), "outage_rate_per_s": (0.0, 1e3),
    "outage_mean_s": (1e-3, 1e6), "interval_s": (1e-3, math.inf),
}
"""Parameter -> closed range ``[low, high]`` (Mbit/s, 1/s, s; ``rho`` is in the open ``(-1, 1)``): a mean of at most
10 Gbit/s with a coefficient of variation of at most 10 keeps every sample far below the 1e6 Mbit/s a
:class:`~rapgym.traces.trace.BandwidthTrace` may hold; the ``1e-3`` s floors bound the samples per second and the
outage lengths drawn in steps."""


def check_uplink_source(source: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validated parameters of ``source`` with defaults filled in; :class:`~rapgym.errors.ScenarioError` names a bad
    name or parameter (the scenario fields ``uplink`` and ``uplink_params``) and its range (:data:`PARAM_BOUNDS`,
    the allowed names of the ``traces`` source's options)."""
    if source not in source_names():
        raise ScenarioError(f"uplink source {source!r} unknown; allowed: {source_names()}")
    if not isinstance(params, dict):
        raise ScenarioError(f"uplink source {source!r}: parameters must be a dict, got {type(params).__name__}")
    if source == TRACES:
        return _check_trace_options(params)
    defaults = SOURCE_DEFAULTS[source]
    unknown = sorted(map(str, set(params) - set(defaults)))
    if unknown:
        raise ScenarioError(f"uplink source {source!r}: unknown parameter(s) {unknown}; allowed: {sorted(defaults)}")
    p = dict(defaults)
    for key, value in params.items():
        try:
            p[key] = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ScenarioError(f"uplink source {source!r}: {key} must be a finite number, got {str(value)[:40]!r}") from None
    for key, (low, high) in PARAM_BOUNDS.items():
        if key in p and not (math.isfinite(p[key]) and low <= p[key] <= high):
            raise ScenarioError(f"uplink source {source!r}: {key} must be finite and in [{low:g}, {high:g}], got {p[key]}")
    if "rho" in p and not -1.0 < p["rho"] < 1.0:
        raise ScenarioError(f"uplink source {source!r}: rho must be in (-1, 1), got {p['rho']}")
    return p


@njit(cache=True)
def pack_samples(rates_mbps: np.ndarray, hold_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(edges, cum_bits, rates_bps)`` of ``(L, M)`` samples held ``hold_s`` s each, flat, link after link: the
    arithmetic of :meth:`BandwidthTrace.from_samples` (edges ``j * hold_s``, ``C`` summed in order)."""
    num_links, m = rates_mbps.shape
    edges = np.empty(num_links * (m + 1))
    cum = np.empty(num_links * (m + 1))
    rates_bps = np.empty(num_links * m)
    for j in range(m + 1):
        edges[j] = j * hold_s
    for lnk in range(num_links):
        base = lnk * (m + 1)
        if lnk > 0:
            edges[base:base + m + 1] = edges[:m + 1]
        total = 0.0
        cum[base] = 0.0
        for j in range(m):
            rate = rates_mbps[lnk, j] * MBIT
            rates_bps[lnk * m + j] = rate
            total += rate * (edges[j + 1] - edges[j])
            cum[base + j + 1] = total
    return edges, cum, rates_bps


@lru_cache(maxsize=64)
def _link_names(source: str, num_links: int) -> tuple[str, ...]:
    """``("<source>#0", ...)``, one name per generated link."""
    return tuple(f"{source}#{i}" for i in range(num_links))


class PackedTraces(NamedTuple):
    """Link traces packed into flat arrays: trace ``l`` is ``edges[ptr[l]:ptr[l+1]]`` (s, from 0; the last edge
    is its period), ``cum_bits`` laid out the same (``C`` at each edge, bits) and ``rates_mbps[ptr[l]-l:ptr[l+1]-l-1]``
    (Mbit/s per segment; ``rates_bps`` the same in bit/s, what the kernel reads)."""

    edges: np.ndarray
    cum_bits: np.ndarray
    rates_mbps: np.ndarray
    ptr: np.ndarray
    names: tuple[str, ...]
    rates_bps: np.ndarray

    @classmethod
    def from_traces(cls, traces: Sequence[BandwidthTrace]) -> PackedTraces:
        """The traces' own arrays, concatenated."""
        return cls(np.concatenate([t.edges for t in traces]), np.concatenate([t.cum_bits for t in traces]),
                   np.concatenate([t.rates_mbps for t in traces]),
                   np.concatenate(([0], np.cumsum([t.edges.shape[0] for t in traces]))).astype(np.int64),
                   tuple(t.name for t in traces), np.concatenate([t.rates_bps for t in traces]))

    @classmethod
    def from_samples(cls, rates_mbps: np.ndarray, hold_s: float, names: tuple[str, ...]) -> PackedTraces:
        """``(L, M)`` equally spaced samples (Mbit/s), each held ``hold_s`` s: the arithmetic of
        :meth:`BandwidthTrace.from_samples`, for all links in one compiled call."""
        rates_mbps = np.ascontiguousarray(rates_mbps, dtype=np.float64)
        num_links, m = rates_mbps.shape
        edges, cum, rates_bps = pack_samples(rates_mbps, float(hold_s))
        return cls(edges, cum, rates_mbps.ravel(), np.arange(num_links + 1, dtype=np.int64) * (m + 1), names, rates_bps)

    @property
    def periods_s(self) -> np.ndarray:
        """``(L,)`` period of each trace, s."""
        return self.edges[self.ptr[1:] - 1]

    def traces(self) -> list[BandwidthTrace]:
        """One :class:`BandwidthTrace` per link (built on demand; the kernel reads the packed arrays)."""
        p = self.ptr
        return [BandwidthTrace(self.edges[p[i]:p[i + 1]], self.rates_mbps[p[i] - i:p[i + 1] - i - 1], name)
                for i, name in enumerate(self.names)]


def draw_uplink(source: str, rng: np.random.Generator, num_links: int, duration_s: float, params: dict[str, Any],
                trace_dir: str | None = None, split: str = "train") -> PackedTraces:
    """``num_links`` uplink traces covering ``duration_s`` seconds from ``source`` (see the module docstring), packed."""
    return uplink_drawer(source, num_links, duration_s, params, trace_dir, split)(rng)


def uplink_drawer(source: str, num_links: int, duration_s: float, params: dict[str, Any], trace_dir: str | None = None,
                  split: str = "train") -> Callable[[np.random.Generator], PackedTraces]:
    """:func:`draw_uplink` with these arguments checked once: a function of the generator (what a reset calls)."""
    p = check_uplink_source(source, params)
    if num_links < 1 or not (math.isfinite(duration_s) and duration_s > 0):
        raise ScenarioError(f"num_links must be >= 1 and duration_s > 0, got {num_links} and {duration_s}")
    if trace_dir is not None:
        if source != TRACES and not source.startswith("calibrated:"):
            raise ScenarioError(f"trace_dir is only allowed with the {TRACES!r} or a 'calibrated:<set>' source, got {source!r}")
        return partial(_pick_real, num_links, str(trace_dir), split, tuple(sorted(p.items())) if source == TRACES else ())
    if source == TRACES:
        raise ScenarioError(f"uplink source {TRACES!r} needs trace_dir (a folder or glob of trace files)")
    interval = p["interval_s"]
    n = min(num_steps(duration_s, interval), MAX_PERIOD_SAMPLES)
    if source.startswith("calibrated:"):
        return partial(_generate_calibrated, load_params(source.split(":", 1)[1]), num_links, n, interval,
                       min(interval, duration_s), (source,) * num_links)
    return partial(_generate, stable_rates if source == "stable" else gauss_markov_rates, num_links, n, p,
                   min(interval, duration_s), _link_names(source, num_links))


class SyntheticDraw(NamedTuple):
    """A ``gauss-markov`` or ``stable`` source's draw as compiled code takes it: ``num_links`` links of ``n`` samples
    held ``hold_s`` s each, ``args`` those of :func:`rapgym.traces.generators.synthetic_rates` after ``n``."""

    n: int
    hold_s: float
    args: tuple[bool, float, float, float, float, float]
    names: tuple[str, ...]


def synthetic_draw(source: str, num_links: int, duration_s: float, params: dict[str, Any], trace_dir: str | None = None
                   ) -> SyntheticDraw | None:
    """The draw of :func:`uplink_drawer` with these arguments for the ``gauss-markov`` and ``stable`` sources (whose
    traces :func:`pack_samples` packs), else ``None``."""
    if trace_dir is not None or source not in ("gauss-markov", "stable"):
        return None
    p = check_uplink_source(source, params)
    interval = p["interval_s"]
    gauss_markov = source == "gauss-markov"
    return SyntheticDraw(min(num_steps(duration_s, interval), MAX_PERIOD_SAMPLES), float(min(interval, duration_s)),
                         (gauss_markov, *synthetic_args(gauss_markov, p)), _link_names(source, num_links))


def _pick_real(num_links: int, trace_dir: str, split: str, options: tuple[tuple[str, Any], ...],
               rng: np.random.Generator) -> PackedTraces:
    real = real_traces(trace_dir, split, options)
    return PackedTraces.from_traces([real[i] for i in rng.integers(0, len(real), size=num_links)])


def _generate_calibrated(params: dict[str, Any], num_links: int, n: int, interval_s: float, hold_s: float,
                         names: tuple[str, ...], rng: np.random.Generator) -> PackedTraces:
    return PackedTraces.from_samples(simulate(params, rng, n, interval_s, num_links=num_links), hold_s, names)


def _generate(rates: Callable[..., np.ndarray], num_links: int, n: int, p: dict[str, float], hold_s: float,
              names: tuple[str, ...], rng: np.random.Generator) -> PackedTraces:
    return PackedTraces.from_samples(rates(rng, num_links, n, p), hold_s, names)


def make_uplink_traces(source: str, rng: np.random.Generator, num_links: int, duration_s: float,
                       params: dict[str, Any], trace_dir: str | None = None, split: str = "train") -> list[BandwidthTrace]:
    """The traces of :func:`draw_uplink` as :class:`BandwidthTrace` objects."""
    return draw_uplink(source, rng, num_links, duration_s, params, trace_dir, split).traces()
