"""The warm start's teacher choice (``pretrain_teacher: best``): each candidate scored as the hybrid would play it."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents.registry import make_policy
from rapgym.configs.hyperparams import TEACHER_CANDIDATES, load_hyperparams
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import HyperparamsError
from rapgym.learning.held_out import eval_seeds
from rapgym.learning.hybrid import HybridAction
from rapgym.learning.imitation import ClosedFormShares, choose_teacher
from rapgym.learning.train import train

SMALL = {"num_users": 3, "episode_slots": 24}


def hybrid_reward_per_slot(name: str, seed: int) -> float:
    """The teacher's cuts and widths stepped through the hybrid's own action wrapper (flat MultiDiscrete actions)."""
    env = HybridAction(MultiUserEndCloudEnv("default", **SMALL))
    teacher = make_policy(name, env.unwrapped)
    obs, _ = env.reset(seed=seed)
    teacher.reset()
    rewards, done = [], False
    while not done:
        action, _ = teacher.predict(obs)
        obs, reward, terminated, truncated, _ = env.step(np.concatenate([action["split"], action["bits"]]))
        rewards.append(reward)
        done = terminated or truncated
    return float(np.mean(rewards))


def test_a_candidate_is_scored_as_the_hybrid_plays_its_cuts_and_widths_and_the_best_teaches():
    seeds = eval_seeds(2)
    candidates = ["device-only", "rap", "cloud-only", "accuracy-budget"]
    name, scores = choose_teacher(candidates, "default", seeds, **SMALL)
    expected = {c: float(np.mean([hybrid_reward_per_slot(c, s) for s in seeds])) for c in candidates}
    assert scores.keys() == expected.keys()
    for c in candidates:
        assert scores[c] == pytest.approx(expected[c], rel=1e-12, abs=1e-12)
    assert name == max(expected, key=expected.get)
    assert len(set(expected.values())) == len(candidates)  # a real choice, not a tie broken by order


def test_closed_form_shares_keep_the_teachers_cuts_and_widths_and_replace_its_shares():
    env = MultiUserEndCloudEnv("default", **SMALL)
    obs, _ = env.reset(seed=0)
    teacher = make_policy("rap-equal", env)
    own, _ = teacher.predict(obs)
    action, _ = ClosedFormShares(make_policy("rap-equal", env), env).predict(obs)
    np.testing.assert_array_equal(action["split"], own["split"])
    np.testing.assert_array_equal(action["bits"], own["bits"])
    hybrid = HybridAction(MultiUserEndCloudEnv("default", **SMALL))
    hybrid.reset(seed=0)
    expected = hybrid.action(np.concatenate([own["split"], own["bits"]]))
    np.testing.assert_allclose(action["compute_share"], expected["compute_share"])


def test_a_best_teacher_run_records_every_candidates_score_and_clones_the_best(tmp_path):
    overrides = {"n_envs": 1, "n_steps": 32, "batch_size": 32, "n_epochs": 1, "pretrain_steps": 40, "pretrain_epochs": 1,
                 "pretrain_teacher": "best", "pretrain_candidates": ["device-only", "rap"], "env_kwargs": SMALL,
                 "policy_kwargs": {"net_arch": [16]}, "eval_freq": 32, "eval_episodes": 1, "checkpoint_freq": 32}
    from rapgym.learning.run_folder import RunFolder

    run = RunFolder(train("hybrid", "default", 32, seed=1, overrides=overrides, out=tmp_path, progress_bar=False))
    warm = run.read_result()["warm_start"]
    _, scores = choose_teacher(["device-only", "rap"], "default", eval_seeds(1), **SMALL)
    assert warm["candidates"] == {n: round(s, 4) for n, s in scores.items()}
    assert warm["teacher"] == max(scores, key=scores.get)


@pytest.mark.parametrize(("overrides", "match"), [
    ({"pretrain_teacher": "oracle"}, r"'pretrain_teacher': unknown teacher 'oracle'; allowed: .*jm-mpra.*best or null"),
    ({"pretrain_teacher": "jmmpra"}, r"'pretrain_teacher': unknown teacher 'jmmpra'"),
    ({"pretrain_teacher": "best", "pretrain_candidates": ["rap", "random"]}, r"'pretrain_candidates': unknown teacher 'random'"),
    ({"pretrain_teacher": "best", "pretrain_candidates": []}, r"pretrain_candidates"),
])
def test_unknown_teachers_are_refused_naming_the_key_and_the_allowed_policies(overrides, match):
    with pytest.raises(HyperparamsError, match=match):
        load_hyperparams("hybrid", "default", overrides)


def test_the_default_candidates_are_deterministic_reference_policies():
    hp = load_hyperparams("hybrid", "default", {"pretrain_teacher": "best"})
    assert hp.pretrain_candidates == list(TEACHER_CANDIDATES)
    assert "random" not in TEACHER_CANDIDATES and "oracle" not in TEACHER_CANDIDATES
