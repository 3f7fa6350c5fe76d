"""One benchmark cell: equal to the reference evaluation loop, and failures reported, not raised."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents.registry import make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.evaluation.suite_cell import action_violation, run_cell, uplink_cv
from rapgym.evaluation.suite_policies import import_path_resolver, is_import_path, register_import_resolver
from rapgym.evaluation.suite_protocol import Cell

USER = "tests.evaluation.suite_user_policies"


def _cell(policy: str, n: int = 2, seeds=(3, 4), slots: int = 15) -> Cell:
    return Cell("default", "generator", n, policy, tuple(seeds), slots)


def test_a_cell_equals_the_episodes_played_by_hand():
    result = run_cell(_cell("jm-mpra"))
    assert result["status"] == "ok", result["reason"]
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=15)
    policy = make_policy("jm-mpra", env)
    tasks = completed = 0
    latency = rewards = 0.0
    for seed in (3, 4):
        obs, _ = env.reset(seed=seed)
        for _ in range(15):
            obs, reward, *_ = env.step(policy.predict(obs)[0])
            rewards += reward
        _, lat, _ = env.unwrapped.sim.dispatched_tasks()
        tasks += lat.size
        completed += int((lat >= 0).sum())
        latency += float(lat[lat >= 0].sum())
    m = result["metrics"]
    assert (m["tasks"], m["completed"]) == (tasks, completed)
    assert m["latency_s"] == pytest.approx(latency / completed)
    assert m["reward_per_slot"] == pytest.approx(rewards / 30)
    assert len(result["latency_quantiles"]) == 101 and result["latency_quantiles"] == sorted(result["latency_quantiles"])


def test_action_violation_names_the_key():
    space = MultiUserEndCloudEnv("default", num_users=2).action_space
    good = {"split": np.array([0, 3]), "bits": np.array([1, 4]), "compute_share": np.array([0.5, 0.5])}
    assert action_violation(space, good) is None
    assert "split" in action_violation(space, dict(good, split=np.array([0, 99])))
    assert "shape" in action_violation(space, dict(good, bits=np.array([1, 2, 3])))
    assert "not finite" in action_violation(space, dict(good, compute_share=np.array([np.nan, 0.5])))
    assert "compute_share" in action_violation(space, dict(good, compute_share=np.array([1.5, 0.5])))
    assert "lacks" in action_violation(space, {"split": good["split"]})
    assert "not a dict" in action_violation(space, [0, 1])
    assert action_violation(space, dict(good, split=np.array([0.0, 3.0]))) is None  # integer-valued floats


@pytest.mark.parametrize(("name", "reason"), [
    ("SplitOutOfRange", "action['split']"),
    ("Raises", "predict raised RuntimeError at seed 3, slot 2: boom"),
])
def test_a_misbehaving_user_policy_fails_its_cell_with_the_reason(name, reason):
    register_import_resolver()
    result = run_cell(_cell(f"{USER}:{name}"))
    assert result["status"] == "failed" and reason in result["reason"] and result["metrics"] == {}


def test_user_policies_by_import_path():
    register_import_resolver()
    as_class = run_cell(_cell(f"{USER}:AllDeviceOnly"))
    reference = run_cell(_cell("device-only"))
    assert as_class["status"] == "ok"
    assert as_class["metrics"]["reward_per_slot"] == pytest.approx(reference["metrics"]["reward_per_slot"])
    as_object = run_cell(_cell(f"{USER}:CLOUD_ONLY"))
    assert as_object["metrics"]["reward_per_slot"] == pytest.approx(run_cell(_cell("cloud-only"))["metrics"]["reward_per_slot"])


@pytest.mark.parametrize(("spec", "message"), [
    ("tests.evaluation.no_such_module:X", "cannot import module 'tests.evaluation.no_such_module'"),
    (f"{USER}:Nope", "has no 'Nope'"),
    (f"{USER}:NOT_A_POLICY", "neither a class"),
])
def test_bad_import_paths_raise_policy_error(spec, message):
    with pytest.raises(PolicyError, match=message):
        import_path_resolver(spec)


def test_import_paths_are_told_apart_from_policy_options():
    assert is_import_path("mypkg.mymodule:MyPolicy")
    assert not is_import_path("rap:b0_mbps=4")
    assert not is_import_path("rap")
    assert not is_import_path("runs/x/best_model.zip")


def test_uplink_cv_by_hand():
    rates = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 0.0]])  # CV 0.5, 0, and 0 for a dead link
    assert uplink_cv(rates) == pytest.approx(0.5 / 3)

