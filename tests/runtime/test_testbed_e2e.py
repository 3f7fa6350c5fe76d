"""The real testbed (root, ``ip``, ``tc``): setup/teardown leave nothing behind, bad input, and one end-to-end run.

Skipped with the missing capability named where the testbed cannot be built; with
``RAPGYM_REQUIRE_NETNS=1`` (CI, which runs as root) they fail instead.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the runtime needs torch (the runtime extra)")

from rapgym.runtime import testbed as tb_module  # noqa: E402
from rapgym.runtime.compare import latency_table, summarise, uplink_table  # noqa: E402
from rapgym.runtime.driver import run  # noqa: E402
from rapgym.runtime.replay import LINK_MODELS, applied_trace, make_env, predict_latency  # noqa: E402
from rapgym.runtime.schedule import CycleSchedule  # noqa: E402
from rapgym.runtime.testbed import Testbed, TestbedError, applied_rates, check_requirements, remove_stale, tool_path  # noqa: E402
from rapgym.runtime.workload import ModelSpec, profile_on_host, profile_stages  # noqa: E402

MEDIAN_TARGET = 0.10
"""Median per-task |relative error| of the simulator with the shaper's link options and the stage profile."""
from rapgym.traces.trace import BandwidthTrace  # noqa: E402


def _namespaces() -> list[str]:
    return subprocess.run([tool_path("ip"), "netns", "list"], capture_output=True, text=True).stdout.split()


@pytest.fixture
def testbed_ok() -> None:
    try:
        check_requirements()
    except TestbedError as exc:
        if os.environ.get("RAPGYM_REQUIRE_NETNS") == "1":
            pytest.fail(f"{exc} (RAPGYM_REQUIRE_NETNS=1)")
        pytest.skip(str(exc))


def test_missing_binary_and_not_root_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tb_module.shutil, "which", lambda tool, path=None: None if tool == "tc" else "/usr/sbin/ip")
    with pytest.raises(TestbedError, match="'tc' binary"):
        check_requirements()
    monkeypatch.setattr(tb_module.shutil, "which", lambda tool, path=None: "/bin/" + tool)
    monkeypatch.setattr(tb_module.os, "geteuid", lambda: 1000)
    with pytest.raises(TestbedError, match="root"):
        check_requirements()
    with pytest.raises(TestbedError, match="num_users"):
        Testbed(0)


def test_outage_rates_are_raised_to_the_shaper_minimum() -> None:
    np.testing.assert_array_equal(applied_rates([0.0, 0.001, 5.0]), [tb_module.MIN_RATE_MBPS, tb_module.MIN_RATE_MBPS, 5.0])


def test_setup_close_idempotent_and_stale_namespaces_removed(testbed_ok: None) -> None:
    stale = f"{tb_module.PREFIX}999999c"  # pid 999999 is not running
    subprocess.run([tool_path("ip"), "netns", "add", stale], check=True)
    bed = Testbed(2, rate_mbps=0.0)
    with bed:
        names = _namespaces()
        assert stale not in names
        assert {bed.cloud_ns, bed.device_ns(0), bed.device_ns(1)} <= set(names)
        qdisc = subprocess.run([tool_path("tc"), "-n", bed.device_ns(1), "qdisc", "show", "dev", bed.device_if(1)],
                               capture_output=True, text=True).stdout
        assert "tbf" in qdisc and "8Kbit" in qdisc  # an outage is the minimal rate
        bed.set_rate_mbps(1, 30.0)
        assert "30Mbit" in subprocess.run([tool_path("tc"), "-n", bed.device_ns(1), "qdisc", "show"], capture_output=True, text=True).stdout
    bed.close()
    assert not [n for n in _namespaces() if n.startswith(bed.prefix)]
    assert remove_stale() == []


def test_two_users_end_to_end_against_the_simulator(testbed_ok: None) -> None:
    """N = 2, one cut (pool3, fp32), user 0 at 2 Mbit/s and user 1 at 8 Mbit/s, 3 s."""
    spec = ModelSpec()
    profile = profile_stages(spec, profile_on_host(spec, repeats=3, samples=4), repeats=11)
    cut, slots, fps = 9, 30, 5.0
    traces = [BandwidthTrace.from_samples(np.full(6, rate), 1.0) for rate in (2.0, 8.0)]
    arrivals = [np.arange(0.013 + 0.05 * i, slots * 0.1, 1 / fps) for i in range(2)]
    env = make_env(profile, 2, slots, [fps, fps], rtt_s=0.02)
    result = run(spec, env, CycleSchedule([(cut, 0)], 2), traces, arrivals, rtt_s=0.02, port=5590, timeout_s=20)
    assert not [n for n in _namespaces() if n.startswith(tb_module.PREFIX + str(os.getpid()))]
    assert [len(r) for r in result.records] == [len(a) for a in arrivals]
    assert all(r["cut"] == cut and r["bits"] == 32 for user in result.records for r in user)
    for user in result.records:  # every stage in order
        for r in user:
            stamps = [r[k] for k in ("arrival", "dev_start", "dev_end", "send_start", "last_byte", "cloud_ready",
                                     "cloud_start", "cloud_end", "reply", "end")]
            assert np.all(np.diff(stamps) >= 0)
    measured = [np.median([r["latency_s"] for r in user]) for user in result.records]
    assert measured[0] > measured[1]  # 2 Mbit/s is slower than 8
    sim_traces = [applied_trace(c) for c in result.changes]
    predicted = predict_latency(make_env(profile, 2, slots, [fps, fps], rtt_s=0.02, **LINK_MODELS["shaper"]), sim_traces,
                                arrivals, result.actions)
    table = latency_table(result, predicted)
    np.testing.assert_allclose(table["rel_err"], (table["predicted"] - table["measured"]) / table["measured"])
    # 16 KB at 2 Mbit/s alone is 66 ms: the simulator's prediction tracks the link, not a constant
    assert np.median(predicted[0]) > np.median(predicted[1]) + 0.03
    median = summarise(table["rel_err"])["median_abs"]
    assert median < MEDIAN_TARGET, f"median |error| {median:.3f}"  # the target (fidelity.md)
    assert summarise(uplink_table(result, sim_traces, **LINK_MODELS["shaper"])["rel_err"])["median_abs"] < 0.5


def test_one_user_across_a_rate_change(testbed_ok: None) -> None:
    """N = 1, cut pool3 at 8 bits, 2 Mbit/s for 1 s then 8 Mbit/s: the applied change is recorded and replayed."""
    spec = ModelSpec()
    profile = profile_stages(spec, profile_on_host(spec, repeats=3, samples=4), repeats=11)
    slots, fps = 30, 5.0
    trace = BandwidthTrace.from_samples(np.array([2.0, 8.0, 8.0, 8.0, 8.0]), 1.0)
    arrivals = [np.arange(0.021, slots * 0.1, 1 / fps)]
    env = make_env(profile, 1, slots, [fps], rtt_s=0.02)
    result = run(spec, env, CycleSchedule([(9, 2)], 1), [trace], arrivals, rtt_s=0.02, port=5592, timeout_s=20)
    (changes,) = result.changes
    assert changes[0] == (0.0, 2.0) and changes[1][1] == 8.0 and 0.99 < changes[1][0] < 1.5
    records = result.records[0]
    assert all(r["bits"] == 8 and r["tx_bytes"] == 16384 * 8 / 32 + 24 for r in records)
    slow = [r["last_byte"] - r["send_start"] for r in records if r["arrival"] < 0.9]
    fast = [r["last_byte"] - r["send_start"] for r in records if r["arrival"] > 1.1]
    assert np.median(slow) > np.median(fast)
    predicted = predict_latency(make_env(profile, 1, slots, [fps], rtt_s=0.02, **LINK_MODELS["shaper"]),
                                [applied_trace(changes)], arrivals, result.actions)
    median = summarise(latency_table(result, predicted)["rel_err"])["median_abs"]
    # not the 10 % target: these tasks upload 4 kB (a few ms at 2-8 Mbit/s) beside milliseconds of compute and the 20 ms RTT, and the compute's spread on a
    # shared 2-core host put this 15-task median at 8-11 % in repeated runs (fidelity.md: compute alone)
    assert median < 0.2, f"median |error| {median:.3f}"
