"""DNN partition profile: per-cut latencies, tensor sizes and accuracy loss (``docs/model.md §1``).

A profile describes one model on one (device class, cloud class) pair. Cut ``k`` runs blocks
``1..k`` on the device and ``k+1..K`` in the cloud: ``k = 0`` is cloud-only (the raw input is
uploaded, never quantized), ``k = K`` is device-only (nothing crosses, no cloud work).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.errors import ProfileError
from rapgym.profiles.schema import MAX_FLOPS, MAX_LATENCY_S, MAX_TX_BYTES, validate_profile_dict

__all__ = ["DNNProfile", "DEFAULT_BITS", "MAX_PROFILE_BYTES", "head_cumsum", "tail_cumsum"]

DEFAULT_BITS: tuple[int, ...] = (32, 16, 8, 4, 2)
"""Bit widths a crossing tensor may be quantized to; 32 means unquantized fp32."""

MAX_PROFILE_BYTES = 16 * 2**20
"""Largest profile JSON read, bytes (16 MiB)."""

_UPPER_BOUND = {"device_s": MAX_LATENCY_S, "cloud_s": MAX_LATENCY_S, "tx_bytes": MAX_TX_BYTES, "acc_loss": 100.0, "flops": MAX_FLOPS}
"""Field -> largest entry allowed (:mod:`rapgym.profiles.schema`)."""


def head_cumsum(per_block: np.ndarray) -> np.ndarray:
    """Per-cut totals of blocks ``1..k`` (``K + 1`` entries, 0 at the cloud-only cut) from ``K`` per-block values,
    e.g. device seconds or FLOPs."""
    return np.concatenate([[0.0], np.cumsum(np.asarray(per_block, dtype=np.float64))])


def tail_cumsum(per_block: np.ndarray) -> np.ndarray:
    """Per-cut totals of blocks ``k+1..K`` (``K + 1`` entries, 0 at the device-only cut) from ``K`` per-block
    values, e.g. cloud seconds."""
    return np.concatenate([np.cumsum(np.asarray(per_block, dtype=np.float64)[::-1])[::-1], [0.0]])


@dataclass(frozen=True)
class DNNProfile:
    """One model's partition profile.

    Attributes:
        name: model name, e.g. ``"resnet18"``.
        cut_names: ``K + 1`` labels, ``cut_names[k]`` names the boundary after block ``k``.
        device_s: ``(K+1,)`` head latency on the device, seconds (``device_s[0] == 0``).
        cloud_s: ``(K+1,)`` tail latency on the whole reference cloud, seconds (``cloud_s[K] == 0``).
        tx_bytes: ``(K+1,)`` fp32 size of the crossing tensor in bytes; raw input bytes at ``k=0``;
            ``tx_bytes[K]`` is the size of the result, which is never uploaded.
        bits: bit widths, one per column of ``acc_loss``; must contain 32.
        acc_loss: ``(K+1, len(bits))`` top-1 accuracy drop in percentage points when the crossing
            tensor is quantized to ``bits[j]`` bits; 0 at ``k=0``, ``k=K`` and 32 bits.
        base_accuracy: top-1 accuracy of the unsplit fp32 model, percent.
        flops: ``(K+1,)`` cumulative FLOPs of blocks ``1..k`` (optional, 0 if unknown).
        provenance: per-field source, e.g. ``{"device_s": "FLOP-rate model, raspberry-pi-4 ..."}``.
    """

    name: str
    cut_names: tuple[str, ...]
    device_s: np.ndarray
    cloud_s: np.ndarray
    tx_bytes: np.ndarray
    acc_loss: np.ndarray
    base_accuracy: float
    bits: tuple[int, ...] = DEFAULT_BITS
    flops: np.ndarray | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("device_s", "cloud_s", "tx_bytes", "acc_loss", "flops"):
            value = getattr(self, key)
            if value is not None:
                try:
                    array = np.array(value, dtype=np.float64)
                except (TypeError, ValueError) as exc:
                    raise ProfileError(f"profile {self.name!r}: field {key!r} is not numeric ({exc})") from None
                array.flags.writeable = False
                object.__setattr__(self, key, array)
        object.__setattr__(self, "bits", tuple(int(b) for b in self.bits))
        object.__setattr__(self, "cut_names", tuple(str(c) for c in self.cut_names))
        self._validate()

    @property
    def num_cuts(self) -> int:
        """Number of cut points ``K + 1`` (cloud-only and device-only included)."""
        return int(self.device_s.shape[0])

    @property
    def K(self) -> int:  # noqa: N802 - the design's symbol
        """Index of the device-only cut."""
        return self.num_cuts - 1

    def _validate(self) -> None:
        n = self.device_s.shape
        if self.device_s.ndim != 1 or n[0] < 2:
            raise ProfileError(f"profile {self.name!r}: 'device_s' must be 1-D with at least 2 cuts (cloud-only and device-only), got shape {n}")
        for key in ("cloud_s", "tx_bytes") + (("flops",) if self.flops is not None else ()):
            if getattr(self, key).shape != n:
                raise ProfileError(f"profile {self.name!r}: {key!r} has shape {getattr(self, key).shape}, expected {n} like 'device_s'")
        if len(self.cut_names) != n[0]:
            raise ProfileError(f"profile {self.name!r}: 'cut_names' has {len(self.cut_names)} entries, expected {n[0]}")
        if 32 not in self.bits or len(set(self.bits)) != len(self.bits) or any(b < 1 or b > 32 for b in self.bits):
            raise ProfileError(f"profile {self.name!r}: 'bits' must be distinct widths in 1..32 including 32, got {self.bits}")
        if self.acc_loss.shape != (n[0], len(self.bits)):
            raise ProfileError(f"profile {self.name!r}: 'acc_loss' has shape {self.acc_loss.shape}, expected {(n[0], len(self.bits))} (cuts x bits)")
        for key in ("device_s", "cloud_s", "tx_bytes", "acc_loss") + (("flops",) if self.flops is not None else ()):
            value = getattr(self, key)
            if not np.all(np.isfinite(value)) or np.any(value < 0):
                raise ProfileError(f"profile {self.name!r}: {key!r} must be finite and >= 0")
            if np.any(value > _UPPER_BOUND[key]):
                raise ProfileError(f"profile {self.name!r}: {key!r} has entry {value.max():g}; at most {_UPPER_BOUND[key]:g}")
        if not np.isfinite(self.base_accuracy) or not 0.0 <= self.base_accuracy <= 100.0:
            raise ProfileError(f"profile {self.name!r}: 'base_accuracy' must be a percentage in [0, 100], got {self.base_accuracy}")
        j32 = self.bits.index(32)
        if np.any(self.acc_loss[:, j32] != 0) or np.any(self.acc_loss[0] != 0) or np.any(self.acc_loss[-1] != 0):
            raise ProfileError(f"profile {self.name!r}: 'acc_loss' must be 0 at 32 bits, at the cloud-only cut and at the device-only cut")
        if self.device_s[0] != 0 or self.cloud_s[-1] != 0:
            raise ProfileError(f"profile {self.name!r}: 'device_s[0]' (cloud-only) and 'cloud_s[K]' (device-only) must be 0")
        if self.tx_bytes[0] <= 0:
            raise ProfileError(f"profile {self.name!r}: 'tx_bytes[0]' (the raw input) must be > 0")

    def with_bits(self, bits: tuple[int, ...]) -> DNNProfile:
        """Return the profile restricted to ``bits`` (each must be one of ``self.bits``)."""
        missing = [b for b in bits if b not in self.bits]
        if missing:
            raise ProfileError(f"profile {self.name!r}: bit widths {missing} not profiled; available: {list(self.bits)}")
        columns = [self.bits.index(b) for b in bits]
        return DNNProfile(
            name=self.name, cut_names=self.cut_names, device_s=self.device_s, cloud_s=self.cloud_s,
            tx_bytes=self.tx_bytes, acc_loss=self.acc_loss[:, columns], base_accuracy=self.base_accuracy,
            bits=tuple(bits), flops=self.flops, provenance=dict(self.provenance),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (arrays become lists)."""
        out: dict[str, Any] = {
            "name": self.name, "cut_names": list(self.cut_names), "bits": list(self.bits),
            "base_accuracy": float(self.base_accuracy),
            "device_s": self.device_s.tolist(), "cloud_s": self.cloud_s.tolist(),
            "tx_bytes": self.tx_bytes.tolist(), "acc_loss": self.acc_loss.tolist(),
            "provenance": dict(self.provenance),
        }
        if self.flops is not None:
            out["flops"] = self.flops.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str | None = None) -> DNNProfile:
        """Inverse of :meth:`to_dict`, checked against :class:`~rapgym.profiles.schema.ProfileSchema` first.

        Raises:
            ProfileError: a missing, unknown, wrong-typed or out-of-range field (named), or a rule of the profile
                broken; ``where`` (default ``profile '<name>'``) starts the message.
        """
        name = data.get("name", "?") if isinstance(data, dict) else "?"
        schema = validate_profile_dict(data, where or f"profile {name!r}")
        try:
            return cls(
                name=schema.name, cut_names=tuple(schema.cut_names), device_s=schema.device_s, cloud_s=schema.cloud_s,
                tx_bytes=schema.tx_bytes, acc_loss=_rectangular(schema.acc_loss, schema.name),
                base_accuracy=schema.base_accuracy, bits=tuple(schema.bits), flops=schema.flops,
                provenance=dict(schema.provenance),
            )
        except ProfileError as exc:
            if where is None:
                raise
            raise ProfileError(f"{where}: {exc}") from None

    def save_json(self, path: str | Path) -> None:
        """Write the profile as indented JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load_json(cls, path: str | Path) -> DNNProfile:
        """Read a profile JSON written by :meth:`save_json` or the profiler (UTF-8, at most :data:`MAX_PROFILE_BYTES`).

        Raises:
            ProfileError: the file is missing, a directory, unreadable, too large, not UTF-8, not JSON (or nested
                too deep), or not a valid profile; the message names the file and the field.
        """
        where = f"profile file {str(path)!r}"
        try:
            size = Path(path).stat().st_size
            if size > MAX_PROFILE_BYTES:
                raise ProfileError(f"{where}: {size} bytes; a profile file may hold at most {MAX_PROFILE_BYTES} bytes")
            text = Path(path).read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise ProfileError(f"{where} does not exist") from None
        except OSError as exc:
            raise ProfileError(f"{where}: cannot read ({type(exc).__name__}: {exc.strerror or exc})") from None
        except UnicodeDecodeError as exc:
            raise ProfileError(f"{where} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError(f"{where} is not valid JSON: {exc}") from None
        except (RecursionError, ValueError) as exc:  # nesting too deep, an integer over Python's digit limit
            raise ProfileError(f"{where} is not valid JSON: {type(exc).__name__}: {str(exc)[:80]}") from None
        return cls.from_dict(data, where)


def _rectangular(rows: list[list[float]], name: str) -> np.ndarray:
    """``acc_loss`` rows as a 2-D array; ragged rows are a ProfileError."""
    if len({len(r) for r in rows}) > 1:
        raise ProfileError(f"profile {name!r}: 'acc_loss' rows have different lengths {sorted({len(r) for r in rows})}")
    return np.array(rows, dtype=np.float64)
