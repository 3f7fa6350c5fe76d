"""Hand-computed latencies for the link options ``uplink_efficiency`` and ``uplink_burst_bytes`` (docs/model.md §1).

Toy profile, cloud-only: 150 kB = 1.2 Mbit upload, 0.04 s in the cloud, 10 Mbit/s link, no RTT or header.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from rapgym.configs.scenario import ScenarioConfig
from rapgym.traces.trace import BandwidthTrace
from tests.sim.test_pipeline_cases import EXACT, make_sim, run


def latencies(arrivals, **options) -> np.ndarray:
    sim = make_sim(**options)
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([10.0], 1.0)],
              arrivals=[np.array(arrivals)])
    run(sim, [0], slots=30)
    return sim.task_latency


def test_efficiency_scales_the_upload():
    # 1.2 Mbit of payload at 0.8 x 10 Mbit/s = 0.15 s, + 0.04 s cloud
    assert latencies([0.9], uplink_efficiency=0.8)[0] == pytest.approx(0.19, abs=EXACT)
    assert latencies([0.9])[0] == pytest.approx(0.16, abs=EXACT)


def test_burst_after_idle_versus_back_to_back():
    # bucket 25 kB = 0.2 Mbit. 0.9 s: idle since 0, bucket full: X = 9 - 0.2 + 1.2 = 10 -> tx 1.0, latency 0.14.
    # 0.95 s (back to back, link busy): X = 10 + 1.2 -> tx 1.12, cloud 1.12..1.16 -> 0.21.
    # 1.13 s: 0.1 Mbit refilled since 1.12: X = 11.2 + 1.2 -> tx 1.24 -> 0.15.
    got = latencies([0.9, 0.95, 1.13], uplink_burst_bytes=25_000)
    np.testing.assert_allclose(got, [0.14, 0.21, 0.15], atol=EXACT)
    # no bucket: 1.02 -> 0.16; X = 11.4 -> 1.14, cloud from 1.14 -> 0.23; X = 12.6 -> 1.26, cloud 1.30 -> 0.17
    np.testing.assert_allclose(latencies([0.9, 0.95, 1.13]), [0.16, 0.23, 0.17], atol=EXACT)


def test_unused_tokens_carry_into_the_next_slot():
    # bucket 1.6 Mbit covers the whole 1.2 Mbit at 0.9 s (X = 8.6, tx at 0.9 -> latency 0.04). At 1.0 s (next slot,
    # dt 0.1 s) the bucket holds 10 - 8.6 = 1.4 Mbit: X = 9.8 < C(1.0), covered again -> 0.04 (0.06 if the
    # slot forgot the tokens left at 0.9 s)
    got = latencies([0.9, 1.0], uplink_burst_bytes=200_000)
    np.testing.assert_allclose(got, [0.04, 0.04], atol=EXACT)


def test_both_terms_compose():
    # wire bits 1.2 / 0.8 = 1.5 Mbit, bucket 0.2 Mbit: X = 9 - 0.2 + 1.5 -> tx 1.03 -> 0.17
    assert latencies([0.9], uplink_efficiency=0.8, uplink_burst_bytes=25_000)[0] == pytest.approx(0.17, abs=EXACT)


@pytest.mark.parametrize("field,value", [("uplink_efficiency", 0.0), ("uplink_efficiency", 1.5),
                                         ("uplink_burst_bytes", -1), ("uplink_burst_bytes", 10**10)])
def test_out_of_range_options_name_the_field(field, value):
    with pytest.raises(ValidationError, match=field):
        ScenarioConfig(**{field: value})
