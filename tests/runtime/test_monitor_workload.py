"""Observations from runtime measurements (by hand), the split model against the whole model, bad cuts."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the runtime needs torch (the runtime extra)")

from rapgym.errors import ProfileError  # noqa: E402
from rapgym.profiler.small_models import build_small  # noqa: E402
from rapgym.runtime.monitor import Monitor  # noqa: E402
from rapgym.runtime.schedule import CycleSchedule  # noqa: E402
from rapgym.runtime.workload import ModelSpec, SplitModel  # noqa: E402
from rapgym.sim.layout import COL_CLOUD_S, COL_DEVICE_S  # noqa: E402


def _static(n: int = 1, history: int = 3) -> dict[str, np.ndarray]:
    profile = np.zeros((n, 3, 5), dtype=np.float32)
    profile[:, :, COL_DEVICE_S] = [0.0, 0.01, 0.03]
    profile[:, :, COL_CLOUD_S] = [0.02, 0.01, 0.0]
    return {"bandwidth": np.zeros((n, history), np.float32), "profile": profile, "cut_mask": np.ones((n, 3), np.int8)}


def test_monitor_by_hand() -> None:
    m = Monitor(_static(), [np.array([0.01, 0.05, 0.12])], dt_s=0.1, max_backlog_s=2.0, initial_mbps=np.array([5.0]))
    m.decide(0, np.array([1]), np.array([0.5]))
    m.decide(1, np.array([1]), np.array([0.5]))
    obs = m.observation(0.06)
    assert obs["bandwidth"].tolist() == [[5.0, 5.0, 5.0]]  # nothing measured yet
    np.testing.assert_allclose(obs["queue"], [[0.02, 0.0, 0.0]], atol=1e-7)  # two frames waiting for the head
    m.event(("head", 0, 0, 0.02, 1000))
    m.event(("ack", 0, 0, 0.02, 0.03, 1000))  # 8000 bits in 10 ms = 0.8 Mbit/s
    m.event(("head", 0, 1, 0.06, 2000))
    m.close_slot()
    obs = m.observation(0.1)
    np.testing.assert_allclose(obs["bandwidth"], [[5.0, 5.0, 0.8]], rtol=1e-6)
    # uplink: frame 1's 16000 bits at 0.8 Mbit/s; cloud: frame 0's 0.01 s over its share 0.5
    np.testing.assert_allclose(obs["queue"], [[0.0, 0.02, 0.02]], rtol=1e-6)
    np.testing.assert_allclose(obs["cloud_load"], [0.1], rtol=1e-6)  # 0.01 s of cloud work acknowledged in 0.1 s
    m.event(("done", 0, 0, {}))
    m.close_slot()
    obs = m.observation(0.2)
    assert obs["bandwidth"][0, -1] == pytest.approx(0.8)  # no acknowledgement: the last sample repeats
    assert obs["queue"][0, 2] == 0.0 and obs["cloud_load"][0] == 0.0


def test_split_model_equals_the_whole_model() -> None:
    spec = ModelSpec("vgg", (1, 32, 32), seed=3)
    split = SplitModel(spec)
    torch.manual_seed(3)
    whole = build_small("vgg").eval()
    image = np.random.default_rng(0).integers(0, 256, size=spec.input_shape, dtype=np.uint8)
    with torch.inference_mode():
        expected = whole(split.to_float(image))
    for k in (1, 4, split.K - 1):
        np.testing.assert_allclose(split.tail(split.head(image, k), k), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(split.tail(split.to_float(image), 0), expected, rtol=1e-5, atol=1e-6)
    assert len(split.shapes) == split.K + 1 and split.shapes[0] == (1, *spec.input_shape)


def test_a_cut_the_model_does_not_have_is_named() -> None:
    split = SplitModel(ModelSpec("vgg", (1, 28, 28)))
    with pytest.raises(ProfileError, match=rf"allowed: 0..{split.K}"):
        split.head(np.zeros((1, 28, 28), np.uint8), split.K + 1)
    with pytest.raises(ProfileError, match="available"):
        SplitModel(ModelSpec("transformer"))


def test_cycle_schedule_cycles_and_offsets_users() -> None:
    policy = CycleSchedule([(0, 0), (3, 2), (5, 1)], num_users=2, hold=2)
    splits = [policy.predict(None)[0]["split"].tolist() for _ in range(6)]
    assert splits == [[0, 3], [0, 3], [3, 5], [3, 5], [5, 0], [5, 0]]


def test_decisions_apply_the_action_as_the_env_does() -> None:
    from rapgym.errors import ActionError
    from rapgym.runtime.driver import decisions

    num_cuts, bits = np.array([4, 6, 6]), np.array([32, 8, 4])
    action = {"split": np.array([5, 1, 2]), "bits": np.array([1, 0, 2]), "compute_share": np.array([0.9, 0.3, 0.0])}
    cuts, widths, shares = decisions(action, num_cuts, bits, min_share=0.1, shared_uplink=False)
    # user 0's split 5 is above its K = 3 (padding): device-only, no share; user 2's 0.0 is floored to 0.1
    assert cuts.tolist() == [3, 1, 2] and widths.tolist() == [8, 32, 4]
    np.testing.assert_allclose(shares, [0.0, 0.75, 0.25])
    for field, bad in (("split", np.array([6, 1, 2])), ("bits", np.array([0, 3, 0])), ("compute_share", np.array([0.5, np.nan, 0.5]))):
        with pytest.raises(ActionError, match=field):
            decisions(dict(action, **{field: bad}), num_cuts, bits, 0.1, False)
    with pytest.raises(ActionError, match="shape"):
        decisions(dict(action, split=np.array([1, 2])), num_cuts, bits, 0.1, False)


def test_run_refuses_bad_inputs_before_touching_the_network(profile) -> None:
    from rapgym.errors import RapgymError
    from rapgym.runtime.driver import run
    from rapgym.runtime.replay import make_env
    from rapgym.traces.trace import BandwidthTrace

    env = make_env(profile.with_bits((32, 8)), 1, 10, [5.0], rtt_s=0.02)
    trace = BandwidthTrace.from_samples(np.array([8.0]), 1.0)
    policy = CycleSchedule([(1, 0)], 1)
    with pytest.raises(RapgymError, match="one trace and one arrival array per user"):
        run(ModelSpec(), env, policy, [], [np.array([0.1])], rtt_s=0.02)
    with pytest.raises(RapgymError, match=r"sorted in \[0, 1.0"):
        run(ModelSpec(), env, policy, [trace], [np.array([0.5, 1.2])], rtt_s=0.02)
