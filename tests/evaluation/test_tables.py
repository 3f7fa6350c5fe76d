"""``rapgym.evaluation.tables``: the one results table (mean ± 95 % CI) and its renderers."""

from __future__ import annotations

import csv

import pytest
from rich.console import Console

from rapgym.evaluation.tables import METRICS, ci_markdown_table, ci_rich_table, confidence_interval, result_row, write_ci_csv


def summary(reward: float, miss_rate: float) -> dict[str, float]:
    """An episode summary as ``run_episode`` returns it (the keys the table reads)."""
    return {"tasks": 10, "mean_reward": reward, "mean_latency_s": 0.25, "p95_latency_s": 0.5, "mean_accuracy": 70.0,
            "deadline_miss_rate": miss_rate, "drop_rate": 0.0, "drops": 0, "cloud_util": 0.5, "decision_us": 10.0}


def test_confidence_interval_is_student_t():
    mean, half = confidence_interval([1.0, 2.0, 3.0])
    assert mean == pytest.approx(2.0) and half == pytest.approx(4.302653 * 1.0 / 3**0.5, rel=1e-6)
    assert confidence_interval([5.0]) == (5.0, 0.0)


def test_result_row_scales_rates_to_percent():
    row = result_row("default", "rap", [summary(-1.0, 0.1), summary(-3.0, 0.3)])
    assert row.episodes == 2 and row.mean["mean_reward"] == pytest.approx(-2.0)
    assert row.mean["deadline_miss_pct"] == pytest.approx(20.0) and row.half_width["drop_pct"] == 0.0
    assert set(row.mean) == {m.field for m in METRICS}


def test_renderers_have_every_metric(tmp_path):
    rows = [result_row("default", p, [summary(-1.0, 0.1), summary(-2.0, 0.2)]) for p in ("rap", "jm-mpra")]
    table = ci_markdown_table(rows, "seeds 0, 1")
    assert table.startswith("## seeds 0, 1\n\n| scenario | policy | episodes | reward/step |")
    assert table.count("\n") == 6 and "| default | jm-mpra | 2 | -1.500 ± 6.353 |" in table
    for m in METRICS:
        assert m.header in table
    write_ci_csv(rows, tmp_path / "t.csv")
    written = list(csv.DictReader(open(tmp_path / "t.csv")))
    assert len(written) == 2 and float(written[0]["deadline_miss_pct"]) == pytest.approx(15.0)
    assert {f"{m.field}_ci95" for m in METRICS} <= set(written[0])
    console = Console(width=300, record=True)
    console.print(ci_rich_table(rows, "title"))
    text = console.export_text()
    assert "decide (µs/step)" in text and "│ default  │ jm-mpra │ 2 │ -1.500 ± 6.353 │" in text
