"""JM-MPRA: rounds within ``max_rounds`` (issue 5), the stall test, the single-user-move polish and its options (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents import make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.profiles.profile import DNNProfile
from tests.agents.random_cases import random_env, random_obs


def test_jm_mpra_reports_rounds_and_converges():
    rng = np.random.default_rng(4)
    for _ in range(50):
        env = random_env(rng)
        pol = make_policy("jm-mpra", env, max_rounds=30)
        pol.predict(random_obs(rng, env))
        assert 1 <= pol.last_rounds <= 30


def two_cut_profile(device_s: float, cloud_s: float) -> DNNProfile:
    """Cloud-only (cut 0, 12 500 input bytes) or device-only (cut 1): one candidate each, no accuracy loss."""
    return DNNProfile(name="two-cut", cut_names=("in", "out"), device_s=np.array([0.0, device_s]),
                      cloud_s=np.array([cloud_s, 0.0]), tx_bytes=np.array([12_500.0, 10.0]),
                      acc_loss=np.zeros((2, 5)), base_accuracy=75.0)


def test_polish_takes_the_one_move_that_lowers_the_value():
    """Users A (device 0.25 s) and B (device 1 s), both with 0.1 s of cloud work on a cloud of capacity 1, 100 Mbit/s each, no RTT,
    omega = 0 and T_ref = 1 s, fps 1 (one task per slot, so the objective is the latency T in s).

    Upload takes 1e5 bit / 1e8 bit/s = 1 ms. By hand, value = T_A + T_B under the split's own shares:
    both upload, shares 1/2 each: 0.001 + 0.1 / 0.5 = 0.201 each, value 0.402; A on the device, B alone on
    the cloud (share 1): 0.25 + 0.101 = 0.351; B on the device: 1.0 + 0.101 = 1.101; both: 1.25.
    With equal planning shares (1/2) both upload (0.201 < 0.25 and < 1), and with their own shares (1/2)
    neither wants to move, so the rounds stop at (upload, upload) = 0.402, one move (A to the device) away
    from 0.351, which no further single move improves.
    """
    env = MultiUserEndCloudEnv("default", num_users=2, profiles=[two_cut_profile(0.25, 0.1), two_cut_profile(1.0, 0.1)],
                               shared_uplink=False, rtt_s=0.0, header_bytes=0, fps=[1.0, 1.0], cloud_capacity=1.0)
    obs, _ = env.reset(seed=0)
    obs = {**obs, "bandwidth": np.full_like(obs["bandwidth"], 100.0), "queue": np.zeros_like(obs["queue"])}
    by_hand = {(0, 0): 0.402, (1, 0): 0.351, (0, 1): 1.101, (1, 1): 1.25}  # split (A, B) -> value

    options = {"omega_form": "constant", "omega_const": 0.0, "t_ref_s": 1.0}
    rounds_only = make_policy("jm-mpra", env, polish_max_users=0, **options)
    start = rounds_only.predict(obs)[0]
    assert tuple(start["split"]) == (0, 0) and rounds_only.last_rounds == 1
    polished = make_policy("jm-mpra", env, **options)
    act = polished.predict(obs)[0]
    assert tuple(act["split"]) == (1, 0)
    assert by_hand[tuple(act["split"])] < by_hand[tuple(start["split"])]
    np.testing.assert_allclose(act["compute_share"], [0.0, 1.0])

    cands, bw, weight, queue = polished.observe(obs)
    splits = list(by_hand)
    values = polished.split_values(cands, np.array(splits), bw, weight, queue)[0]  # columns: cut 0 is column 0 here
    np.testing.assert_allclose(values, [by_hand[s] for s in splits], rtol=1e-6)


def test_polish_never_worsens_the_value_of_the_rounds_split():
    rng = np.random.default_rng(7)
    for _ in range(60):
        env = random_env(rng)
        obs = random_obs(rng, env)
        pol = make_policy("jm-mpra", env)
        cands, bw, weight, queue = pol.observe(obs)
        start = pol.rounds(cands, bw, weight, queue)
        end = pol.polish(cands, start, bw, weight, queue)
        before, after = pol.split_values(cands, np.stack([start, end]), bw, weight, queue)[0]
        assert after <= before
        if env.num_users == 1:  # its planning share is its own share (1): the rounds' split is already the best
            assert np.array_equal(end, start)
        moves = np.repeat(end[None, :], cands.valid.sum(), axis=0)  # brute force: no single move lowers it further
        users, cols = np.nonzero(cands.valid)
        moves[np.arange(users.size), users] = cols
        assert pol.split_values(cands, moves, bw, weight, queue)[0].min() >= after


def test_stall_test_stops_a_cycling_instance_before_max_rounds():
    """At N = 1000 of the default scenario (slot 5 of seed 0 under RAP) the damped best responses keep flipping
    users: without the stall test (patience = max_rounds) the rounds reach max_rounds."""
    env = MultiUserEndCloudEnv("default", num_users=1000, episode_slots=40)
    obs, _ = env.reset(seed=0)
    rap = make_policy("rap", env)
    for _ in range(5):
        obs, *_ = env.step(rap.predict(obs)[0])
    cycling = make_policy("jm-mpra", env, max_rounds=30, patience=30)
    cycling.predict(obs)
    assert cycling.last_rounds == 30
    stalled = make_policy("jm-mpra", env, max_rounds=30)
    stalled.predict(obs)
    assert stalled.last_rounds < 30


@pytest.mark.parametrize("option, value", [("patience", 0), ("patience", 1.5), ("polish_max_users", -1),
                                           ("polish_max_users", "all"), ("max_rounds", True)])
def test_options_are_validated_by_name(option, value):
    env = random_env(np.random.default_rng(0))
    with pytest.raises(PolicyError, match=option):
        make_policy("jm-mpra", env, **{option: value})
