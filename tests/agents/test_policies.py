"""Reference policies against brute force, action-space safety and bad input (issue 5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapgym.agents import available_policies, make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.profiles.profile import DNNProfile
from rapgym.traces.trace import BandwidthTrace

BITS = (32, 16, 8, 4, 2)


def random_profile(rng: np.random.Generator, num_cuts: int) -> DNNProfile:
    """A random but valid profile with ``num_cuts`` cuts (device rising, cloud falling, losses zero where required)."""
    dev = np.concatenate(([0.0], np.cumsum(rng.uniform(0.001, 0.08, num_cuts - 1))))
    cloud = np.concatenate((np.cumsum(rng.uniform(0.0005, 0.01, num_cuts - 1))[::-1], [0.0]))
    tx = rng.uniform(1e3, 3e5, num_cuts)
    acc = rng.uniform(0.0, 6.0, (num_cuts, len(BITS)))
    acc[0] = acc[-1] = 0.0
    acc[:, 0] = 0.0
    return DNNProfile(name="rand", cut_names=tuple(f"c{k}" for k in range(num_cuts)), device_s=dev, cloud_s=cloud,
                      tx_bytes=tx, acc_loss=acc, base_accuracy=70.0)


def random_env(rng: np.random.Generator, max_users: int = 6, max_cuts: int = 7) -> MultiUserEndCloudEnv:
    n = int(rng.integers(1, max_users + 1))
    profiles = [random_profile(rng, int(rng.integers(2, max_cuts + 1))) for _ in range(n)]
    return MultiUserEndCloudEnv("default", num_users=n, profiles=profiles, shared_uplink=bool(rng.integers(2)),
                                rtt_s=float(rng.uniform(0, 0.05)), header_bytes=int(rng.integers(0, 200)),
                                fps=list(rng.uniform(1, 30, n)), acc_weight=float(rng.uniform(0.01, 0.5)),
                                latency_ref_s=float(rng.uniform(0.05, 0.5)))


def random_obs(rng: np.random.Generator, env: MultiUserEndCloudEnv) -> dict[str, np.ndarray]:
    n, hist = env.num_users, env.config.history
    bw = rng.exponential(8.0, (n, hist)) * (rng.random((n, hist)) > 0.1)
    return {"bandwidth": bw.astype(np.float32), "queue": (rng.exponential(0.1, (n, 3)) * (rng.random((n, 3)) > 0.3)).astype(np.float32),
            "profile": env.sim.features.astype(np.float32), "cut_mask": env.sim.cut_mask.copy(),
            "cloud_load": np.array([rng.uniform(0, 2)], dtype=np.float32)}


def legal_candidates(env: MultiUserEndCloudEnv, obs: dict[str, np.ndarray], i: int):
    """Every legal (cut, bits index, device s, cloud s, uploaded bits, acc loss pp) of user ``i``, by plain loops."""
    prof = obs["profile"][i].astype(np.float64)
    k_dev = int(np.flatnonzero(obs["cut_mask"][i])[-1])
    header = 8.0 * env.config.header_bytes
    for k in range(k_dev + 1):
        for j, b in enumerate(env.config.bits):
            if (k == 0 or k == k_dev) and b != 32:
                continue
            if k == k_dev:
                yield k, j, prof[k, 0], 0.0, 0.0, 0.0
            else:
                scale = b / 32.0 if k > 0 else 1.0
                yield k, j, prof[k, 0], prof[k, 1], 8.0 * prof[k, 2] * scale + header, prof[k, 3 + j]


def rap_brute_force(env, obs, i, b0_mbps):
    """RAP objective of every candidate of user ``i``: dict (cut, bits index) -> value."""
    cfg, n = env.config, env.num_users
    hist = np.maximum(obs["bandwidth"][i, -5:].astype(np.float64), 1e-3)
    bw = len(hist) / np.sum(1.0 / hist)
    om = bw / (bw + b0_mbps)
    f = 1.0 / n
    w = 1.0 / n if cfg.shared_uplink else 1.0
    qd, qu, qc = obs["queue"][i].astype(np.float64)
    fps = cfg.per_user("fps")[i]
    tasks = fps * cfg.dt_s
    out = {}
    for k, j, dev, cloud, bits, acc in legal_candidates(env, obs, i):
        if bits == 0.0 and cloud == 0.0 and k == int(np.flatnonzero(obs["cut_mask"][i])[-1]):
            lat, bottleneck = qd + dev, dev
        else:
            up = max(qd + dev, qu) + bits / (w * bw * 1e6) + cfg.rtt_s / 2
            lat = max(up, qc) + cloud / f + cfg.rtt_s / 2
            bottleneck = max(dev, bits / (w * bw * 1e6), cloud / f)
        lat += max(bottleneck - 1.0 / fps, 0.0) * max(tasks - 1.0, 0.0) / 2.0  # the slot's tasks queue at the bottleneck
        out[(k, j)] = om * acc * cfg.acc_weight + (1 - om) * lat / cfg.latency_ref_s
    return out


def test_rap_equals_brute_force_argmin_of_its_objective():
    rng = np.random.default_rng(1)
    checked = 0
    while checked < 1000:
        env = random_env(rng)
        for _ in range(5):
            obs = random_obs(rng, env)
            b0 = float(rng.uniform(0.5, 30))
            action, _ = make_policy("rap", env, b0_mbps=b0).predict(obs)
            for i in range(env.num_users):
                values = rap_brute_force(env, obs, i, b0)
                got = values[(int(action["split"][i]), int(action["bits"][i]))]
                assert got == pytest.approx(min(values.values()), rel=1e-9, abs=1e-12)
            checked += 1


def equal_share_latencies(env, obs, i: int) -> dict[tuple[int, int], tuple[float, float]]:
    """Brute force: ``(cut, bits index) -> (latency s, acc loss pp)`` of user ``i`` at the last bandwidth sample
    with equal compute (and, in a shared cell, uplink) shares, empty queues."""
    cfg, n = env.config, env.num_users
    bw = max(float(obs["bandwidth"][i, -1]), 1e-3) * 1e6 * (1.0 / n if cfg.shared_uplink else 1.0)
    return {(k, j): (dev if bits == 0.0 else dev + bits / bw + cfg.rtt_s + cloud * n, acc)
            for k, j, dev, cloud, bits, acc in legal_candidates(env, obs, i)}


def test_neurosurgeon_equals_brute_force_latency_argmin():
    rng = np.random.default_rng(2)
    for _ in range(300):
        env = random_env(rng)
        obs = random_obs(rng, env)
        cfg, n = env.config, env.num_users
        action, _ = make_policy("neurosurgeon", env).predict(obs)
        assert np.all(action["bits"] == cfg.bits.index(32))
        for i in range(n):
            lat = {k: t for (k, j), (t, _) in equal_share_latencies(env, obs, i).items() if cfg.bits[j] == 32}
            assert lat[int(action["split"][i])] == pytest.approx(min(lat.values()), rel=1e-9)


def test_accuracy_budget_respects_budget_and_is_latency_optimal():
    rng = np.random.default_rng(3)
    for _ in range(200):
        env = random_env(rng)
        obs = random_obs(rng, env)
        action, _ = make_policy("accuracy-budget", env, budget_pp=1.5).predict(obs)
        for i in range(env.num_users):
            lat = {kj: t for kj, (t, acc) in equal_share_latencies(env, obs, i).items() if acc <= 1.5}
            assert lat[(int(action["split"][i]), int(action["bits"][i]))] == pytest.approx(min(lat.values()), rel=1e-9)


def test_jm_mpra_reports_rounds_and_converges():
    rng = np.random.default_rng(4)
    for _ in range(50):
        env = random_env(rng)
        pol = make_policy("jm-mpra", env, max_rounds=30)
        pol.predict(random_obs(rng, env))
        assert 1 <= pol.last_rounds <= 30


def min_feasible_bound(fixed: list[float], cloud: list[float], floor: float) -> float:
    """Least L with sum_i max(c_i / (L - g_i), floor) <= 1 over uploading users (c_i > 0), by bisection."""
    def total(bound):
        need = [0.0 if c == 0 and g <= bound else (np.inf if bound <= g else max(c / (bound - g), floor)) for g, c in zip(fixed, cloud, strict=True)]
        return sum(need)
    lo, hi = max(fixed), max(fixed) + sum(cloud) / max(1.0 - floor * len(fixed), 1e-9) + 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if total(mid) > 1.0 else (lo, mid)
    return hi


def test_iao_equals_brute_force_min_max_latency():
    rng = np.random.default_rng(5)
    for _ in range(60):
        env = random_env(rng, max_users=3, max_cuts=4)
        obs = random_obs(rng, env)
        cfg, n = env.config, env.num_users
        action, _ = make_policy("iao", env).predict(obs)
        assert np.all(action["bits"] == cfg.bits.index(32))
        options = []
        for i in range(n):
            bw = max(float(obs["bandwidth"][i, -1]), 1e-3) * 1e6 * (1.0 / n if cfg.shared_uplink else 1.0)
            options.append({k: ((dev, 0.0) if bits == 0.0 else (dev + bits / bw + cfg.rtt_s, cloud))
                            for k, j, dev, cloud, bits, _acc in legal_candidates(env, obs, i) if cfg.bits[j] == 32})
        best = min(min_feasible_bound([options[i][k][0] for i, k in enumerate(combo)], [options[i][k][1] for i, k in enumerate(combo)],
                                      cfg.min_share) for combo in itertools.product(*[list(o) for o in options]))
        chosen = [options[i][int(k)] for i, k in enumerate(action["split"])]
        uploads = np.array([c > 0 for _, c in chosen])
        raw = np.maximum(action["compute_share"].astype(np.float64), cfg.min_share)
        share = np.where(uploads, raw / raw[uploads].sum() if uploads.any() else 1.0, 1.0)
        achieved = max(g + (c / share[i] if uploads[i] else 0.0) for i, (g, c) in enumerate(chosen))
        assert achieved == pytest.approx(best, rel=1e-6, abs=1e-9)


OBS_POLICIES = [p for p in available_policies() if p != "oracle"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.0, 1e-6, 1.0, 1e3, 1e9]))
def test_no_policy_emits_an_action_outside_the_space(seed, scale):
    rng = np.random.default_rng(seed)
    env = random_env(rng, max_users=5)
    obs = random_obs(rng, env)
    obs["bandwidth"] = (obs["bandwidth"] * scale).astype(np.float32)
    obs["queue"] = (obs["queue"] * scale).astype(np.float32)
    for name in OBS_POLICIES:
        action, state = make_policy(name, env).predict(obs)
        assert state is None
        assert env.action_space.contains(action), (name, action)


def test_every_policy_steps_a_shared_cell_env():
    rng = np.random.default_rng(9)
    profiles = [random_profile(rng, 4) for _ in range(3)]
    env = MultiUserEndCloudEnv("default", num_users=3, profiles=profiles, shared_uplink=True, bits=[32, 8], episode_slots=5)
    trace = BandwidthTrace.from_samples(rng.uniform(0, 30, 50), 0.1)
    for name in available_policies():
        obs, _ = env.reset(seed=0, options={"traces": [trace]})
        pol = make_policy(name, env)
        for _ in range(5):
            action, _ = pol.predict(obs)
            assert env.action_space.contains(action), name
            obs, *_ = env.step(action)


def test_unknown_policy_lists_the_allowed_ones():
    env = random_env(np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown policy 'rapp'.*allowed: rap, rap-equal, jm-mpra"):
        make_policy("rapp", env)


def test_unknown_option_is_named_with_the_allowed_ones():
    env = random_env(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['b0'\]; allowed: .*b0_mbps"):
        make_policy("rap", env, b0=3.0)
    with pytest.raises(ValueError, match="unknown option"):
        make_policy("rap-equal", env, shares="closed-form")
    with pytest.raises(ValueError, match="none"):
        make_policy("device-only", env, seed=1)


@pytest.mark.parametrize(("name", "options", "match"), [
    ("rap", {"b0_mbps": -1.0}, "b0_mbps"), ("rap", {"estimator": "oracle"}, "estimator 'oracle' unknown"),
    ("rap", {"omega_form": "cubic"}, "omega_form"), ("rap", {"estimator_options": {"beta": 1}}, "beta"),
    ("jm-mpra", {"max_rounds": 0}, "max_rounds"), ("accuracy-budget", {"budget_pp": -1}, "budget_pp"),
    ("iao", {"iterations": 0}, "iterations"),
])
def test_bad_option_values(name, options, match):
    env = random_env(np.random.default_rng(0))
    with pytest.raises(ValueError, match=match):
        make_policy(name, env, **options)


@pytest.mark.parametrize("name", ["rap", "jm-mpra", "neurosurgeon", "accuracy-budget", "iao"])
def test_a_profile_without_legal_cuts_is_refused(name):
    rng = np.random.default_rng(0)
    env = random_env(rng)
    obs = random_obs(rng, env)
    mask = obs["cut_mask"].copy()
    mask[0] = 0
    obs["cut_mask"] = mask
    with pytest.raises(ValueError, match=r"user\(s\) \[0\] have no legal cut"):
        make_policy(name, env).predict(obs)
