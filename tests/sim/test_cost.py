"""The cut rules and the upload-bits rule are one definition, scalar (kernel) and table (solvers) alike."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rapgym.sim import layout
from rapgym.sim.cost import dispatched_cut, quantized, upload_bits, upload_table, uploads


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), k1=st.integers(2, 9),
       header_bits=st.sampled_from([0.0, 320.0, 1234.5]))
def test_upload_table_is_the_scalar_rule(seed, n, k1, header_bits):
    rng = np.random.default_rng(seed)
    fp32_bits = rng.uniform(0.0, 1e7, (n, k1))
    bit_scale = np.array([32, 16, 8, 4, 2]) / 32.0
    device_cut = rng.integers(1, k1, n)
    bits, up, quant = upload_table(fp32_bits, bit_scale, device_cut, header_bits)
    for i in range(n):
        for k in range(k1):
            assert up[i, k] == uploads(k, device_cut[i]) == (k < device_cut[i])
            assert quant[i, k] == quantized(k, device_cut[i]) == (0 < k < device_cut[i])
            for b, scale in enumerate(bit_scale):
                scalar = upload_bits(fp32_bits[i, k], scale, k, device_cut[i], header_bits)
                expected = fp32_bits[i, k] * (scale if 0 < k < device_cut[i] else 1.0) + header_bits if k < device_cut[i] else 0.0
                assert bits[i, k, b] == scalar == expected


def test_split_above_the_device_only_cut_means_device_only():
    assert [dispatched_cut(s, 3) for s in range(6)] == [0, 1, 2, 3, 3, 3]
    assert not uploads(dispatched_cut(5, 3), 3)


def test_stat_positions_are_the_slot_stats_fields():
    fields = layout.SlotStats._fields
    assert len(fields) == layout.NUM_STATS
    for i, name in enumerate(fields):
        assert getattr(layout, f"STAT_{name.upper()}") == i
