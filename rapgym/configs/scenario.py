"""Validated scenario configuration (pydantic) and the YAML presets shipped as package data."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from rapgym.errors import ProfileError, ScenarioError, TraceError, UnknownFieldError
from rapgym.profiles.library import available_clouds, available_devices, available_models, is_profile_file, load_profile
from rapgym.profiles.profile import DNNProfile
from rapgym.traces.sources import TRACES, check_uplink_source, real_traces, source_names

__all__ = ["LIST_BOUNDS", "MAX_EPISODE_TASKS", "ScenarioConfig", "available_scenarios", "load_scenario"]

_NAMED_FIELDS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "device": ("device class", available_devices),
    "cloud": ("cloud class", available_clouds),
    "uplink": ("uplink source", source_names),
}
"""Scenario field naming a catalogue entry -> (what it names, the allowed names)."""

LIST_BOUNDS: dict[str, tuple[float, float, str]] = {
    "fps": (1e-6, 1e4, "frames/s"),
    "deadline_s": (1e-6, 1e6, "s"),
    "device_factor": (1e-6, 1e6, ""),
}
"""Cycled list field -> (lowest, highest, unit) of each entry (``docs/model.md §5``)."""

MAX_EPISODE_TASKS = 20_000_000
"""Most expected tasks in one episode, ``sum_i fps_i * episode_slots * dt_s``: the simulator keeps a few
float64 numbers per task of the episode (about 1 GB at this limit, with the Poisson draws)."""


class ScenarioConfig(BaseModel):
    """Every parameter of the system model of ``docs/model.md §1``. Lists marked *cycled* are repeated over users.

    Units: seconds, Mbit/s, bytes, frames per second, percentage points. Every number is bounded
    (``docs/model.md §5``) so that whatever the env derives from it (profile observation in float32, costs,
    rewards, per-task arrays) stays finite and fits in memory. Names are checked when the config is
    built: ``models``, ``device`` and ``cloud`` against :mod:`rapgym.profiles.library` (a model may also be the
    path of a profile JSON, which must load), ``uplink`` and ``uplink_params`` against
    :mod:`rapgym.traces.sources`; ``trace_dir`` goes with the ``traces`` uplink (your own files, read as its
    ``uplink_params`` say) or a ``calibrated:<set>`` one, and its ``trace_split`` is loaded and must hold a trace.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    description: str = ""
    num_users: int = Field(8, ge=1, le=4096, description="number of mobile users N")
    dt_s: float = Field(0.1, ge=1e-3, le=10, description="slot length, s, in [1e-3, 10]")
    episode_slots: int = Field(200, ge=1, le=1_000_000, description="slots per episode T")
    history: int = Field(8, ge=1, le=256, description="bandwidth samples in the observation H")
    models: list[str] = Field(["resnet18"], min_length=1, description="profile names or JSON paths, cycled over users")
    device: str = Field("raspberry-pi-4", description="device class of the profiles")
    cloud: str = Field("datacenter-gpu", description="cloud class of the profiles")
    device_factor: list[float] = Field([1.0], min_length=1, description="per-user device slowdown factor, cycled, in [1e-6, 1e6]")
    cloud_capacity: float = Field(4.0, ge=1e-6, le=1e6, description="cloud compute in units of one reference cloud device, in [1e-6, 1e6]")
    min_share: float = Field(0.02, ge=1e-6, le=1, description="floor on a compute/uplink share before normalisation, in [1e-6, 1]")
    bits: list[int] = Field([32, 16, 8, 4, 2], min_length=1, description="selectable bit widths of the crossing tensor")
    arrival: Literal["periodic", "poisson"] = "periodic"
    fps: list[float] = Field([10.0], min_length=1, description="task rate per user, frames/s, cycled, in [1e-6, 1e4]")
    uplink: str = Field("gauss-markov", description="uplink source: stable, gauss-markov, calibrated:<set> or traces (the files of trace_dir)")
    uplink_params: dict[str, Any] = Field(default_factory=dict, description="parameters of the uplink source")
    trace_dir: str | None = Field(None, description="directory or glob of trace files, for uplink 'traces' (or 'calibrated:<set>': replaces the generator)")
    trace_split: Literal["train", "test", "all"] = Field("train", description="split of trace_dir: train, test or all (every file)")
    shared_uplink: bool = Field(False, description="all users share one uplink cell (uplink_share action)")
    rtt_s: float = Field(0.02, ge=0, le=10, description="round-trip time, s")
    uplink_efficiency: float = Field(1.0, gt=0, le=1, description="payload fraction of the uplink rate (e.g. TCP/IP + Ethernet headers: 1448/1514), in (0, 1]")
    uplink_burst_bytes: int = Field(0, ge=0, le=10**9, description="bytes an upload may send at once after its uplink was idle long enough to refill a token bucket of this size (a tbf shaper's burst), in [0, 1e9]")
    header_bytes: int = Field(64, ge=0, le=10**9, description="bytes added to every upload (framing + quantization header), in [0, 1e9]")
    latency_ref_s: float = Field(0.1, ge=1e-6, le=1e6, description="latency normaliser in the cost, s, in [1e-6, 1e6]")
    acc_weight: float = Field(0.1, ge=0, le=1e6, description="cost per percentage point of accuracy loss, in [0, 1e6]")
    deadline_s: list[float] = Field([0.3], min_length=1, description="per-user deadline, s, cycled, in (0, 1e6]")
    miss_penalty: float = Field(1.0, ge=0, le=1e9, description="cost added when latency > deadline, in [0, 1e9]")
    drop_penalty: float = Field(30.0, ge=0, le=1e9, description="cost of a dropped task, in [0, 1e9] (keep it above max_backlog_s / latency_ref_s + miss_penalty, the most a late task costs)")
    max_backlog_s: float = Field(2.0, gt=0, le=1e6, description="a task that would not finish within this time is dropped, s, in (0, 1e6]")

    @field_validator("bits")
    @classmethod
    def _bits_valid(cls, v: list[int]) -> list[int]:
        if 32 not in v or len(set(v)) != len(v) or any(b < 1 or b > 32 for b in v):
            raise ScenarioError("must be distinct widths in 1..32 including 32")
        return v

    @field_validator("fps", "deadline_s", "device_factor")
    @classmethod
    def _in_list_bounds(cls, v: list[float], info: ValidationInfo) -> list[float]:
        low, high, unit = LIST_BOUNDS[info.field_name]
        for i, x in enumerate(v):
            if not (x >= low and x <= high and x > 0):
                raise ScenarioError(f"entry {i} is {x}; every entry must be in [{low:g}, {high:g}] {unit}".rstrip())
        return v

    @field_validator("models")
    @classmethod
    def _models_known(cls, v: list[str]) -> list[str]:
        for model in v:
            if is_profile_file(model):
                try:
                    DNNProfile.load_json(model)
                except ProfileError as exc:
                    raise ScenarioError(str(exc)) from None
            elif model not in available_models():
                raise ScenarioError(f"unknown model {model!r}; allowed: {', '.join(available_models())} "
                                    "or the path of a profile JSON (ending in .json or containing '/')")
        return v

    @field_validator("device", "cloud", "uplink")
    @classmethod
    def _name_known(cls, v: str, info: ValidationInfo) -> str:
        kind, names = _NAMED_FIELDS[info.field_name]
        if v not in names():
            raise ScenarioError(f"unknown {kind} {v!r}; allowed: {', '.join(names())}")
        return v

    @field_validator("uplink_params")
    @classmethod
    def _uplink_params_valid(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "uplink" in info.data:  # absent when the source name itself was refused
            check_uplink_source(info.data["uplink"], dict(v))
        return v

    @field_validator("trace_dir")
    @classmethod
    def _trace_dir_needs_a_trace_source(cls, v: str | None, info: ValidationInfo) -> str | None:
        uplink = info.data.get("uplink")
        if v is not None and uplink is not None and uplink != TRACES and not uplink.startswith("calibrated:"):
            allowed = ", ".join(name for name in source_names() if name == TRACES or name.startswith("calibrated:"))
            raise ScenarioError(f"trace_dir needs a calibrated uplink source or {TRACES!r}, got uplink={uplink!r}; allowed: {allowed}")
        return v

    @model_validator(mode="after")
    def _trace_split_not_empty(self) -> ScenarioConfig:
        if self.trace_dir is None:
            if self.uplink == TRACES:
                raise ScenarioError(f"field 'trace_dir': uplink {TRACES!r} needs trace_dir, a folder or glob of trace files")
            return self
        options = tuple(sorted(check_uplink_source(TRACES, dict(self.uplink_params)).items())) if self.uplink == TRACES else ()
        try:
            traces = real_traces(self.trace_dir, self.trace_split, options)
        except TraceError as exc:
            raise ScenarioError(f"field 'trace_dir': {exc}") from None
        if not traces:
            raise ScenarioError(f"field 'trace_dir': {self.trace_dir!r} has no trace in the trace_split={self.trace_split!r} "
                                "split (trace i is a test trace when i % 5 == 0, so the train split needs at least 2 "
                                "traces); add traces or use trace_split='test' or 'all'")
        return self

    @model_validator(mode="after")
    def _models_offer_the_bits(self) -> ScenarioConfig:
        for model in dict.fromkeys(self.models):
            try:
                load_profile(model, device=self.device, cloud=self.cloud, bits=tuple(self.bits))
            except ProfileError as exc:
                raise ScenarioError(f"field 'bits': model {model!r} does not offer {self.bits}: {exc}") from None
        return self

    @model_validator(mode="after")
    def _episode_fits_memory(self) -> ScenarioConfig:
        tasks = sum(self.per_user("fps")) * self.episode_slots * self.dt_s
        if tasks > MAX_EPISODE_TASKS:
            raise ScenarioError(f"fields 'fps', 'episode_slots', 'dt_s': an episode would hold {tasks:.3g} tasks (sum of fps over the users x episode_slots x "
                                f"dt_s); at most {MAX_EPISODE_TASKS:,} fit: lower episode_slots, dt_s, fps or num_users")
        return self

    def per_user(self, field: str) -> list[Any]:
        """The cycled list ``field`` expanded to one entry per user."""
        values = getattr(self, field)
        return [values[i % len(values)] for i in range(self.num_users)]


def available_scenarios() -> list[str]:
    """Names of the YAML presets shipped with rapgym."""
    folder = resources.files("rapgym.configs") / "scenarios"
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".yml"))


def _format_validation_error(name: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if not where:  # a check across fields: its message names them
            lines.append(str(err["ctx"]["error"]) if err["type"] == "value_error" else err["msg"])
        elif err["type"] == "extra_forbidden":
            allowed = ", ".join(ScenarioConfig.model_fields)
            lines.append(f"unknown field {where!r}; allowed fields: {allowed}")
        else:
            # a rapgym validator's own message, without pydantic's "Value error, " prefix
            message = str(err["ctx"]["error"]) if err["type"] == "value_error" else err["msg"]
            field = ScenarioConfig.model_fields.get(str(err["loc"][0]))
            about = f" [{field.description}]" if field is not None and field.description and err["type"] != "value_error" else ""
            got = repr(err.get("input"))
            lines.append(f"field {where!r}: {message}{about} (got {got if len(got) <= 80 else got[:77] + '...'})")
    return f"invalid scenario {name!r}: " + "; ".join(lines)


def _apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Apply ``overrides`` to ``data``; a ``trace_dir`` override on a scenario whose uplink is a generator selects
    the ``traces`` source, and a switch to ``traces`` drops the former source's ``uplink_params`` (unless the
    overrides set them too), so that ``trace_dir=DIR`` alone plays a preset on your own traces."""
    before = str(data.get("uplink", ScenarioConfig.model_fields["uplink"].default))
    data.update(overrides)
    if (overrides.get("trace_dir") is not None and "uplink" not in overrides and before != TRACES
            and not before.startswith("calibrated:")):
        data["uplink"] = TRACES
    if data.get("uplink") == TRACES and before != TRACES and "uplink_params" not in overrides:
        data["uplink_params"] = {}


def load_scenario(scenario: str | dict[str, Any] | ScenarioConfig = "default", **overrides: Any) -> ScenarioConfig:
    """Load a preset by name (or take a dict / config) and apply keyword overrides, validated.

    Raises:
        ScenarioError: unknown preset, unknown field, unknown name (model, device, cloud, uplink source or
            parameter) or out-of-range value; the message names the field and the allowed values.
        UnknownFieldError: a key names no field (a ``ScenarioError`` that is also a ``TypeError``).
    """
    if isinstance(scenario, ScenarioConfig):
        data = scenario.model_dump()
        name = scenario.name
    elif isinstance(scenario, dict):
        data, name = dict(scenario), str(scenario.get("name", "custom"))
    elif isinstance(scenario, str):
        names = available_scenarios()
        if scenario not in names:
            raise ScenarioError(f"unknown scenario {scenario!r}; available: {', '.join(names)}")
        text = (resources.files("rapgym.configs") / "scenarios" / f"{scenario}.yml").read_text()
        data = yaml.safe_load(text) or {}
        data.setdefault("name", scenario)
        name = scenario
    else:
        raise ScenarioError(f"scenario must be a preset name, a dict or a ScenarioConfig, got {type(scenario).__name__}")
    _apply_overrides(data, overrides)
    unknown = sorted(set(data) - set(ScenarioConfig.model_fields))
    if unknown:
        raise UnknownFieldError(f"invalid scenario {name!r}: unknown field {unknown[0]!r} (unexpected keyword argument "
                                f"{unknown[0]!r}); allowed fields: {', '.join(ScenarioConfig.model_fields)}")
    try:
        return ScenarioConfig(**data)
    except ValidationError as exc:
        raise ScenarioError(_format_validation_error(name, exc)) from None
