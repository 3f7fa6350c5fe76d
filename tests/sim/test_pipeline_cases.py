"""Hand-computed latencies for crafted cases of the device -> uplink -> cloud pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.configs.scenario import ScenarioConfig
from rapgym.sim.simulator import Simulator
from rapgym.traces.trace import BandwidthTrace
from tests.helpers import toy_profile

EXACT = 1e-12


def make_sim(num_users: int = 1, **overrides) -> Simulator:
    base = dict(num_users=num_users, dt_s=0.1, episode_slots=200, rtt_s=0.0, header_bytes=0, cloud_capacity=1.0,
                max_backlog_s=50.0, fps=[1.0])
    base.update(overrides)
    return Simulator(ScenarioConfig(**base), [toy_profile()] * num_users)


def run(sim: Simulator, split, bits=None, share=None, uplink=None, slots: int = 200) -> None:
    n = sim.config.num_users
    split = np.asarray(split, dtype=np.int64)
    bits = np.zeros(n, dtype=np.int64) if bits is None else np.asarray(bits, dtype=np.int64)
    share = np.ones(n) if share is None else np.asarray(share, dtype=np.float64)
    uplink = np.ones(n) if uplink is None else np.asarray(uplink, dtype=np.float64)
    for _ in range(slots):
        sim.step(split, bits, share, uplink)


def test_bandwidth_drop_in_the_middle_of_a_transfer():
    # cloud-only: 150 kB = 1.2 Mbit starts at 0.9 s; 0.1 s at 10 Mbit/s moves 1 Mbit, the other 0.2 Mbit
    # at 2 Mbit/s takes 0.1 s -> tx done 1.1 s; cloud 0.04 s -> 1.14 s; latency 0.24 s
    sim = make_sim()
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([10.0] + [2.0] * 30, 1.0)],
              arrivals=[np.array([0.9])])
    run(sim, [0])
    assert sim.task_latency[0] == pytest.approx(0.24, abs=EXACT)


def test_ten_second_outage():
    # 1 Mbit before the outage at 1 s, nothing during [1, 11), 0.2 Mbit at 10 Mbit/s after -> 11.02 s
    sim = make_sim()
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([10.0] + [0.0] * 10 + [10.0] * 20, 1.0)],
              arrivals=[np.array([0.9])])
    run(sim, [0])
    assert sim.task_latency[0] == pytest.approx(11.02 + 0.04 - 0.9, abs=EXACT)


def test_outage_longer_than_backlog_drops_and_leaves_queues_untouched():
    sim = make_sim(max_backlog_s=2.0)
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([10.0] + [0.0] * 10 + [10.0] * 20, 1.0)],
              arrivals=[np.array([0.9, 11.0])])
    run(sim, [0], slots=120)
    assert sim.task_latency[0] == -1.0
    # the second task finds empty queues: 0.12 s upload at 10 Mbit/s + 0.04 s cloud
    assert sim.task_latency[1] == pytest.approx(0.16, abs=EXACT)


def test_queueing_spans_slots_on_the_device():
    # device-only: 0.2 s per task, arrivals 0.0, 0.05, 0.1 (the third in the next slot)
    sim = make_sim()
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([10.0], 1.0)],
              arrivals=[np.array([0.0, 0.05, 0.1])])
    sim.step(np.array([2]), np.array([0]), np.ones(1), np.ones(1))
    np.testing.assert_allclose(sim.backlog[0], [0.4 - 0.1, 0, 0], atol=1e-6)
    sim.step(np.array([2]), np.array([0]), np.ones(1), np.ones(1))
    np.testing.assert_allclose(sim.task_latency, [0.2, 0.35, 0.5], atol=EXACT)


def test_cloud_only_and_device_only_with_rtt_and_header():
    # rtt 0.06, header 100 B: cloud-only bits = 8 * 150100 = 1.2008 Mbit at 8 Mbit/s = 0.1501 s
    sim = make_sim(num_users=2, rtt_s=0.06, header_bytes=100)
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([8.0], 1.0)] * 2,
              arrivals=[np.array([0.0]), np.array([0.0])])
    run(sim, [0, 2], share=[1.0, 0.0], slots=5)
    assert sim.task_latency[0] == pytest.approx(0.1501 + 0.03 + 0.04 + 0.03, abs=EXACT)
    assert sim.task_latency[1] == pytest.approx(0.2, abs=EXACT)


def test_quantized_split_and_compute_share():
    # split 1 at 8 bits: 100 kB * 8 bit * 8/32 = 0.2 Mbit at 4 Mbit/s = 0.05 s; device 0.05 s;
    # two uploading users with equal raw shares get f = 0.5: cloud 0.02 / 0.5 = 0.04 s
    sim = make_sim(num_users=2)
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([4.0], 1.0)] * 2,
              arrivals=[np.array([0.0]), np.array([0.0])])
    run(sim, [1, 1], bits=[2, 0], share=[0.3, 0.3], slots=5)
    assert sim.task_latency[0] == pytest.approx(0.05 + 0.05 + 0.04, abs=EXACT)
    assert sim.task_acc_loss[0] == 1.0
    assert sim.task_latency[1] == pytest.approx(0.05 + 0.2 + 0.04, abs=EXACT)


def test_shared_uplink_splits_the_cell():
    # one 10 Mbit/s cell, shares 0.75 / 0.25 -> 7.5 and 2.5 Mbit/s; 1.2 Mbit each (cloud-only)
    sim = make_sim(num_users=2, shared_uplink=True)
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([10.0], 1.0)],
              arrivals=[np.array([0.0]), np.array([0.0])])
    run(sim, [0, 0], uplink=[0.75, 0.25], slots=10)
    np.testing.assert_allclose(sim.task_latency, [1.2 / 7.5 + 0.04 / 0.5, 1.2 / 2.5 + 0.04 / 0.5], atol=EXACT)


def test_uplink_fifo_across_slots():
    # two cloud-only tasks 0.05 s apart on a 4 Mbit/s link: 0.3 s uploads back to back
    sim = make_sim()
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([4.0], 1.0)],
              arrivals=[np.array([0.05, 0.1])])
    run(sim, [0], slots=10)
    np.testing.assert_allclose(sim.task_latency, [0.3 + 0.04, 0.6 + 0.04 - 0.05], atol=EXACT)


def test_zero_bandwidth_trace_drops_every_upload_and_keeps_device_only():
    sim = make_sim(num_users=2, max_backlog_s=2.0)
    sim.reset(np.random.default_rng(0), traces=[BandwidthTrace.from_samples([0.0, 0.0], 1.0)] * 2,
              arrivals=[np.array([0.0, 0.5]), np.array([0.0, 0.5])])
    run(sim, [1, 2], slots=10)
    np.testing.assert_array_equal(sim.task_latency[:2], [-1.0, -1.0])
    np.testing.assert_allclose(sim.task_latency[2:], [0.2, 0.2], atol=EXACT)
