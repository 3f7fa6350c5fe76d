"""``rapgym.evaluation.comparison``: policies x scenarios x seeds, the table and the files."""

from __future__ import annotations

import csv

import pytest

from rapgym.errors import PolicyError
from rapgym.evaluation.comparison import compare, comparison_title


def test_compare_runs_policies_over_seeds(tiny):
    rows = compare(["default"], ["rap", "jm-mpra:max_rounds=5", "device-only"], [0, 1], **tiny(3, 15))
    assert [r.policy for r in rows] == ["rap", "jm-mpra:max_rounds=5", "device-only"]
    for row in rows:
        assert row.scenario == "default" and row.episodes == 2
        assert row.mean["mean_latency_s"] > 0 and row.mean["decision_us"] > 0
        assert 0 <= row.mean["deadline_miss_pct"] <= 100 and 0 <= row.mean["drop_pct"] <= 100
    device = rows[2]
    assert device.mean["cloud_util"] == 0.0 and device.mean["mean_accuracy"] == pytest.approx(70.0)


def test_same_seeds_give_the_same_metrics(tiny):
    a, b = (compare(["default"], ["rap"], [3], **tiny())[0] for _ in range(2))
    assert (a.mean["mean_latency_s"], a.mean["mean_reward"]) == (b.mean["mean_latency_s"], b.mean["mean_reward"])


def test_scenarios_are_the_outer_loop_and_files_are_written(tiny, tmp_path):
    rows = compare(["default", "unstable-lte"], ["rap", "device-only"], [0, 1], out=tmp_path, plots=False, **tiny())
    assert [(r.scenario, r.policy) for r in rows] == [("default", "rap"), ("default", "device-only"),
                                                      ("unstable-lte", "rap"), ("unstable-lte", "device-only")]
    assert len(list(csv.DictReader(open(tmp_path / "comparison.csv")))) == 4
    episodes = list(csv.DictReader(open(tmp_path / "episodes.csv")))
    assert len(episodes) == 8 and {e["seed"] for e in episodes} == {"0", "1"}
    table = (tmp_path / "comparison.md").read_text()
    title, _, body = table.partition("\n\n")
    assert title.startswith("## seeds 0, 1, 10 slots, num_users=2") and body.count("±") == 4 * 9
    assert not list(tmp_path.glob("*.png"))


def test_plots_are_written_with_plots(tiny, tmp_path):
    pytest.importorskip("matplotlib")
    compare(["default"], ["rap", "device-only"], [0, 1], out=tmp_path, plot_spec="device-only", plot_seed=1, **tiny())
    assert (tmp_path / "latency_cdf_default.png").stat().st_size > 0
    assert (tmp_path / "decisions_default.png").stat().st_size > 0


def test_unknown_spec_fails_before_any_episode(tiny, tmp_path):
    with pytest.raises(PolicyError, match="unknown policy 'rapp'"):
        compare(["default"], ["rap", "rapp"], [0], out=tmp_path, **tiny())
    assert not list(tmp_path.iterdir())


def test_comparison_title_names_seeds_slots_and_overrides():
    assert comparison_title(range(10), {}) == "seeds 0..9, scenario slots: mean ± 95 % CI over episodes"
    assert comparison_title([1, 2], {"bits": [32, 8], "episode_slots": 50}) == \
        "seeds 1, 2, 50 slots, bits=[32, 8]: mean ± 95 % CI over episodes"
