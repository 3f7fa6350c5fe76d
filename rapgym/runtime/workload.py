"""The model a run executes: a torch model split at its cuts, its inputs, and its profile on this host.

The model is one of the project's small models (:mod:`rapgym.profiler.small_models`; random weights:
latency, not accuracy, is measured) at a chosen input size, split by the project's profiler at its
default cut points. Cut ``k`` runs segments ``0..k-1`` on the device and ``k..K-1`` in the cloud.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from rapgym.errors import ProfileError
from rapgym.profiler.core import profile_module
from rapgym.profiler.cuts import default_cuts
from rapgym.profiler.small_models import SMALL_MODELS, build_small
from rapgym.profiler.split import run_chain, split_at_cuts
from rapgym.profiles.profile import DNNProfile

__all__ = ["ModelSpec", "SplitModel", "profile_on_host", "profile_stages"]


@dataclass(frozen=True)
class ModelSpec:
    """``family`` of :data:`~rapgym.profiler.small_models.SMALL_MODELS` at one input ``input_shape`` (C, H, W);
    ``seed`` fixes the random weights so the device and the cloud build the same model."""

    family: str = "vgg"
    input_shape: tuple[int, int, int] = (1, 64, 64)
    seed: int = 0

    @property
    def name(self) -> str:
        return f"{self.family}-small-{'x'.join(map(str, self.input_shape))}"


@dataclass
class SplitModel:
    """A model split at its cuts; :meth:`head` and :meth:`tail` run the two sides of cut ``k``."""

    spec: ModelSpec
    segments: list = field(init=False)
    cut_names: tuple[str, ...] = field(init=False)
    shapes: list[tuple[int, ...]] = field(init=False)
    """Shape (batch 1) of the tensor crossing each cut ``0..K``."""

    def __post_init__(self) -> None:
        if self.spec.family not in SMALL_MODELS:
            raise ProfileError(f"unknown model family {self.spec.family!r}; available: {sorted(SMALL_MODELS)}")
        torch.manual_seed(self.spec.seed)
        model = build_small(self.spec.family).eval()
        self.segments, cuts = split_at_cuts(model, default_cuts(model))
        self.cut_names = ("input", *cuts, "output")
        with torch.inference_mode():
            self.shapes = [tuple(t.shape) for t in run_chain(self.segments, torch.zeros(1, *self.spec.input_shape))]

    @property
    def K(self) -> int:  # noqa: N802 - the model's symbol
        """The device-only cut."""
        return len(self.segments)

    def check_cut(self, k: int) -> None:
        """:class:`ProfileError` unless ``0 <= k <= K``."""
        if not 0 <= int(k) <= self.K:
            raise ProfileError(f"cut {k} does not exist in {self.spec.name}; allowed: 0..{self.K} ({', '.join(self.cut_names)})")

    def to_float(self, image: np.ndarray) -> torch.Tensor:
        """The model input (batch 1, float in [0, 1]) of a uint8 image."""
        return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).reshape(1, *self.spec.input_shape)

    def run(self, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Segments ``start..stop-1`` on ``x``."""
        with torch.inference_mode():
            for segment in self.segments[start:stop]:
                x = segment(x)
        return x

    def head(self, image: np.ndarray, k: int) -> torch.Tensor:
        """The tensor crossing cut ``k`` for a uint8 ``image`` (``k >= 1``)."""
        self.check_cut(k)
        return self.run(self.to_float(image), 0, k)

    def tail(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """The output from the tensor crossing cut ``k``."""
        self.check_cut(k)
        return self.run(x, k, self.K)


def profile_on_host(spec: ModelSpec, repeats: int = 30, samples: int = 16) -> DNNProfile:
    """The profile of ``spec`` measured on this machine by the project's profiler (1 torch thread, batch 1).

    Device and cloud latencies are both this host's (use ``device_factor = 1`` and ``cloud_capacity = 1``).
    The accuracy loss is measured on ``samples`` Gaussian inputs labelled by the fp32 model itself (top-1
    disagreement; random weights, not meaningful as accuracy).
    """
    torch.set_num_threads(1)
    split = SplitModel(spec)
    model = torch.nn.Sequential(*split.segments)  # same blocks, same cuts (after each segment)
    x = torch.randn(samples, *spec.input_shape, generator=torch.Generator().manual_seed(spec.seed))
    with torch.inference_mode():
        y = model(x).argmax(dim=1)
    result = profile_module(model, spec.input_shape, [(x, y)], cuts=[str(i) for i in range(split.K - 1)],
                            name=spec.name, dataset=f"{samples} Gaussian samples labelled by the fp32 model",
                            repeats=repeats)
    return dataclasses.replace(result.profile, cut_names=split.cut_names)


def profile_stages(spec: ModelSpec, base: DNNProfile, repeats: int = 21, gap_s: float = 0.005) -> DNNProfile:
    """``base`` with ``device_s`` and ``cloud_s`` re-measured as the runtime runs its stages (1 torch thread).

    Per cut ``k``: the device stage is the uint8-to-float conversion, the head and the packing of the
    crossing tensor at one of the profile's bit widths (taken in turn), the cloud stage is the unpacking and
    the tail. Each is timed once per frame with ``gap_s`` of idle time between frames (caches and clocks as
    in a run), the cuts in round-robin so that a change of the machine's load hits all of them alike;
    median of ``repeats`` rounds. The profiler's numbers sum per-block medians of back-to-back runs.
    """
    from rapgym.runtime.wire import pack_tensor, unpack_tensor  # wire imports nothing from here

    torch.set_num_threads(1)
    split = SplitModel(spec)
    image = np.random.default_rng(spec.seed).integers(0, 256, size=spec.input_shape, dtype=np.uint8)
    widths = [b for b in base.bits if b in (2, 4, 8, 16, 32)]
    payloads = [pack_tensor(image if k == 0 else split.head(image, k).numpy(), 8, raw=k == 0) for k in range(split.K)]

    def device_stage(k: int, bits: int) -> None:
        x = split.head(image, k)
        if k < split.K:
            pack_tensor(x.numpy(), bits)

    def cloud_stage(k: int) -> None:
        x = unpack_tensor(payloads[k], 8, split.shapes[k], raw=k == 0)
        split.tail(split.to_float(x) if k == 0 else torch.from_numpy(x), k)

    def timed(fn: object, *args: int) -> float:
        time.sleep(gap_s)
        start = time.perf_counter()
        fn(*args)
        return time.perf_counter() - start

    device = np.zeros((repeats, split.K + 1))
    cloud = np.zeros((repeats, split.K + 1))
    for r in range(repeats):
        for k in range(split.K + 1):
            if k > 0:
                device[r, k] = timed(device_stage, k, widths[(r + k) % len(widths)])
            if k < split.K:
                cloud[r, k] = timed(cloud_stage, k)
    note = (f"re-measured as the runtime runs its stages (rapgym.runtime.workload.profile_stages): median of {repeats} "
            f"frames {gap_s * 1e3:.0f} ms apart, cuts in round-robin, 1 torch thread")
    provenance = dict(base.provenance, device_s=f"{note}: uint8->float, head, quantize+pack (bit widths in turn)",
                      cloud_s=f"{note}: unpack, tail")
    return dataclasses.replace(base, device_s=np.median(device, axis=0), cloud_s=np.median(cloud, axis=0), provenance=provenance)
