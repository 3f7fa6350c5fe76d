"""Bandwidth estimators for policies: a history of throughputs in, one estimate per user out.

Every estimator maps a history array ``(N, H)`` of per-slot measured throughputs in Mbit/s (oldest first,
newest last, ``H >= 1``) to an ``(N,)`` estimate of the next slot's throughput in Mbit/s.

Harmonic means and relative errors divide by samples; a zero sample (an outage) is first raised to
:data:`FLOOR_MBPS` (1 kbit/s) so that no estimate is NaN or infinite. A window of zeros therefore
estimates about 1 kbit/s, not 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rapgym.errors import PolicyError

__all__ = ["ESTIMATORS", "FLOOR_MBPS", "Estimator", "ewma", "harmonic_mean", "last_sample", "make_estimator", "robust_mpc"]

FLOOR_MBPS = 1e-3
"""Smallest throughput a harmonic mean or relative error divides by, Mbit/s."""


def _history(history: np.ndarray) -> np.ndarray:
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] < 1:
        raise PolicyError(f"bandwidth history (observation key 'bandwidth') must be (N, H) with H >= 1, got shape {h.shape}")
    return h


def last_sample(history: np.ndarray) -> np.ndarray:
    """The newest sample, Mbit/s."""
    return _history(history)[:, -1].copy()


def ewma(history: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Exponentially weighted moving average ``e_t = alpha x_t + (1 - alpha) e_{t-1}``, ``e_0 = x_0``, Mbit/s."""
    h = _history(history)
    age = np.arange(h.shape[1] - 1, -1, -1)
    weights = alpha * (1.0 - alpha) ** age
    weights[0] = (1.0 - alpha) ** age[0]
    return h @ weights


def _inverse_cumsum(h: np.ndarray) -> np.ndarray:
    """``(N, H+1)`` running sums of ``1 / max(x, FLOOR_MBPS)``, starting with 0."""
    inv = 1.0 / np.maximum(h, FLOOR_MBPS)
    return np.concatenate((np.zeros((h.shape[0], 1)), np.cumsum(inv, axis=1)), axis=1)


def harmonic_mean(history: np.ndarray, n: int = 5) -> np.ndarray:
    """Harmonic mean of the last ``min(n, H)`` samples (each floored at :data:`FLOOR_MBPS`), Mbit/s."""
    h = _history(history)
    k = min(n, h.shape[1])
    cum = _inverse_cumsum(h)
    return k / (cum[:, -1] - cum[:, -1 - k])


def robust_mpc(history: np.ndarray, n: int = 5) -> np.ndarray:
    """Robust-MPC estimate: harmonic mean of the last ``n`` divided by ``1 + max relative error``, Mbit/s.

    The past predictions are replayed from the history: the prediction for slot ``t`` is the harmonic mean
    of the up to ``n`` samples before it, and its error is ``|pred_t - x_t| / max(x_t, FLOOR_MBPS)``. The
    maximum is over the last ``n`` slots that had at least one earlier sample (none when ``H == 1``: no
    discount).
    """
    h = _history(history)
    width = h.shape[1]
    cum = _inverse_cumsum(h)
    t = np.arange(max(1, width - n), width)
    start = np.maximum(t - n, 0)
    pred = (t - start) / (cum[:, t] - cum[:, start])
    err = np.abs(pred - h[:, t]) / np.maximum(h[:, t], FLOOR_MBPS)
    max_err = err.max(axis=1) if t.size else np.zeros(h.shape[0])
    return harmonic_mean(h, n) / (1.0 + max_err)


ESTIMATORS: dict[str, tuple[Callable[..., np.ndarray], dict[str, float]]] = {
    "last": (last_sample, {}),
    "ewma": (ewma, {"alpha": 0.5}),
    "harmonic": (harmonic_mean, {"n": 5}),
    "robust_mpc": (robust_mpc, {"n": 5}),
}
"""Estimator name -> (function, default options)."""


@dataclass(frozen=True)
class Estimator:
    """A named estimator with bound options; call it on an ``(N, H)`` history to get ``(N,)`` Mbit/s."""

    name: str
    options: dict[str, float] = field(default_factory=dict)

    def __call__(self, history: np.ndarray) -> np.ndarray:
        return ESTIMATORS[self.name][0](history, **self.options)


def make_estimator(name: str, **options: float) -> Estimator:
    """The estimator ``name`` (a key of :data:`ESTIMATORS`) with ``options`` overriding its defaults."""
    if name not in ESTIMATORS:
        raise PolicyError(f"estimator {name!r} unknown; allowed: {sorted(ESTIMATORS)}")
    defaults = ESTIMATORS[name][1]
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise PolicyError(f"estimator {name!r}: unknown option(s) {unknown}; allowed: {sorted(defaults)}")
    merged = {**defaults, **options}
    if "alpha" in merged and not 0.0 < merged["alpha"] <= 1.0:
        raise PolicyError(f"estimator {name!r}: alpha must be in (0, 1], got {merged['alpha']}")
    if "n" in merged and (int(merged["n"]) != merged["n"] or merged["n"] < 1):
        raise PolicyError(f"estimator {name!r}: n must be an integer >= 1, got {merged['n']}")
    return Estimator(name, {k: (int(v) if k == "n" else float(v)) for k, v in merged.items()})
