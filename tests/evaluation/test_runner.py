"""``rapgym.evaluation.runner``: policy specs, resolvers and the one episode loop."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.evaluation import runner
from rapgym.evaluation.runner import completed_latencies, policy_label, register_resolver, resolve_policy, run_episode


class CutZero:
    """Every user at cut 0 (the toy profile's cloud-only cut: the raw input, no accuracy loss) and bits index 0."""

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        n = obs["queue"].shape[0]
        return {"split": np.zeros(n, dtype=np.int64), "bits": np.zeros(n, dtype=np.int64),
                "compute_share": np.ones(n, dtype=np.float32)}, state


def test_run_episode_returns_the_summary_with_drops_load_and_timing(tiny):
    env = MultiUserEndCloudEnv("default", **tiny(2, 12))
    summary = run_episode(env, resolve_policy("rap")(env), 0)
    for key in ("return", "mean_latency_s", "p95_latency_s", "mean_accuracy", "deadline_miss_rate", "drop_rate",
                "drops", "cloud_util", "decision_us", "mean_reward"):
        assert key in summary, key
    assert summary["mean_reward"] == pytest.approx(summary["return"] / 12)
    assert summary["decision_us"] > 0 and 0 <= summary["cloud_util"]
    latencies = completed_latencies(env)
    assert latencies.size and (latencies >= 0).all()
    assert np.mean(latencies) == pytest.approx(summary["mean_latency_s"])


def test_same_seed_gives_the_same_episode(tiny):
    env = MultiUserEndCloudEnv("default", **tiny())
    a, b = (run_episode(env, resolve_policy("rap")(env), 3) for _ in range(2))
    a.pop("decision_us"), b.pop("decision_us")
    assert a == b


def test_policy_options_are_parsed_as_yaml(tiny):
    env = MultiUserEndCloudEnv("default", **tiny())
    policy = resolve_policy("rap:b0_mbps=4, estimator=ewma,estimator_options={alpha: 0.25}")(env)
    assert policy.b0_mbps == 4.0 and (policy.estimate.name, policy.estimate.options) == ("ewma", {"alpha": 0.25})


def test_resolvers_are_pluggable(tiny):
    register_resolver(lambda spec: (lambda env: CutZero()) if spec == "test-fixed" else None)
    env = MultiUserEndCloudEnv("default", **tiny())
    assert run_episode(env, resolve_policy("test-fixed")(env), 0)["mean_accuracy"] == pytest.approx(70.0)


@pytest.mark.parametrize(("spec", "match"), [
    ("nope", "unknown policy 'nope'; allowed: rap"),
    ("rap:b0_mbps", "policy spec 'rap:b0_mbps': option 'b0_mbps' must look like key=value"),
    ("rap:b0_mbps=[4", "not valid YAML"),
    ("runs/x/best_model.zip", "no resolver for saved agents is registered"),
])
def test_bad_policy_specs_raise_policy_error(spec, match, monkeypatch):
    monkeypatch.setattr(runner, "_RESOLVERS", runner._RESOLVERS[-1:])  # the reference resolver only, whatever other tests registered
    with pytest.raises(PolicyError, match=match):
        resolve_policy(spec)


def test_policy_label_shortens_saved_agents():
    assert policy_label("jm-mpra:max_rounds=5") == "jm-mpra:max_rounds=5"
    assert policy_label("runs/final/hybrid-s0/best_model.zip") == "hybrid-s0/best_model"
