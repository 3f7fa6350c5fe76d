"""What a reference policy accepts as an observation: the env's Dict observation, one or a batch of ``B``.

:class:`ObservationCheck` runs before every :meth:`rapgym.agents.base.Policy.predict`: a missing key, a wrong shape,
NaN or inf, or a value outside the observation space (``docs/model.md §3``) is a
:class:`~rapgym.errors.PolicyError` naming the key, so no policy acts on a corrupt observation, silently or through
an error deep inside its arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from numba import njit

from rapgym.errors import PolicyError
from rapgym.sim.layout import COL_ACC_LOSS, NUM_STAGES

__all__ = ["OBSERVATION_KEYS", "ObservationCheck"]

_COMPILED_DTYPES = {np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int64)}
"""Dtypes :func:`_within` runs on directly (the env's, and the usual casts); others are widened to float64 first."""


@njit(cache=True)
def _within(flat: np.ndarray, low: float, high: float) -> bool:
    """Whether every entry is in ``[low, high]`` (NaN is not), in one pass."""
    for x in flat:
        if not (x >= low and x <= high):
            return False
    return True

OBSERVATION_KEYS = ("bandwidth", "queue", "profile", "cut_mask", "cloud_load")
"""Keys of the env's observation, every one needed by some policy."""


class ObservationCheck:
    """Checks one observation (each key of its unbatched shape) or a batch (each key ``(B, *shape)``).

    Args:
        num_users: N.
        num_bits: number of selectable bit widths.
        space: the env's observation space (its shapes and bounds); without it the shapes follow from ``num_users``,
            ``num_bits`` and the observation's own history length and cut count, and every value must be finite
            and ``>= 0`` (``cut_mask`` 0 or 1).
    """

    def __init__(self, num_users: int, num_bits: int, space: spaces.Dict | None = None) -> None:
        self.num_users, self.num_bits = num_users, num_bits
        self.shapes = {k: space[k].shape for k in OBSERVATION_KEYS} if space is not None else None
        self.bounds = {k: ((float(np.min(space[k].low)), float(np.max(space[k].high))) if space is not None
                           else (0.0, 1.0 if k == "cut_mask" else np.inf)) for k in OBSERVATION_KEYS}

    def _shapes_of(self, obs: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
        if self.shapes is not None:
            return self.shapes
        n = self.num_users
        hist, k1 = np.shape(obs["bandwidth"])[-1:] or (0,), (np.shape(obs["cut_mask"])[-1:] or (0,))[0]
        return {"bandwidth": (n, *hist), "queue": (n, NUM_STAGES), "profile": (n, k1, COL_ACC_LOSS + self.num_bits),
                "cut_mask": (n, k1), "cloud_load": (1,)}

    def __call__(self, obs: Any) -> int | None:
        """``None`` for one observation, ``B`` for a batch.

        Raises:
            PolicyError: not a mapping, a missing key, a shape that is neither, a batch size that differs between
                keys, NaN or inf, or a value outside the space; the message names the key.
        """
        if not isinstance(obs, Mapping):
            raise PolicyError(f"observation must be a dict with keys {list(OBSERVATION_KEYS)}, got {type(obs).__name__}")
        missing = [k for k in OBSERVATION_KEYS if k not in obs]
        if missing:
            raise PolicyError(f"observation is missing key {missing[0]!r}; a policy needs {list(OBSERVATION_KEYS)}")
        shapes = self._shapes_of(obs)
        batch: int | None = None
        for key in OBSERVATION_KEYS:
            try:
                value = np.asarray(obs[key])
            except (TypeError, ValueError) as exc:
                raise PolicyError(f"observation {key!r} is not a rectangular array ({exc})") from None
            shape = shapes[key]
            if value.shape == shape:
                size = None
            elif value.ndim == len(shape) + 1 and value.shape[1:] == shape:
                size = value.shape[0]
            else:
                raise PolicyError(f"observation {key!r} has shape {value.shape}; expected {shape} or a batch (B, *{shape})")
            if key != OBSERVATION_KEYS[0] and size != batch:
                raise PolicyError(f"observation {key!r} has batch size {size}, but 'bandwidth' has {batch}")
            batch = size
            if value.dtype.kind not in "iufb":
                raise PolicyError(f"observation {key!r} must hold numbers, got dtype {value.dtype}")
            if value.size:
                self._check_range(key, value)
        return batch

    def _check_range(self, key: str, value: np.ndarray) -> None:
        low, high = self.bounds[key]
        flat = value.reshape(-1)
        if flat.dtype not in _COMPILED_DTYPES:  # bool, float16, longdouble, ...
            flat = flat.astype(np.float64)
        if _within(flat, low, high):
            return
        lowest, highest = value.min(), value.max()
        if not np.all(np.isfinite(value)):
            where = np.argwhere(~np.isfinite(value))[0].tolist()
            raise PolicyError(f"observation {key!r} holds NaN or inf (first at index {where})")
        raise PolicyError(f"observation {key!r} is outside the observation space: values in [{lowest:g}, {highest:g}], "
                          f"allowed [{low:g}, {high:g}]")
