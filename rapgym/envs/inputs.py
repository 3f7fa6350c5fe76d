"""The env's input boundary: actions and reset options are checked here, before anything reaches the kernel.

One parser serves the single env (field shape ``(N,)``) and batched callers (field shape ``(M, N)``): every
field is checked against ``shape`` and converted to the dtype the kernel takes; anything else is an
:class:`~rapgym.errors.ActionError` naming the field and what is allowed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rapgym.errors import ActionError, ScenarioError

__all__ = ["RESET_OPTIONS", "check_reset_options", "parse_action"]

RESET_OPTIONS = ("traces", "arrivals")
"""Keys a ``reset(options=...)`` may hold."""


def _as_index(name: str, value: np.ndarray) -> np.ndarray:
    """Integer view of an index field; integral floats are accepted, anything else is an ActionError."""
    if value.dtype.kind in "iu":
        return value
    if value.dtype.kind == "f" and np.all(value == np.round(value)):
        return value.astype(np.int64)
    raise ActionError(f"action field {name!r} must hold integers, got dtype {value.dtype} values {value.ravel()[:4]}")


def _as_share(name: str, value: np.ndarray) -> np.ndarray:
    """Float view of a share field (range and NaN are checked by the kernel)."""
    if value.dtype.kind == "f":
        return value
    if value.dtype.kind in "iub":
        return value.astype(np.float64)
    raise ActionError(f"action field {name!r} must hold floats in [0, 1], got dtype {value.dtype}")


def parse_action(action: Any, shape: tuple[int, ...], shared_uplink: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """``(split, bits_idx, compute_share, uplink_share)`` of a Dict action, each of ``shape``.

    Args:
        action: dict with keys ``split``, ``bits``, ``compute_share`` (and ``uplink_share`` when
            ``shared_uplink``).
        shape: the shape every field must have: ``(N,)`` for one env, ``(M, N)`` for M copies.
        shared_uplink: whether the scenario has a shared cell (``uplink_share`` is then required; else
            ``None`` is returned for it).

    Raises:
        ActionError: not a dict, a missing key, a wrong shape or a non-numeric dtype.
    """
    keys = ["bits", "compute_share", "split"] + (["uplink_share"] if shared_uplink else [])
    if not isinstance(action, dict):
        raise ActionError(f"action must be a dict with keys {sorted(keys)}, got {type(action).__name__}")
    missing = [k for k in keys if k not in action]
    if missing:
        raise ActionError(f"action is missing key {missing[0]!r}; required keys: {sorted(keys)}")
    fields = {k: np.asarray(action[k]) for k in keys}
    for name, value in fields.items():
        if value.shape != shape:
            raise ActionError(f"action field {name!r} has shape {value.shape}; expected {shape}")
    uplink = _as_share("uplink_share", fields["uplink_share"]) if shared_uplink else None
    return (_as_index("split", fields["split"]), _as_index("bits", fields["bits"]),
            _as_share("compute_share", fields["compute_share"]), uplink)


def check_reset_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """The reset options as a dict (``{}`` for ``None``).

    Raises:
        ScenarioError: a key other than :data:`RESET_OPTIONS`.
    """
    options = options or {}
    unknown = sorted(set(options) - set(RESET_OPTIONS))
    if unknown:
        raise ScenarioError(f"unknown reset option(s) {unknown}; allowed: {', '.join(map(repr, RESET_OPTIONS))}")
    return options
