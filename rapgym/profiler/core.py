"""Profile a ``torch.nn.Module`` split at its cut points into a :class:`~rapgym.profiles.profile.DNNProfile`.

Latencies are measured on the machine running the profiler (CPU, batch 1) and used for both the
device and the cloud side; scale them with the scenario's ``device_factor`` / ``cloud_capacity``.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import torch

from rapgym.errors import ProfileError
from rapgym.profiler.accuracy import measure_acc_loss
from rapgym.profiler.cuts import default_cuts
from rapgym.profiler.measure import BlockStats, census, time_segments
from rapgym.profiler.quant import HEADER_BYTES
from rapgym.profiler.split import run_chain, split_at_cuts
from rapgym.profiles.profile import DEFAULT_BITS, DNNProfile, head_cumsum, tail_cumsum

__all__ = ["ProfileResult", "profile_module", "check_input"]


@dataclass
class ProfileResult:
    """What :func:`profile_module` measured.

    Attributes:
        profile: the DNN profile (host latency on both sides).
        blocks: per-block operator census at batch 1.
        latency: per-block ``(median_s, iqr_s)`` on this machine.
        samples: number of labelled samples the accuracy loss was measured on.
    """

    profile: DNNProfile
    blocks: list[BlockStats]
    latency: list[tuple[float, float]]
    samples: int


def check_input(model: torch.nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """Run ``model`` on one zero sample of ``input_shape`` (no batch dim); :class:`~rapgym.errors.ProfileError` if it rejects it."""
    x = torch.zeros(1, *input_shape)
    try:
        with torch.inference_mode():
            out = model(x)
    except (RuntimeError, ValueError) as exc:
        raise ProfileError(f"{type(model).__name__} rejects an input of shape {tuple(input_shape)} (batch dim excluded): {exc}") from None
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        raise ProfileError(f"{type(model).__name__} must return one (batch, classes) tensor, got {getattr(out, 'shape', type(out))}")
    return x


def _checked(batches: Iterable[tuple[torch.Tensor, torch.Tensor]], input_shape: tuple[int, ...]):
    for x, y in batches:
        if tuple(x.shape[1:]) != tuple(input_shape):
            raise ProfileError(f"dataset sample shape {tuple(x.shape[1:])} does not match the model input shape {tuple(input_shape)}")
        yield x, y


def profile_module(model: torch.nn.Module, input_shape: tuple[int, ...], data: Iterable[tuple[torch.Tensor, torch.Tensor]],
                   cuts: list[str] | None = None, bits: tuple[int, ...] = DEFAULT_BITS, name: str | None = None,
                   dataset: str = "unnamed dataset", warmup: int = 3, repeats: int = 15, progress: object = None) -> ProfileResult:
    """Split ``model`` at ``cuts`` (default: detected from its structure) and measure its profile.

    Args:
        model: the classifier; put in eval mode.
        input_shape: one sample's shape, e.g. ``(3, 224, 224)``; the raw input is taken as uint8,
            so ``tx_bytes[0]`` is its element count.
        data: labelled batches ``(x, labels)`` for the accuracy loss.
        cuts: submodule names to cut after; ``None`` detects them (:func:`default_cuts`).
        bits: bit widths of the ``acc_loss`` columns (must include 32).
        name, dataset: labels written into the profile and its provenance.
        warmup, repeats: latency measurement: untimed chain runs, then timed runs per block.
        progress: optional tqdm-like object updated with the number of evaluated samples.

    Raises:
        ProfileError: no usable cut point, or a cut that more than one tensor crosses.
        ProfileError: the model rejects ``input_shape`` or the data does not match it.
    """
    model.eval()
    x = check_input(model, input_shape)
    segments, cut_names = split_at_cuts(model, default_cuts(model) if cuts is None else list(cuts))
    with torch.inference_mode():
        tensors = run_chain(segments, x)
    blocks = [census(segment, inp)[0] for segment, inp in zip(segments, tensors[:-1], strict=True)]
    latency = time_segments(segments, x, warmup=warmup, repeats=repeats)
    acc_loss, base, samples = measure_acc_loss(segments, _checked(data, input_shape), tuple(bits), progress)
    medians = np.array([m for m, _ in latency])
    tx = np.array([float(np.prod(input_shape))] + [t.numel() * 4.0 for t in tensors[1:]])
    host = f"{platform.node() or 'host'} ({platform.machine()}, {platform.system()}), torch {torch.__version__}, " \
           f"{torch.get_num_threads()} threads, {date.today().isoformat()}"
    spread = ", ".join(f"{1e3 * iqr:.3g}" for _, iqr in latency)
    timing = f"measured by rapgym.profiler on {host}: per-block median of {repeats} runs after {warmup} warm-up chain runs, batch 1; " \
             f"per-block IQR (ms): [{spread}]"
    profile = DNNProfile(
        name=name or type(model).__name__, cut_names=("input", *cut_names, "output"),
        device_s=head_cumsum(medians), cloud_s=tail_cumsum(medians),
        tx_bytes=tx, acc_loss=np.clip(acc_loss, 0.0, None), base_accuracy=base, bits=tuple(bits),
        flops=head_cumsum([b.flops for b in blocks]),
        provenance={
            "name": f"{type(model).__name__} split after submodules {cut_names}",
            "cut_names": "k=0 raw input, k=K the output; interior cuts named by the submodule they follow",
            "bits": f"32 = fp32; others: uniform min-max quantization per tensor, {HEADER_BYTES}-byte header (fp32 min and scale)",
            "device_s": timing, "cloud_s": timing + " (tail blocks on the same machine)",
            "tx_bytes": f"k=0: raw uint8 input {tuple(input_shape)}; else exact fp32 size of the crossing tensor; k=K: the output",
            "acc_loss": f"measured on {dataset} ({samples} samples) by rapgym.profiler: uniform min-max quantization per "
                        f"tensor ({HEADER_BYTES}-byte header: fp32 min and scale), negative differences clipped to 0; {host}",
            "base_accuracy": f"fp32 top-1 on {dataset} ({samples} samples)",
            "flops": "cumulative FLOPs (2 per multiply-add), torch.utils.flop_counter.FlopCounterMode",
        },
    )
    return ProfileResult(profile=profile, blocks=blocks, latency=latency, samples=samples)
