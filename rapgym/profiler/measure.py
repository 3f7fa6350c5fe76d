"""Per-segment measurements: FLOPs by operator class, memory traffic, operator count, wall-clock latency.

FLOPs come from :class:`torch.utils.flop_counter.FlopCounterMode` (2 FLOPs per multiply-add). An
operator census (a ``TorchDispatchMode``) splits them into dense convolution, depthwise/grouped
convolution and matrix products, and sums the bytes read and written by every other (memory-bound)
operator; view operators move no data and are not counted.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["BlockStats", "census", "time_segments"]

_CONV = {"conv1d", "conv2d", "conv3d", "convolution", "_convolution"}
_MATMUL_FIRST = {"mm", "bmm", "matmul"}  # reduction length: args[0].shape[-1]
_MATMUL_SECOND = {"addmm", "baddbmm", "linear"}  # reduction length: args[1].shape[-1]


@dataclass
class BlockStats:
    """Operator census of one segment at batch 1.

    Attributes:
        flops: total FLOPs (FlopCounterMode).
        flops_conv: FLOPs of dense (groups = 1) convolutions.
        flops_dwconv: FLOPs of grouped/depthwise convolutions.
        flops_linear: FLOPs of matrix products.
        mem_bytes: bytes read + written by the memory-bound operators (norm, activation, pool, add, cat).
        n_ops: number of non-view ATen operators executed.
    """

    flops: float = 0.0
    flops_conv: float = 0.0
    flops_dwconv: float = 0.0
    flops_linear: float = 0.0
    mem_bytes: float = 0.0
    n_ops: int = 0


def _tensor_bytes(value: object) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


class _Census(TorchDispatchMode):
    def __init__(self, stats: BlockStats) -> None:
        super().__init__()
        self.stats = stats

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - torch protocol
        out = func(*args, **(kwargs or {}))
        if func.is_view:
            return out
        name = func.overloadpacket.__name__
        self.stats.n_ops += 1
        if name in _CONV:
            data, weight = args[0], args[1]
            flops = 2.0 * out.numel() * weight[0].numel()
            if data.shape[1] != weight.shape[1]:  # grouped / depthwise
                self.stats.flops_dwconv += flops
            else:
                self.stats.flops_conv += flops
        elif name in _MATMUL_FIRST:
            self.stats.flops_linear += 2.0 * out.numel() * args[0].shape[-1]
        elif name in _MATMUL_SECOND:
            self.stats.flops_linear += 2.0 * out.numel() * args[1].shape[-1]
        else:
            self.stats.mem_bytes += _tensor_bytes(args) + _tensor_bytes(out)
        return out


def census(segment: torch.nn.Module, x: torch.Tensor) -> tuple[BlockStats, torch.Tensor]:
    """Run ``segment(x)`` once under the FLOP counter and the census; return the stats and the output."""
    stats = BlockStats()
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter, _Census(stats):
        y = segment(x)
    stats.flops = float(counter.get_total_flops())
    return stats, y


def time_segments(segments: list[torch.nn.Module], x: torch.Tensor, warmup: int = 3, repeats: int = 15) -> list[tuple[float, float]]:
    """Wall-clock latency of each segment on this machine: ``(median_s, iqr_s)`` over ``repeats`` runs.

    Each segment is timed on its real input (the previous segment's output), after ``warmup`` untimed
    runs of the whole chain.
    """
    inputs = [x]
    with torch.inference_mode():
        for _ in range(warmup):
            y = x
            for segment in segments:
                y = segment(y)
        for segment in segments:
            inputs.append(segment(inputs[-1]))
        samples: list[list[float]] = [[] for _ in segments]
        for _ in range(repeats):
            for i, segment in enumerate(segments):
                start = time.perf_counter()
                segment(inputs[i])
                samples[i].append(time.perf_counter() - start)
    result = []
    for s in samples:
        q = statistics.quantiles(s, n=4) if len(s) > 1 else [s[0], s[0], s[0]]
        result.append((statistics.median(s), q[2] - q[0]))
    return result
