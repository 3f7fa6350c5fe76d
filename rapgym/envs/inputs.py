"""The env's input boundary: actions and reset options are checked here, before anything reaches the kernel.

One parser serves the single env (field shape ``(N,)``) and batched callers (field shape ``(M, N)``): every
field is checked against ``shape`` and converted to the one dtype the kernel takes (``int64`` indices,
``float64`` shares, native byte order), whatever integer or float dtype it came in (``uint64``, big-endian,
``float16``, ``longdouble``, Python numbers); anything else is an :class:`~rapgym.errors.ActionError` naming
the field and what is allowed. Rules (``docs/model.md §3``):

- the keys are exactly ``split``, ``bits``, ``compute_share`` (and ``uplink_share`` in a shared cell); an
  unknown key is an error;
- ``uplink_share`` in a scenario without a shared cell is ignored, but only if it is valid (right shape,
  numbers in ``[0, 1]``): a malformed one is an error, so a typo in the action is never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rapgym.errors import ActionError, ScenarioError
from rapgym.traces.trace import BandwidthTrace

__all__ = ["ACTION_KEYS", "RESET_OPTIONS", "check_reset_options", "parse_action"]

ACTION_KEYS = ("split", "bits", "compute_share", "uplink_share")
"""Every key an action may hold (``uplink_share`` is required only in a shared cell)."""

RESET_OPTIONS = ("traces", "arrivals")
"""Keys a ``reset(options=...)`` may hold."""

_INT64_MAX = np.iinfo(np.int64).max
_INT64, _FLOAT32, _FLOAT64 = np.dtype(np.int64), np.dtype(np.float32), np.dtype(np.float64)


def _as_array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as an array of ``shape``; ragged nesting, objects and a wrong shape are ActionErrors."""
    try:
        array = value if type(value) is np.ndarray else np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists: numpy's "inhomogeneous shape"
        raise ActionError(f"action field {name!r} is not a rectangular array of numbers ({exc}); expected shape {shape}") from None
    if array.shape != shape:
        raise ActionError(f"action field {name!r} has shape {array.shape}; expected {shape}")
    return array


def _as_index(name: str, value: np.ndarray) -> np.ndarray:
    """``int64`` view of an index field: any integer dtype, or integral floats; anything else is an ActionError."""
    if value.dtype == _INT64:
        return value
    kind = value.dtype.kind
    if kind == "u" and value.size and int(value.max()) > _INT64_MAX:
        raise ActionError(f"action field {name!r} has entry {int(value.max())}, beyond any index")
    if kind in "iu":
        return np.asarray(value, dtype=np.int64)
    if kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            wide = value.astype(np.float64)  # float16 .. longdouble; beyond float64 becomes inf
            integral = np.isfinite(wide) & (wide == np.round(wide)) & (np.abs(wide) <= 2.0 ** 53)
        if np.all(integral):
            return wide.astype(np.int64)
        raise ActionError(f"action field {name!r} must hold integers, got non-integral values {value[~integral].ravel()[:4]}")
    raise ActionError(f"action field {name!r} must hold integers (any integer dtype or integral floats), got dtype {value.dtype}")


def _as_share(name: str, value: np.ndarray) -> np.ndarray:
    """``float64`` view of a share field from any float, integer or bool dtype (range and NaN: the kernel)."""
    if value.dtype == _FLOAT64:
        return value
    if value.dtype.kind in "fiub":
        return value.astype(np.float64)
    raise ActionError(f"action field {name!r} must hold numbers in [0, 1] (any float, integer or bool dtype), got dtype {value.dtype}")


def _exact_share(value: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """A share field of :func:`_parse_exact` as ``float64``, or ``None`` unless it is a float32/float64 array of ``shape``."""
    if type(value) is not np.ndarray or value.shape != shape:
        return None
    dtype = value.dtype
    if dtype is _FLOAT64 or dtype == _FLOAT64:
        return value
    return value.astype(np.float64) if dtype is _FLOAT32 or dtype == _FLOAT32 else None


def _parse_exact(action: dict[str, Any], shape: tuple[int, ...], shared_uplink: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None:
    """:func:`parse_action` of an action as ``action_space.sample()`` makes it (exactly the required keys; ``int64``
    indices and ``float32``/``float64`` shares of ``shape``), or ``None`` for anything else (the full parser then checks
    it): the same result without the generic checks (a dtype is first compared by identity, NumPy's native ones being
    singletons)."""
    try:
        split, bits, compute = action["split"], action["bits"], action["compute_share"]
        uplink = action["uplink_share"] if shared_uplink else None
    except KeyError:
        return None
    if type(split) is not np.ndarray or type(bits) is not np.ndarray or split.shape != shape or bits.shape != shape:
        return None
    if not ((split.dtype is _INT64 or split.dtype == _INT64) and (bits.dtype is _INT64 or bits.dtype == _INT64)):
        return None
    compute = _exact_share(compute, shape)
    if compute is None:
        return None
    if not shared_uplink:
        return split, bits, compute, None
    uplink = _exact_share(uplink, shape)
    return None if uplink is None else (split, bits, compute, uplink)


def parse_action(action: Any, shape: tuple[int, ...], shared_uplink: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """``(split, bits_idx, compute_share, uplink_share)`` of a Dict action, each of ``shape``.

    Args:
        action: mapping with keys ``split``, ``bits``, ``compute_share`` (and ``uplink_share`` when
            ``shared_uplink``).
        shape: the shape every field must have: ``(N,)`` for one env, ``(M, N)`` for M copies.
        shared_uplink: whether the scenario has a shared cell (``uplink_share`` is then required; else a
            valid one is ignored and ``None`` is returned for it).

    Returns:
        ``int64`` split and bit-width indices, ``float64`` shares (the kernel checks their ranges).

    Raises:
        ActionError: not a mapping, a missing or unknown key, a ragged field, a wrong shape, a dtype that is
            neither integer nor float, a non-integral index, or an ignored ``uplink_share`` outside ``[0, 1]``.
    """
    if type(action) is dict and len(action) == 3 + shared_uplink:
        exact = _parse_exact(action, shape, shared_uplink)
        if exact is not None:
            return exact
    keys = ["bits", "compute_share", "split"] + (["uplink_share"] if shared_uplink else [])
    if not isinstance(action, (dict, Mapping)):
        raise ActionError(f"action must be a dict with keys {sorted(keys)}, got {type(action).__name__}")
    missing = [k for k in keys if k not in action]
    if missing:
        raise ActionError(f"action is missing key {missing[0]!r}; required keys: {sorted(keys)}")
    unknown = sorted(str(k) for k in action if k not in ACTION_KEYS) if len(action) > 3 else []
    if unknown:
        raise ActionError(f"action has unknown key(s) {unknown}; allowed keys: {sorted(keys)}")
    split = _as_index("split", _as_array("split", action["split"], shape))
    bits = _as_index("bits", _as_array("bits", action["bits"], shape))
    compute = _as_share("compute_share", _as_array("compute_share", action["compute_share"], shape))
    if "uplink_share" not in action:
        return split, bits, compute, None
    uplink = _as_share("uplink_share", _as_array("uplink_share", action["uplink_share"], shape))
    if shared_uplink:
        return split, bits, compute, uplink
    if not np.all((uplink >= 0.0) & (uplink <= 1.0)):
        raise ActionError("action field 'uplink_share' (ignored: this scenario has no shared cell) must still hold "
                          f"numbers in [0, 1], got {uplink[~((uplink >= 0.0) & (uplink <= 1.0))].ravel()[:4]}")
    return split, bits, compute, None


def _check_traces(traces: Any) -> list[BandwidthTrace]:
    if not isinstance(traces, (list, tuple)):
        raise ScenarioError(f"reset option 'traces' must be a list or tuple of BandwidthTrace (one per uplink), got "
                            f"{type(traces).__name__}")
    for i, trace in enumerate(traces):
        if not isinstance(trace, BandwidthTrace):
            raise ScenarioError(f"reset option 'traces'[{i}] must be a BandwidthTrace, got {type(trace).__name__}")
    return list(traces)


def _check_arrivals(arrivals: Any) -> list[np.ndarray]:
    if not isinstance(arrivals, (list, tuple, np.ndarray)) or (isinstance(arrivals, np.ndarray) and arrivals.ndim != 2):
        raise ScenarioError(f"reset option 'arrivals' must be a list or tuple of 1-D arrays of arrival times (one per "
                            f"user, s), got {type(arrivals).__name__}")
    out = []
    for i, times in enumerate(arrivals):
        try:
            array = np.asarray(times)
            ok = array.ndim == 1 and array.dtype.kind in "iuf"
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ScenarioError(f"reset option 'arrivals'[{i}] must be a 1-D array of numbers (arrival times, s), got "
                                f"{type(times).__name__}")
        out.append(np.asarray(array, dtype=np.float64))
    return out


def check_reset_options(options: Any) -> dict[str, Any]:
    """The reset options as a dict (``{}`` for ``None``), type-checked: ``traces`` a list/tuple of
    :class:`~rapgym.traces.trace.BandwidthTrace`, ``arrivals`` a list/tuple (or 2-D array) of 1-D number arrays,
    converted to ``float64``. Their counts, order and finiteness are checked by the simulator.

    Raises:
        ScenarioError: not a mapping, a key other than :data:`RESET_OPTIONS`, or a value of the wrong type.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ScenarioError(f"reset options must be a dict with keys among {', '.join(map(repr, RESET_OPTIONS))}, got "
                            f"{type(options).__name__}")
    unknown = sorted(str(k) for k in options if k not in RESET_OPTIONS)
    if unknown:
        raise ScenarioError(f"unknown reset option(s) {unknown}; allowed: {', '.join(map(repr, RESET_OPTIONS))}")
    out: dict[str, Any] = {}
    if options.get("traces") is not None:
        out["traces"] = _check_traces(options["traces"])
    if options.get("arrivals") is not None:
        out["arrivals"] = _check_arrivals(options["arrivals"])
    return out
