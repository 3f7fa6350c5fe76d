"""Uniform min-max quantization of a crossing tensor (what the device would upload).

Scheme: each sample's tensor ``x`` (one transmitted tensor per input) is mapped to integers
``q = round((x - lo) / scale)`` in ``[0, 2^b - 1]`` with ``lo = min(x)``, ``scale = (max(x) - lo) /
(2^b - 1)``, and reconstructed as ``q * scale + lo`` on the cloud side. The payload is ``b`` bits per
element plus a header of two fp32 numbers (``lo`` and ``scale``): :data:`HEADER_BYTES` = 8.
``b = 32`` means the fp32 tensor is sent unchanged.
"""

from __future__ import annotations

import torch

from rapgym.errors import ProfileError

__all__ = ["HEADER_BYTES", "quantize_dequantize", "payload_bytes"]

HEADER_BYTES = 8
"""Bytes added per quantized tensor: fp32 ``lo`` and fp32 ``scale``."""


def quantize_dequantize(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Quantize every sample of the batch ``x`` (dim 0) to ``bits`` bits and reconstruct it."""
    if bits == 32:
        return x
    if not 1 <= bits < 32:
        raise ProfileError(f"bits must be in 1..32, got {bits}")
    flat = x.reshape(x.shape[0], -1).to(torch.float64)
    lo = flat.min(dim=1, keepdim=True).values
    levels = 2**bits - 1
    scale = (flat.max(dim=1, keepdim=True).values - lo) / levels
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.clamp(torch.round((flat - lo) / scale), 0, levels)
    return (q * scale + lo).to(x.dtype).reshape(x.shape)


def payload_bytes(numel: int, bits: int) -> float:
    """Bytes sent for a tensor of ``numel`` elements at ``bits`` bits (header included unless fp32)."""
    return numel * 4.0 if bits == 32 else numel * bits / 8.0 + HEADER_BYTES
