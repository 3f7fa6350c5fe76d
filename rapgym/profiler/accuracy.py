"""Accuracy loss from quantizing the tensor that crosses each cut, measured on labelled data."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from rapgym.errors import ProfileError
from rapgym.profiler.quant import quantize_dequantize
from rapgym.profiler.split import run_chain

__all__ = ["measure_acc_loss"]


def measure_acc_loss(segments: list[torch.nn.Module], batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                     bits: tuple[int, ...], progress: object = None) -> tuple[np.ndarray, float, int]:
    """Top-1 accuracy drop (percentage points) per cut and bit width.

    ``segments`` is the split chain (``K = len(segments)`` blocks); ``batches`` yields ``(x, labels)``.
    At interior cut ``k`` the output of block ``k`` is quantized with
    :func:`~rapgym.profiler.quant.quantize_dequantize` and blocks ``k+1..K`` run on it. Rows 0 (the raw
    input is never quantized) and ``K`` (nothing crosses) are 0, and so is the 32-bit column. Returns
    ``(acc_loss (K+1, len(bits)), fp32 accuracy in percent, number of samples)``; a measured loss may
    be slightly negative (quantization noise that happens to help).
    ``progress`` is an optional tqdm-like object whose ``update(n)`` is called per batch.
    """
    k_total = len(segments)
    correct = np.zeros((k_total + 1, len(bits)))
    base = 0
    n = 0
    with torch.inference_mode():
        for x, y in batches:
            acts = run_chain(segments, x)
            base += int((acts[-1].argmax(dim=1) == y).sum())
            n += len(y)
            for k in range(1, k_total):
                for j, b in enumerate(bits):
                    if b == 32:
                        continue
                    z = quantize_dequantize(acts[k], b)
                    for segment in segments[k:]:
                        z = segment(z)
                    correct[k, j] += int((z.argmax(dim=1) == y).sum())
            if progress is not None:
                progress.update(len(y))
    if n == 0:
        raise ProfileError("the labelled dataset is empty")
    loss = 100.0 * (base - correct) / n
    loss[0] = 0.0
    loss[k_total] = 0.0
    loss[:, [j for j, b in enumerate(bits) if b == 32]] = 0.0
    return loss, 100.0 * base / n, n
