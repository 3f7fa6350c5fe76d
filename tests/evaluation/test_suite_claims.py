"""Ranking, Pareto front and the paper-claims figures on hand-made result rows."""

from __future__ import annotations

import math

import pytest

from rapgym.evaluation.suite_claims import claim_rows, claims_discussion, network_class
from rapgym.evaluation.suite_plots import pareto_front
from rapgym.evaluation.suite_table import COLUMNS, fmt_ci, ranks, read_rows, write_rows


def _row(scenario, n, policy, reward, latency, accuracy, cv, drops_latency=None):
    row = {key: "" for key in COLUMNS}
    row.update(scenario=scenario, preset=scenario, traces="generator", num_users=n, policy=policy, first_seed=0,
               episodes=10, episode_slots=100, status="ok", reason="", reward_per_slot=reward, reward_per_slot_ci95=0.1,
               latency_s=latency, latency_s_ci95=0.01, accuracy_pct=accuracy, accuracy_pct_ci95=0.0, uplink_cv=cv,
               latency_with_drops_s=latency if drops_latency is None else drops_latency, latency_with_drops_s_ci95=0.0)
    return row


ROWS = [
    _row("wifi", 8, "rap", -1.0, 0.10, 69.0, 0.05), _row("wifi", 8, "neurosurgeon", -2.0, 0.30, 70.0, 0.05),
    _row("lte", 8, "rap", -3.0, 0.20, 68.0, 0.6), _row("lte", 8, "neurosurgeon", -4.0, 1.00, 70.0, 0.6, 1.5),
    _row("lte", 1, "rap", -5.0, 0.40, 68.5, 0.6), _row("lte", 1, "neurosurgeon", -4.5, 0.50, 69.5, 0.6),
]


def test_ranks_by_reward_per_slot():
    assert ranks(ROWS) == {("wifi", 8): {"rap": 1, "neurosurgeon": 2}, ("lte", 8): {"rap": 1, "neurosurgeon": 2},
                           ("lte", 1): {"rap": 2, "neurosurgeon": 1}}


def test_claims_by_hand():
    assert network_class(ROWS[0]) == "stable" and network_class(ROWS[2]) == "unstable"
    by_key = {(c.network, c.ours, c.baseline): c for c in claim_rows(ROWS)}
    assert set(by_key) == {("stable", "rap", "neurosurgeon"), ("unstable", "rap", "neurosurgeon")}
    stable, unstable = by_key["stable", "rap", "neurosurgeon"], by_key["unstable", "rap", "neurosurgeon"]
    assert stable.max_ratio == pytest.approx(3.0) and stable.max_ratio_at == ("wifi", 8)
    assert unstable.max_ratio == pytest.approx(5.0) and unstable.max_ratio_at == ("lte", 8)  # 1.0 / 0.2 beats 0.5 / 0.4
    assert unstable.max_ratio_drops == pytest.approx(7.5)
    assert unstable.accuracy_diff_pp == pytest.approx((-2.0, -1.5, -1.0))
    assert (unstable.variants, unstable.reward_wins) == (2, 1)


def test_pareto_front():
    points = {"a": (0.1, 60.0), "b": (0.2, 70.0), "c": (0.3, 65.0), "d": (0.2, 69.0), "e": (math.nan, 80.0)}
    assert pareto_front(points) == ["a", "b"]


def test_csv_round_trip_and_dash_for_nan(tmp_path):
    rows = [dict(ROWS[0], latency_s=float("nan"))]
    write_rows(rows, tmp_path / "r.csv")
    back = read_rows(tmp_path / "r.csv")
    assert back[0]["num_users"] == 8 and back[0]["reward_per_slot"] == -1.0
    assert fmt_ci(back[0], "latency_s") == "—"
    assert fmt_ci(back[0], "reward_per_slot") == "-1.000 ± 0.100"


def test_discussion_quotes_the_computed_figures():
    text = "\n".join(claims_discussion(ROWS))
    assert "**unstable, rap**: the largest latency ratio is 5.00x (vs neurosurgeon, lte N=8; paper: up to 5.06x)" in text
    assert "the largest accuracy gain over any baseline in one variant is -1.00 pp" in text
    assert "it has the higher reward in 0 of 0 variants" in text  # no accuracy-budget rows here
