"""NormalizedFlatObservation: its cached profile block gives exactly the per-step normalisation of docs/model.md §3."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.wrappers import BoxAction, FlatMultiDiscreteAction, NormalizedFlatObservation
from rapgym.sim.layout import COL_ACC_LOSS, COL_CLOUD_S, COL_DEVICE_S, COL_TX


def normalised_from_scratch(obs: dict[str, np.ndarray], latency_ref_s: float, max_backlog_s: float) -> np.ndarray:
    """Every entry normalised anew from the Dict observation, in the documented order and scales."""
    profile = obs["profile"]
    lat = np.log1p(profile[..., COL_DEVICE_S:COL_CLOUD_S + 1] / latency_ref_s)
    tx = np.log1p(profile[..., COL_TX:COL_TX + 1]) / 20.0
    acc = profile[..., COL_ACC_LOSS:] / 10.0
    flat = np.concatenate([
        (np.log1p(obs["bandwidth"]) / np.log1p(1000.0)).ravel(),
        (obs["queue"] / max_backlog_s).ravel(),
        np.concatenate([lat, tx, acc], axis=-1).ravel(),
        obs["cut_mask"].ravel(),
        obs["cloud_load"].ravel(),
    ]).astype(np.float32)
    return np.clip(flat, -10.0, 10.0)


class ScaledProfile(gym.ObservationWrapper):
    """Multiplies the profile by a factor that changes on every reset (so a stale cache would show)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.factor = 1.0

    def reset(self, **kwargs):
        self.factor += 0.5
        return super().reset(**kwargs)

    def observation(self, obs):
        return {**obs, "profile": obs["profile"] * np.float32(self.factor)}


@pytest.mark.parametrize(("scenario", "inner"), [("default", None), ("shared-cell", None), ("unstable-lte", ScaledProfile)])
def test_flat_observation_is_bit_identical_to_the_per_step_normalisation(scenario, inner):
    base = MultiUserEndCloudEnv(scenario, num_users=4, episode_slots=15, max_backlog_s=3.0, latency_ref_s=0.2)
    source = inner(base) if inner else base
    record: list[dict[str, np.ndarray]] = []
    recorder = gym.wrappers.TransformObservation(source, lambda o: record.append(o) or o, source.observation_space)
    env = NormalizedFlatObservation(recorder)
    env.action_space.seed(1)
    for episode in range(3):
        flat, _ = env.reset(seed=episode)
        checked = [flat]
        for _ in range(15):
            flat, *_ = env.step(env.action_space.sample())
            checked.append(flat)
        for obs, got in zip(record[-16:], checked, strict=True):
            expected = normalised_from_scratch(obs, 0.2, 3.0)
            assert got.dtype == np.float32 and got.shape == env.observation_space.shape
            np.testing.assert_array_equal(got, expected)
            assert env.observation_space.contains(got)


def test_compact_observation_is_the_full_one_without_the_profile_and_mask():
    full = NormalizedFlatObservation(MultiUserEndCloudEnv("default", num_users=3, episode_slots=5))
    compact = NormalizedFlatObservation(MultiUserEndCloudEnv("default", num_users=3, episode_slots=5), compact=True)
    a, _ = full.reset(seed=2)
    b, _ = compact.reset(seed=2)
    n, h = 3, full.unwrapped.config.history
    assert compact.observation_space.shape == (n * (h + 3) + 1,)
    np.testing.assert_array_equal(b, np.concatenate([a[:n * (h + 3)], a[-1:]]))
    action = full.action_space.sample()
    a, *_ = full.step(action)
    b, *_ = compact.step(action)
    np.testing.assert_array_equal(b, np.concatenate([a[:n * (h + 3)], a[-1:]]))


def test_out_of_range_entries_are_clipped_like_the_per_step_normalisation():
    env = NormalizedFlatObservation(MultiUserEndCloudEnv("default", num_users=2, episode_slots=5))
    obs, _ = env.unwrapped.reset(seed=0)
    obs["queue"][:] = [[-50.0, 0.5, 1e9], [np.inf, -np.inf, 0.0]]
    obs["bandwidth"][0, 0] = np.nan
    obs["cloud_load"][:] = 500.0
    got = env.observation(obs)
    expected = normalised_from_scratch(obs, env.unwrapped.config.latency_ref_s, env.unwrapped.config.max_backlog_s)
    np.testing.assert_array_equal(got, expected)
    assert got[-1] == 10.0 and np.isnan(got[0])


@pytest.mark.parametrize("scenario", ["default", "shared-cell"])
def test_action_decoders_follow_their_documented_formulas(scenario):
    base = MultiUserEndCloudEnv(scenario, num_users=5)
    box, flat = BoxAction(base), FlatMultiDiscreteAction(base, share_levels=4)
    nsplit, nbits = base.action_space["split"].nvec, base.action_space["bits"].nvec
    rng = np.random.default_rng(0)
    for _ in range(200):
        x = rng.uniform(-1.5, 1.5, box.action_space.shape)
        x[rng.random(x.shape) < 0.1] = np.nan
        x[rng.random(x.shape) < 0.05] = np.inf
        u = (np.clip(np.nan_to_num(x, nan=0.0), -1.0, 1.0) + 1.0) / 2.0  # x in [-1, 1] -> u in [0, 1], NaN -> 0.5
        got = box.action(x)
        np.testing.assert_array_equal(got["split"], np.minimum(np.floor(u[:5] * nsplit), nsplit - 1))
        np.testing.assert_array_equal(got["bits"], np.minimum(np.floor(u[5:10] * nbits), nbits - 1))
        np.testing.assert_array_equal(got["compute_share"], u[10:15].astype(np.float32))
        levels = flat.action_space.sample()
        got = flat.action(levels)
        np.testing.assert_array_equal(got["split"], levels[:5])
        np.testing.assert_array_equal(got["compute_share"], ((levels[10:15] + 1) / 4).astype(np.float32))
        if scenario == "shared-cell":
            np.testing.assert_array_equal(got["uplink_share"], ((levels[15:] + 1) / 4).astype(np.float32))
        assert base.action_space.contains(got)


def test_cache_follows_a_profile_of_another_dtype_or_layout():
    env = NormalizedFlatObservation(MultiUserEndCloudEnv("default", num_users=3, episode_slots=5))
    obs, _ = env.unwrapped.reset(seed=1)
    cfg = env.unwrapped.config
    variants = [obs, {**obs, "profile": obs["profile"].astype(np.float64) * 1.5},
                {**obs, "profile": np.asfortranarray(obs["profile"]), "bandwidth": np.repeat(obs["bandwidth"], 2, 1)[:, ::2]},
                {**obs, "cut_mask": obs["cut_mask"].astype(np.int64)}, obs]
    for variant in variants:
        np.testing.assert_array_equal(env.observation(variant), normalised_from_scratch(variant, cfg.latency_ref_s,
                                                                                        cfg.max_backlog_s))
