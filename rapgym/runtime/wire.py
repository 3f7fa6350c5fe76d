"""Wire format between a device and the cloud: framed messages over one TCP connection per user.

Upload frame: :data:`UPLOAD` header (task id, cut, bit width, compute share, payload length) followed
by the payload: the fp32 quantization header ``lo, scale`` (:data:`QUANT_HEADER_BYTES`, always sent so
the size rule is the simulator's ``bits + header_bytes``) and the tensor, packed at ``b`` bits per
element (the raw uint8 input at cut 0, fp32 at ``b = 32``). The scheme is the project's
(:mod:`rapgym.profiler.quant`): ``q = round((x - lo) / scale)`` in ``[0, 2^b - 1]``, ``lo = min(x)``,
``scale = (max(x) - lo) / (2^b - 1)``. Replies: :data:`ACK` when the cloud has the last byte, then
:data:`REPLY` with the cloud's timestamps and the logits.
"""

from __future__ import annotations

import socket
import struct

import numpy as np

from rapgym.errors import RapgymError

__all__ = ["HELLO", "UPLOAD", "ACK", "REPLY", "QUANT_HEADER_BYTES", "FRAME_HEADER_BYTES", "WIRE_BITS", "WireError",
           "quantize_codes", "dequantize_codes", "pack_tensor", "unpack_tensor", "recv_exact"]

HELLO = struct.Struct("!H")
"""First message of a connection: the user index (uint16)."""
UPLOAD = struct.Struct("!IHBxfI")
"""task id (uint32), cut (uint16), bit width (uint8), compute share (float32), payload bytes (uint32)."""
ACK = struct.Struct("!BId")
"""kind 1, task id, cloud time of the last byte (s, CLOCK_MONOTONIC)."""
REPLY = struct.Struct("!BIddd")
"""kind 2, task id, cloud job ready (last byte + rtt/2), compute start, compute end (s, CLOCK_MONOTONIC)."""
QUANT_HEADER_BYTES = 8
"""fp32 ``lo`` and fp32 ``scale`` in front of every payload."""
FRAME_HEADER_BYTES = UPLOAD.size + QUANT_HEADER_BYTES
"""Bytes added to every upload on top of the tensor: the simulator's ``header_bytes`` for this runtime."""
WIRE_BITS = (2, 4, 8, 16, 32)
"""Bit widths the wire format packs."""


class WireError(RapgymError):
    """A bit width the wire cannot pack, or a malformed or truncated message."""


def _check_bits(bits: int) -> None:
    if bits not in WIRE_BITS:
        raise WireError(f"bit width {bits} cannot be packed; allowed: {list(WIRE_BITS)}")


def quantize_codes(x: np.ndarray, bits: int) -> tuple[np.ndarray, float, float]:
    """``(codes, lo, scale)`` of the tensor ``x`` at ``bits`` < 32 (codes are integers in ``[0, 2^bits - 1]``)."""
    flat = np.asarray(x, dtype=np.float64).ravel()
    levels = 2**bits - 1
    lo = float(flat.min()) if flat.size else 0.0
    scale = (float(flat.max()) - lo) / levels if flat.size else 0.0
    scale = scale if scale > 0 else 1.0
    codes = np.clip(np.round((flat - lo) / scale), 0, levels).astype(np.uint32)
    return codes, lo, scale


def dequantize_codes(codes: np.ndarray, lo: float, scale: float) -> np.ndarray:
    """Reconstruction ``codes * scale + lo`` as float32."""
    return (codes.astype(np.float64) * scale + lo).astype(np.float32)


def _pack_codes(codes: np.ndarray, bits: int) -> bytes:
    if bits == 16:
        return codes.astype(">u2").tobytes()
    if bits == 8:
        return codes.astype(np.uint8).tobytes()
    per = 8 // bits
    padded = np.zeros(-(-codes.size // per) * per, dtype=np.uint8)
    padded[:codes.size] = codes
    groups = padded.reshape(-1, per)
    shifts = (bits * np.arange(per)).astype(np.uint8)
    return np.bitwise_or.reduce(groups << shifts, axis=1).astype(np.uint8).tobytes()


def _unpack_codes(data: bytes, bits: int, numel: int) -> np.ndarray:
    if bits == 16:
        return np.frombuffer(data, dtype=">u2")[:numel].astype(np.uint32)
    raw = np.frombuffer(data, dtype=np.uint8)
    if bits == 8:
        return raw[:numel].astype(np.uint32)
    per = 8 // bits
    shifts = (bits * np.arange(per)).astype(np.uint8)
    return ((raw[:, None] >> shifts) & (2**bits - 1)).reshape(-1)[:numel].astype(np.uint32)


def pack_tensor(x: np.ndarray, bits: int, raw: bool = False) -> bytes:
    """Payload of tensor ``x``: quantization header then the packed elements.

    ``raw`` sends ``x`` as uint8 (the input image at cut 0); ``bits = 32`` sends fp32 unchanged.
    """
    if raw:
        return struct.pack("!ff", 0.0, 1.0) + np.asarray(x, dtype=np.uint8).tobytes()
    _check_bits(bits)
    if bits == 32:
        return struct.pack("!ff", 0.0, 1.0) + np.asarray(x, dtype=">f4").tobytes()
    codes, lo, scale = quantize_codes(x, bits)
    return struct.pack("!ff", lo, scale) + _pack_codes(codes, bits)


def unpack_tensor(payload: bytes, bits: int, shape: tuple[int, ...], raw: bool = False) -> np.ndarray:
    """Inverse of :func:`pack_tensor`: the (dequantized) tensor of ``shape`` (uint8 if ``raw``, else float32)."""
    numel = int(np.prod(shape))
    lo, scale = struct.unpack("!ff", payload[:QUANT_HEADER_BYTES])
    body = payload[QUANT_HEADER_BYTES:]
    if raw:
        values = np.frombuffer(body, dtype=np.uint8)
    elif bits == 32:
        values = np.frombuffer(body, dtype=">f4").astype(np.float32)
    else:
        _check_bits(bits)
        values = dequantize_codes(_unpack_codes(body, bits, numel), lo, scale)
    if values.size != numel:
        raise WireError(f"payload holds {values.size} elements at {bits} bits; expected {numel} for shape {shape}")
    return values.reshape(shape)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes from ``sock``; :class:`WireError` if the peer closes first."""
    data = sock.recv(n, socket.MSG_WAITALL) if n else b""
    if len(data) != n:
        raise WireError(f"connection closed after {len(data)} of {n} bytes")
    return data
