"""The episode summary's compiled arithmetic is NumPy's, bit for bit: ``mean`` (pairwise summation) and
``percentile(95)``; the vector env's batched summaries equal a NumPy recount of each copy's tasks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rapgym.envs.step_info import _mean, percentile_95
from rapgym.envs.vector import MultiUserEndCloudVectorEnv

_FLOATS = st.one_of(st.floats(0.0, 1e6), st.floats(-1e300, 1e300), st.integers(0, 4).map(float))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_FLOATS, min_size=1, max_size=700), scale=st.sampled_from([1.0, 1e-9, 3.7e5]))
def test_mean_and_percentile_are_numpys(values, scale):
    """Short and long arrays (the pairwise split above 128 values), duplicates, wide magnitudes."""
    array = np.array(values) * scale
    assert _mean(array) == array.mean()
    assert percentile_95(array) == np.percentile(array, 95)


def test_mean_of_long_arrays_is_numpys():
    rng = np.random.default_rng(0)
    for n in (129, 1000, 8191, 8193, 65_537):
        values = rng.exponential(0.3, n) * 10.0 ** rng.integers(-3, 4, n)
        assert _mean(values) == values.mean(), n


def test_batched_summaries_equal_a_numpy_recount():
    """60 slots of 8 users (240 tasks a copy, some dropped on the unstable links) under random actions."""
    vec = MultiUserEndCloudVectorEnv(3, scenario="unstable-lte", num_users=8, episode_slots=60)
    vec.reset(seed=2)
    vec.action_space.seed(0)
    returns = np.zeros(3)
    for _ in range(60):
        _, rewards, _, truncated, infos = vec.step(vec.action_space.sample())
        returns += rewards
    assert truncated.all()
    summary = infos["rapgym_episode"]
    for m in range(3):
        sim = vec.batch.simulator(m)
        user, latency, acc_loss = sim.dispatched_tasks()
        done = latency >= 0
        lat = latency[done]
        expected = {"tasks": len(latency), "mean_latency_s": lat.mean(), "p95_latency_s": np.percentile(lat, 95),
                    "mean_accuracy": (sim.base_accuracy[user[done]] - acc_loss[done]).mean(),
                    "deadline_miss_rate": np.sum(lat > sim.deadline[user[done]]) / len(latency),
                    "drop_rate": np.sum(~done) / len(latency), "return": returns[m], "slots": 60}
        assert {key: summary[key][m] for key in expected} == expected
        assert all(summary[f"_{key}"][m] for key in expected)
    assert summary["drop_rate"].any() and summary["tasks"].dtype == np.int64
