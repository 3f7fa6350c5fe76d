"""The numba pipeline against a plain per-task Python simulation written independently here."""

from __future__ import annotations

import math

import numpy as np

from rapgym.configs.scenario import ScenarioConfig
from rapgym.sim.simulator import Simulator
from rapgym.traces.trace import BandwidthTrace
from tests.helpers import random_profile


def walk_transfer(rates_mbps: list[float], seg_s: float, start: float, bits: float) -> float:
    """Finish time of a transfer started at ``start``, walking the (repeating) trace segment by segment."""
    if bits <= 0:
        return start
    if sum(rates_mbps) == 0:
        return math.inf
    t = start
    left = bits
    while True:
        idx = int(math.floor(t / seg_s + 1e-12))
        seg_end = (idx + 1) * seg_s
        rate = rates_mbps[idx % len(rates_mbps)] * 1e6
        room = rate * (seg_end - t)
        if rate > 0 and room >= left:
            return t + left / rate
        left -= room
        t = seg_end


def reference(cfg: ScenarioConfig, profiles, traces, arrivals, actions) -> list[float]:
    """Per-task latencies (-1 for drops) of the whole episode, one task at a time."""
    n, dt = cfg.num_users, cfg.dt_s
    free = [[0.0, 0.0, 0.0] for _ in range(n)]
    out = {}
    for slot, (split, bits_idx, cshare, ushare) in enumerate(actions):
        t0, t1 = slot * dt, (slot + 1) * dt
        kdev = [p.num_cuts - 1 for p in profiles]
        ks = [min(int(split[i]), kdev[i]) for i in range(n)]
        up = [ks[i] < kdev[i] for i in range(n)]
        raw_c = [max(cshare[i], cfg.min_share) if up[i] else 0.0 for i in range(n)]
        raw_u = [max(ushare[i], cfg.min_share) if up[i] else 0.0 for i in range(n)]
        f = [r / sum(raw_c) if r else 0.0 for r in raw_c]
        w = [(r / sum(raw_u) if r else 0.0) if cfg.shared_uplink else 1.0 for r in raw_u]
        for i in range(n):
            p, k = profiles[i], ks[i]
            b = cfg.bits[int(bits_idx[i])]
            trace = traces[0] if cfg.shared_uplink else traces[i]
            for j, a in enumerate(arrivals[i]):
                if not (t0 <= a < t1):
                    continue
                dev_done = max(a, free[i][0]) + p.device_s[k] * cfg.per_user("device_factor")[i]
                if k == kdev[i]:
                    done = dev_done
                    new = (dev_done, free[i][1], free[i][2])
                else:
                    payload = 8 * p.tx_bytes[k] * (b / 32 if 0 < k < kdev[i] else 1) + 8 * cfg.header_bytes
                    # with a share w the user sees rate w*r: same walk with the payload scaled by 1/w
                    start = max(dev_done, free[i][1])
                    tx_done = walk_transfer(trace, 0.1, start, payload / w[i])
                    cl_done = max(tx_done + cfg.rtt_s / 2, free[i][2]) + p.cloud_s[k] / cfg.cloud_capacity / f[i]
                    done = cl_done + cfg.rtt_s / 2
                    new = (dev_done, tx_done, cl_done)
                lat = done - a
                if lat > cfg.max_backlog_s:
                    out[(i, j)] = -1.0
                else:
                    out[(i, j)] = lat
                    free[i] = list(new)
    return [out[(i, j)] for i in range(n) for j in range(len(arrivals[i]))]


def test_numba_pipeline_matches_reference_on_200_random_instances():
    rng = np.random.default_rng(2024)
    worst = 0.0
    for instance in range(200):
        n = int(rng.integers(1, 5))
        shared = bool(rng.random() < 0.3)
        slots = int(rng.integers(3, 15))
        cfg = ScenarioConfig(num_users=n, dt_s=0.1, episode_slots=slots, rtt_s=float(rng.uniform(0, 0.1)),
                             header_bytes=int(rng.integers(0, 200)), cloud_capacity=float(rng.uniform(0.5, 3)),
                             max_backlog_s=float(rng.uniform(0.3, 3.0)), shared_uplink=shared,
                             device_factor=list(rng.uniform(0.5, 2.0, n)), min_share=0.05)
        profiles = [random_profile(rng, int(rng.integers(1, 8))) for _ in range(n)]
        # traces of 0.1 s segments with zeros (outages) mixed in
        rates = [list(np.where(rng.random(20) < 0.2, 0.0, rng.uniform(0.5, 30, 20))) for _ in range(1 if shared else n)]
        traces = [BandwidthTrace.from_samples(r, 0.1) for r in rates]
        arrivals = [np.sort(rng.uniform(0, slots * 0.1, int(rng.integers(0, 8)))) for _ in range(n)]
        kmax1 = max(p.num_cuts for p in profiles)
        actions = [(rng.integers(0, kmax1, n), rng.integers(0, 5, n), rng.random(n) * (rng.random(n) > 0.2),
                    rng.random(n)) for _ in range(slots)]
        sim = Simulator(cfg, profiles)
        sim.reset(np.random.default_rng(0), traces=traces, arrivals=arrivals)
        for split, bits, cs, us in actions:
            sim.step(split.astype(np.int64), bits.astype(np.int64), cs, us)
        expected = np.array(reference(cfg, profiles, rates, arrivals, actions))
        np.testing.assert_allclose(sim.task_latency, expected, rtol=0, atol=1e-9, err_msg=f"instance {instance}")
        if expected.size:
            worst = max(worst, float(np.max(np.abs(sim.task_latency - expected))))
    assert worst < 1e-9
