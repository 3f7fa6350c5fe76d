"""The native vector env: copy m seeded s + m plays the single env's episode seeded s + m; bad input changes nothing."""

from __future__ import annotations

import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest

import rapgym
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.vector import MultiUserEndCloudVectorEnv
from rapgym.errors import ActionError, ScenarioError
from rapgym.traces.trace import BandwidthTrace

M = 3
SMALL = {"num_users": 3, "episode_slots": 4}


def random_actions(space: gym.spaces.Dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {k: (rng.integers(0, s.nvec) if hasattr(s, "nvec") else rng.random(s.shape).astype(np.float32))
            for k, s in space.spaces.items()}


def assert_info_equal(vector_info: dict, info: dict, m: int) -> None:
    for key, value in info.items():
        assert vector_info[f"_{key}"][m], key
        if isinstance(value, dict):
            assert_info_equal(vector_info[key], value, m)
        else:
            np.testing.assert_array_equal(vector_info[key][m], value, err_msg=key)
            assert vector_info[key].dtype.kind == np.asarray(value).dtype.kind, key


@pytest.mark.parametrize("scenario", ["default", "shared-cell", "unstable-lte"])
def test_copies_equal_single_envs_across_autoreset(scenario):
    vec = gym.make_vec(rapgym.ENV_ID, num_envs=M, vectorization_mode="vector_entry_point", scenario=scenario, **SMALL)
    assert isinstance(vec, MultiUserEndCloudVectorEnv)
    singles = [MultiUserEndCloudEnv(scenario, **SMALL) for _ in range(M)]
    obs, _ = vec.reset(seed=7)
    expected = [env.reset(seed=7 + m)[0] for m, env in enumerate(singles)]
    rng = np.random.default_rng(0)
    done = [False] * M
    for _ in range(11):  # two autoresets per copy
        for m in range(M):
            for key in obs:
                np.testing.assert_array_equal(obs[key][m], expected[m][key], err_msg=key)
        assert vec.observation_space.contains(obs)
        actions = [random_actions(singles[0].action_space, rng) for _ in range(M)]
        obs, rewards, terminated, truncated, infos = vec.step({k: np.stack([a[k] for a in actions]) for k in actions[0]})
        for m, env in enumerate(singles):
            if done[m]:
                expected[m], info = env.reset()
                reward, trunc = 0.0, False
            else:
                expected[m], reward, _, trunc, info = env.step(actions[m])
            done[m] = trunc
            assert rewards[m] == reward and truncated[m] == trunc and not terminated[m]
            assert_info_equal(infos, info, m)
            if not info:  # Gymnasium's batching: the row of a copy without that key is masked out and zero
                assert not any(mask[m] for key, mask in infos.items() if key.startswith("_"))
                assert not any(np.any(value[m]) for key, value in infos.items() if not key.startswith("_")
                               and key != "rapgym_episode")


def test_copies_out_of_phase_mask_the_resetting_row():
    """Copy 1 restarted one slot later: copy 0's autoreset step and copy 1's last step share one vector step."""
    vec = MultiUserEndCloudVectorEnv(2, num_users=3, episode_slots=2)
    singles = [MultiUserEndCloudEnv(num_users=3, episode_slots=2) for _ in range(2)]
    vec.reset(seed=0)
    singles[0].reset(seed=0)
    rng = np.random.default_rng(1)
    actions = [random_actions(singles[0].action_space, rng) for _ in range(2)]
    batched = {k: np.stack([a[k] for a in actions]) for k in actions[0]}
    vec.step(batched)
    singles[0].step(actions[0])
    vec.reset(seed=[None, 5], options={"reset_mask": np.array([False, True])})
    singles[1].reset(seed=5)
    _, _, _, truncated, infos = vec.step(batched)  # copy 0 truncates, copy 1 at its first slot
    for m in range(2):
        assert_info_equal(infos, singles[m].step(actions[m])[4], m)
    assert truncated.tolist() == [True, False] and infos["_rapgym_episode"].tolist() == [True, False]
    _, rewards, _, truncated, infos = vec.step(batched)  # copy 0 autoresets, copy 1 truncates
    singles[0].reset()
    _, reward, _, _, info = singles[1].step(actions[1])
    assert_info_equal(infos, info, 1)
    assert truncated.tolist() == [False, True] and rewards[0] == 0.0 and rewards[1] == reward
    for key, value in infos.items():
        assert key == "rapgym_episode" or not (value[0] if key.startswith("_") else np.any(value[0])), key
    for key, value in infos["rapgym_episode"].items():
        assert not (value[0] if key.startswith("_") else np.any(value[0])), key


def test_static_tables_are_read_only_views():
    vec = MultiUserEndCloudVectorEnv(2, **SMALL)
    obs, _ = vec.reset(seed=0)
    assert not obs["profile"].flags.writeable and not obs["cut_mask"].flags.writeable
    assert obs["profile"].shape[0] == 2 and obs["queue"].flags.writeable


def test_per_copy_reset_options_and_mask():
    vec = MultiUserEndCloudVectorEnv(2, scenario="default", **SMALL)
    vec.reset(seed=0)
    traces = [BandwidthTrace.from_samples([4.0], 1.0)] * 3
    obs, _ = vec.reset(options={"traces": [traces, None]})
    np.testing.assert_allclose(obs["bandwidth"][0], 4.0)
    assert not np.allclose(obs["bandwidth"][1], 4.0)
    before = {k: v.copy() for k, v in obs.items()}
    obs, _ = vec.reset(options={"reset_mask": np.array([False, True])})
    np.testing.assert_array_equal(obs["bandwidth"][0], before["bandwidth"][0])


def state(vec: MultiUserEndCloudVectorEnv) -> tuple:
    return (vec.batch.slots.copy(), vec.batch.cursor.copy(), vec.batch.backlog.copy(), vec._returns.copy())


def assert_same_state(a: tuple, b: tuple) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("num_envs", [0, -1, 2.0, True, "2"])
def test_bad_num_envs(num_envs):
    with pytest.raises(ScenarioError, match="num_envs must be an integer >= 1"):
        MultiUserEndCloudVectorEnv(num_envs, **SMALL)


def test_bad_actions_change_no_copy():
    vec = MultiUserEndCloudVectorEnv(M, **SMALL)
    vec.reset(seed=1)
    good = vec.action_space.sample()
    vec.step(good)
    before = state(vec)
    with pytest.raises(ActionError, match=r"action field 'split' has shape \(2, 3\); expected \(3, 3\)"):
        vec.step({**good, "split": good["split"][:2]})
    with pytest.raises(ActionError, match="'compute_share'"):
        vec.step({**good, "compute_share": np.full((M, 3), "x")})
    split = good["split"].copy()
    split[2, 1] = 99
    with pytest.raises(ActionError, match="copy 2: action field 'split' is out of range"):
        vec.step({**good, "split": split})
    assert_same_state(state(vec), before)


def test_bad_reset_options_change_no_copy():
    vec = MultiUserEndCloudVectorEnv(2, **SMALL)
    vec.reset(seed=1)
    vec.step(vec.action_space.sample())
    before = state(vec)
    trace = [BandwidthTrace.from_samples([4.0], 1.0)] * 3
    with pytest.raises(ScenarioError, match=r"reset option 'traces' must be a list with one entry per copy \(2"):
        vec.reset(options={"traces": [trace]})
    with pytest.raises(ScenarioError, match="reset option 'arrivals'"):
        vec.reset(options={"arrivals": [None, [np.array([1.0, 0.5])] * 3]})
    with pytest.raises(ScenarioError, match="unknown reset option"):
        vec.reset(options={"trace": [None, None]})
    with pytest.raises(ScenarioError, match="'reset_mask'"):
        vec.reset(options={"reset_mask": [True]})
    with pytest.raises(ScenarioError, match="'seed'"):
        vec.reset(seed=[1, 2, 3])
    assert_same_state(state(vec), before)


@pytest.mark.parametrize("clone", [lambda v: pickle.loads(pickle.dumps(v)), copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_cloned_vector_env_continues_like_the_original(clone):
    """Through a truncation: the clone's copies read their own rows of the batch (episode summaries included)."""
    vec = MultiUserEndCloudVectorEnv(2, **SMALL)
    vec.reset(seed=4)
    actions = [vec.action_space.sample() for _ in range(SMALL["episode_slots"] + 1)]
    vec.step(actions[0])
    twin = clone(vec)
    summaries = []
    for action in actions[1:]:
        ours, theirs = vec.step(action), twin.step(action)
        for a, b in zip(ours, theirs, strict=True):
            assert_tree_equal(a, b)
        summaries += [ours[4]["rapgym_episode"]] if "rapgym_episode" in ours[4] else []
    assert len(summaries) == 1 and summaries[0]["tasks"].all()


def assert_tree_equal(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for key in a:
            assert_tree_equal(a[key], b[key])
    else:
        np.testing.assert_array_equal(a, b)
