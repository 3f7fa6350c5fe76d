"""The PettingZoo view: PettingZoo's own API and seed tests, per-agent rows of the same simulator, bad actions."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo", reason="the marl extra (pettingzoo) is not installed")
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test  # noqa: E402

from rapgym.envs import multi_user_end_cloud_v0  # noqa: E402
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv  # noqa: E402
from rapgym.errors import ActionError  # noqa: E402

SMALL = {"num_users": 3, "episode_slots": 20}


@pytest.mark.parametrize("scenario", ["default", "shared-cell"])
def test_pettingzoo_parallel_api_test(scenario):
    parallel_api_test(multi_user_end_cloud_v0.parallel_env(scenario=scenario, **SMALL), num_cycles=40)


def test_pettingzoo_aec_api_test():
    api_test(multi_user_end_cloud_v0.env(**SMALL), num_cycles=40)


def test_pettingzoo_seed_tests():
    seed_test(lambda: multi_user_end_cloud_v0.env(**SMALL), num_cycles=40)
    parallel_seed_test(lambda: multi_user_end_cloud_v0.parallel_env(**SMALL), num_cycles=40)


def _joint(actions: dict, n: int, shared: bool) -> dict:
    joint = {"split": np.array([actions[f"user_{i}"]["split"] for i in range(n)]),
             "bits": np.array([actions[f"user_{i}"]["bits"] for i in range(n)]),
             "compute_share": np.array([actions[f"user_{i}"]["compute_share"][0] for i in range(n)], dtype=np.float32)}
    if shared:
        joint["uplink_share"] = np.array([actions[f"user_{i}"]["uplink_share"][0] for i in range(n)], dtype=np.float32)
    return joint


@pytest.mark.parametrize("scenario", ["unstable-lte", "shared-cell"])
def test_agents_see_their_rows_and_get_the_env_reward(scenario):
    par = multi_user_end_cloud_v0.parallel_env(scenario=scenario, **SMALL)
    ref = MultiUserEndCloudEnv(scenario, **SMALL)
    observations, _ = par.reset(seed=5)
    obs, _ = ref.reset(seed=5)
    n = SMALL["num_users"]
    assert par.agents == ["user_0", "user_1", "user_2"]
    for _ in range(SMALL["episode_slots"]):
        for i in range(n):
            mine = observations[f"user_{i}"]
            assert par.observation_space(f"user_{i}").contains(mine)
            for key in ("bandwidth", "queue", "profile", "cut_mask"):
                np.testing.assert_array_equal(mine[key], obs[key][i])
            np.testing.assert_array_equal(mine["cloud_load"], obs["cloud_load"])
        actions = {agent: par.action_space(agent).sample() for agent in par.agents}
        observations, rewards, terminations, truncations, infos = par.step(actions)
        obs, reward, _, truncated, info = ref.step(_joint(actions, n, ref.config.shared_uplink))
        assert all(r == reward for r in rewards.values())
        assert infos["user_1"]["user_tasks"] == info["user_tasks"][1]
        assert not any(terminations.values()) and all(v == truncated for v in truncations.values())
    assert par.agents == [] and infos["user_0"]["rapgym_episode"] == info["rapgym_episode"]


def test_per_user_rewards_are_minus_each_users_mean_cost():
    par = multi_user_end_cloud_v0.parallel_env(per_user_reward=True, **SMALL)
    par.reset(seed=1)
    for _ in range(10):
        _, rewards, _, _, infos = par.step({agent: par.action_space(agent).sample() for agent in par.agents})
        for agent, r in rewards.items():
            assert r == -infos[agent]["user_cost"]
            assert (infos[agent]["user_tasks"] == 0) <= (r == 0.0)


def test_reset_passes_env_options_and_ignores_unknown_ones():
    par = multi_user_end_cloud_v0.parallel_env(**SMALL)
    arrivals = [np.array([0.01]), np.array([]), np.array([0.02, 0.03])]
    par.reset(seed=0, options={"arrivals": arrivals, "anything": 1})
    _, _, _, _, infos = par.step({agent: par.action_space(agent).sample() for agent in par.agents})
    assert [infos[f"user_{i}"]["user_tasks"] for i in range(3)] == [1, 0, 2]


def test_bad_action_dicts_name_the_agent():
    par = multi_user_end_cloud_v0.parallel_env(**SMALL)
    par.reset(seed=0)
    good = {agent: par.action_space(agent).sample() for agent in par.agents}
    with pytest.raises(ActionError, match="no action for agent 'user_2'"):
        par.step({k: v for k, v in good.items() if k != "user_2"})
    with pytest.raises(ActionError, match="unknown agent 'user_9'"):
        par.step({**good, "user_9": good["user_0"]})
    with pytest.raises(ActionError, match="agent 'user_1': field 'split' must be an integer in \\[0, "):
        par.step({**good, "user_1": {**good["user_1"], "split": 99}})
    with pytest.raises(ActionError, match="agent 'user_0': field 'compute_share'"):
        par.step({**good, "user_0": {**good["user_0"], "compute_share": np.array([np.nan])}})
    with pytest.raises(ActionError, match="agent 'user_0' must be a dict with keys"):
        par.step({**good, "user_0": 3})

