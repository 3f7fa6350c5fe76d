"""Task-level benchmark metrics on hand-made episodes (``rapgym.evaluation.suite_metrics``)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from rapgym.evaluation.suite_metrics import aggregate, episode_record, ratio_ci


def _sim(task_user, latency, acc_loss, slots=10):
    """A stand-in simulator: two users with deadlines 0.5 s and 0.3 s, base accuracies 70 % and 60 %."""
    arrays = (np.array(task_user), np.array(latency, dtype=float), np.array(acc_loss, dtype=float))
    return SimpleNamespace(dispatched_tasks=lambda: arrays, deadline=np.array([0.5, 0.3]),
                           base_accuracy=np.array([70.0, 60.0]), slot=slots)


def test_episode_record_counts_and_sums_by_hand():
    # user 0: 0.2 s with 1 pp loss; user 1: 0.4 s (later than its 0.3 s deadline); user 0: dropped
    rec = episode_record(_sim([0, 1, 0], [0.2, 0.4, -1.0], [1.0, 0.0, 5.0]), max_backlog_s=2.0, reward_sum=-7.0,
                         decision_s=0.5)
    assert rec["tasks"] == 3 and rec["completed"] == 2 and rec["dropped"] == 1 and rec["missed"] == 1
    assert rec["latency_sum_s"] == pytest.approx(0.6)
    assert rec["latency_with_drops_sum_s"] == pytest.approx(2.6)  # the drop counted at max_backlog_s
    assert rec["accuracy_sum_pct"] == pytest.approx(69.0 + 60.0)  # the dropped task's loss is not counted
    assert rec["slots"] == 10 and rec["reward_sum"] == -7.0


def test_an_episode_without_completed_tasks_adds_no_zero_latency_or_accuracy():
    full = episode_record(_sim([0, 1, 0], [0.2, 0.4, -1.0], [1.0, 0.0, 5.0]), 2.0, -7.0, 0.0)
    empty = episode_record(_sim([0, 1], [-1.0, -1.0], [0.0, 0.0]), 2.0, -9.0, 0.0)
    cell = aggregate([full, empty], p95_latency_s=0.39)
    assert cell["latency_s"] == pytest.approx(0.3)  # not (0.3 + 0) / 2, the mean of episode means
    assert cell["accuracy_pct"] == pytest.approx(64.5)  # not (64.5 + 0) / 2
    assert cell["latency_with_drops_s"] == pytest.approx((2.6 + 4.0) / 5)  # three drops at 2 s over five tasks
    assert cell["drop_pct"] == pytest.approx(60.0) and cell["miss_pct"] == pytest.approx(20.0)
    assert cell["empty_episodes"] == 1 and cell["episodes"] == 2
    assert cell["reward_per_slot"] == pytest.approx(-0.8)
    assert (cell["tasks"], cell["completed"], cell["dropped"]) == (5, 2, 3)


def test_a_cell_without_any_completed_task_reports_nan_not_zero():
    empty = episode_record(_sim([0, 1], [-1.0, -1.0], [0.0, 0.0]), 2.0, -9.0, 0.0)
    cell = aggregate([empty, empty], p95_latency_s=float("nan"))
    assert math.isnan(cell["latency_s"]) and math.isnan(cell["accuracy_pct"])
    assert cell["latency_with_drops_s"] == pytest.approx(2.0) and cell["drop_pct"] == pytest.approx(100.0)
    assert cell["empty_episodes"] == 2


def test_dropping_more_cannot_look_faster_in_the_latency_with_drops():
    fast_dropper = episode_record(_sim([0, 0, 0, 0], [0.1, -1, -1, -1], [0, 0, 0, 0]), 2.0, 0.0, 0.0)
    slow_finisher = episode_record(_sim([0, 0, 0, 0], [0.6, 0.6, 0.6, 0.6], [0, 0, 0, 0]), 2.0, 0.0, 0.0)
    a, b = aggregate([fast_dropper], 0.1), aggregate([slow_finisher], 0.6)
    assert a["latency_s"] < b["latency_s"]  # completed tasks only: the dropper looks faster ...
    assert a["latency_with_drops_s"] > b["latency_with_drops_s"]  # ... counting drops, it is not


def test_ratio_ci_by_hand_and_equal_to_the_t_interval_when_denominators_are_equal():
    ratio, half = ratio_ci([1.0, 3.0], [1.0, 1.0])
    assert ratio == 2.0 and half == pytest.approx(stats.t.ppf(0.975, 1) * 1.0)  # var = 2/1 * (1 + 1) / 2^2 = 1
    y = np.array([0.3, 0.5, 0.4, 0.9])
    r2, h2 = ratio_ci(y * 7, np.full(4, 7.0))
    assert r2 == pytest.approx(y.mean())
    assert h2 == pytest.approx(stats.t.ppf(0.975, 3) * y.std(ddof=1) / 2)
    assert ratio_ci([5.0], [2.0]) == (2.5, 0.0)
    assert all(math.isnan(v) for v in ratio_ci([0.0, 0.0], [0.0, 0.0]))


def test_evaluate_table_pools_tasks_instead_of_averaging_empty_episodes_in():
    from rapgym.evaluation.tables import result_row

    base = {"mean_reward": -1.0, "p95_latency_s": 0.5, "deadline_miss_rate": 0.0, "drops": 0, "cloud_util": 0.5,
            "decision_us": 1.0}
    full = dict(base, tasks=4, drop_rate=0.25, mean_latency_s=0.3, mean_accuracy=69.76)  # 3 completed
    empty = dict(base, tasks=5, drop_rate=1.0, mean_latency_s=0.0, mean_accuracy=0.0)  # all dropped: reported 0
    row = result_row("x", "cloud-only", [full, empty])
    assert row.mean["mean_accuracy"] == pytest.approx(69.76)  # not (69.76 + 0) / 2 = 34.88
    assert row.mean["mean_latency_s"] == pytest.approx(0.3)
    assert row.mean["drop_pct"] == pytest.approx(100 * 6 / 9)  # six of nine tasks dropped
