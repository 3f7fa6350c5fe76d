"""The wire format: quantization round trip against the project's scheme, payload sizes against the simulator's rule."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the runtime needs torch (the runtime extra)")

from rapgym.profiler.quant import payload_bytes, quantize_dequantize  # noqa: E402
from rapgym.runtime.wire import FRAME_HEADER_BYTES, QUANT_HEADER_BYTES, UPLOAD, WIRE_BITS, WireError, pack_tensor, unpack_tensor  # noqa: E402


@pytest.mark.parametrize("bits", WIRE_BITS)
def test_round_trip_equals_the_profilers_quantizer(bits: int) -> None:
    x = np.random.default_rng(bits).normal(size=(1, 6, 5, 7)).astype(np.float32)
    y = unpack_tensor(pack_tensor(x, bits), bits, x.shape)
    expected = quantize_dequantize(torch.from_numpy(x), bits).numpy()
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-6)
    if bits < 32:
        assert len(np.unique(y)) <= 2**bits


@pytest.mark.parametrize("bits", WIRE_BITS)
def test_frame_size_is_the_simulators_bits_rule(bits: int) -> None:
    """Upload = ``tx_bytes * b / 32 + header_bytes`` with ``header_bytes = FRAME_HEADER_BYTES`` (docs/model.md §1)."""
    x = np.zeros((1, 16, 8, 8), dtype=np.float32)  # 1024 elements: whole bytes at every width
    frame = UPLOAD.size + len(pack_tensor(x, bits))
    assert frame == 4 * x.size * bits / 32 + FRAME_HEADER_BYTES
    assert len(pack_tensor(x, bits)) - QUANT_HEADER_BYTES == payload_bytes(x.size, bits) - (0 if bits == 32 else 8)


def test_raw_input_is_sent_as_uint8() -> None:
    image = np.arange(60, dtype=np.uint8).reshape(1, 6, 10)
    payload = pack_tensor(image, 32, raw=True)
    assert len(payload) == image.size + QUANT_HEADER_BYTES
    np.testing.assert_array_equal(unpack_tensor(payload, 32, image.shape, raw=True), image)


def test_constant_tensor_survives_quantization() -> None:
    x = np.full((1, 3, 3), 2.5, dtype=np.float32)
    np.testing.assert_allclose(unpack_tensor(pack_tensor(x, 2), 2, x.shape), x)


@pytest.mark.parametrize("bits", [1, 3, 12, 33])
def test_unsupported_width_names_the_allowed_ones(bits: int) -> None:
    with pytest.raises(WireError, match=r"allowed: \[2, 4, 8, 16, 32\]"):
        pack_tensor(np.zeros(4, dtype=np.float32), bits)


def test_truncated_payload_is_a_wire_error() -> None:
    payload = pack_tensor(np.ones((1, 64), dtype=np.float32), 8)
    with pytest.raises(WireError, match="expected 64"):
        unpack_tensor(payload[:-10], 8, (1, 64))
