"""The schema of a profile JSON (pydantic, as the scenarios are) and the physical bounds of every profile field.

A profile file is read by :meth:`rapgym.profiles.profile.DNNProfile.load_json`; this schema checks every field's
type and range first, so a wrong-typed, ``null``, huge or out-of-range value is a
:class:`~rapgym.errors.ProfileError` naming the field (``device_s.3``), never a raw exception. The bounds keep
every figure the env derives from a profile (the float32 ``profile`` observation, upload times, costs) finite.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from rapgym.errors import ProfileError

__all__ = ["MAX_CUTS", "MAX_FLOPS", "MAX_LATENCY_S", "MAX_TX_BYTES", "ProfileSchema", "validate_profile_dict"]

MAX_LATENCY_S = 1e6
"""Largest device or cloud latency of a cut, s (about 11.6 days)."""

MAX_TX_BYTES = 1e12
"""Largest crossing tensor, bytes (1 TB)."""

MAX_FLOPS = 1e24
"""Largest cumulative FLOP count of a cut."""

MAX_CUTS = 4096
"""Most cuts (``K + 1``) of one profile."""

Seconds = Annotated[float, Field(ge=0.0, le=MAX_LATENCY_S, allow_inf_nan=False)]
Bytes = Annotated[float, Field(ge=0.0, le=MAX_TX_BYTES, allow_inf_nan=False)]
Points = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Flops = Annotated[float, Field(ge=0.0, le=MAX_FLOPS, allow_inf_nan=False)]
Bits = Annotated[int, Field(ge=1, le=32)]


class ProfileSchema(BaseModel):
    """Types and ranges of a profile JSON's fields (units as in :class:`~rapgym.profiles.profile.DNNProfile`);
    the cross-field rules (equal lengths, zeros at the ends) are the dataclass's own checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StrictStr
    cut_names: list[StrictStr] = Field(min_length=2, max_length=MAX_CUTS)
    device_s: list[Seconds] = Field(min_length=2, max_length=MAX_CUTS)
    cloud_s: list[Seconds] = Field(min_length=2, max_length=MAX_CUTS)
    tx_bytes: list[Bytes] = Field(min_length=2, max_length=MAX_CUTS)
    acc_loss: list[list[Points]] = Field(min_length=2, max_length=MAX_CUTS)
    base_accuracy: Points
    bits: list[Bits] = Field([32, 16, 8, 4, 2], min_length=1, max_length=32)
    flops: list[Flops] | None = Field(None, max_length=MAX_CUTS)
    provenance: dict[StrictStr, StrictStr] = Field(default_factory=dict)


def validate_profile_dict(data: Any, where: str) -> ProfileSchema:
    """``data`` checked against :class:`ProfileSchema`; ``where`` (``profile 'name'`` or a file) starts the message.

    Raises:
        ProfileError: not an object, missing or unknown fields (all listed), a wrong type or a value out of range
            (the first five named with the allowed range and the value).
    """
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile must be a JSON object, got {type(data).__name__}")
    fields = ProfileSchema.model_fields
    missing = sorted(k for k, f in fields.items() if f.is_required() and k not in data)
    if missing:
        raise ProfileError(f"{where}: missing field(s) {missing}")
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        raise ProfileError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(fields)}")
    try:
        return ProfileSchema.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            got = repr(err.get("input"))
            field = ".".join(str(p) for p in err["loc"])
            problems.append(f"field {field!r}: {err['msg']} (got {got if len(got) <= 60 else got[:57] + '...'})")
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ProfileError(f"{where}: " + "; ".join(problems) + more) from None
