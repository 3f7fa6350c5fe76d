"""``rapgym-benchmark`` (``python -m rapgym.cli.benchmark``): a tiny ``--quick`` run, its report, bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rapgym.cli import benchmark as cli
from rapgym.evaluation.suite_table import read_rows
from tests.helpers import REPO


def test_quick_run_writes_report_csv_and_figures(tmp_path):
    report = tmp_path / "RESULTS.md"
    argv = ["--quick", "--presets", "default", "stable-wifi", "--users", "1", "--episodes", "1", "--episode-slots", "20",
            "--policies", "rap", "jm-mpra", "neurosurgeon", "cloud-only", "--no-real-traces",
            "--policy", "tests.evaluation.suite_user_policies:AllDeviceOnly",
            "--out", str(tmp_path / "run"), "--report", str(report), "--no-progress"]
    done = subprocess.run([sys.executable, "-m", "rapgym.cli.benchmark", *argv], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = read_rows(tmp_path / "results" / "results.csv")
    assert len(rows) == 2 * 5 and all(r["status"] == "ok" for r in rows)
    assert {r["policy"] for r in rows} >= {"rap", "tests.evaluation.suite_user_policies:AllDeviceOnly"}
    text = report.read_text()
    for section in ("## Summary", "## The paper's claims, side by side", "5.06x", "+1.52 %", "## Ranking per scenario",
                    "rapgym-benchmark --quick"):
        assert section in text
    for png in ("latency_cdf.png", "pareto.png", "rank_heatmap.png"):
        assert (tmp_path / "results" / png).stat().st_size > 1000
    again = subprocess.run([sys.executable, "-m", "rapgym.cli.benchmark", *argv], cwd=REPO, capture_output=True,
                           text=True, timeout=120)
    assert "(0 computed now)" in again.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["--presets", "moon"], "unknown preset(s) ['moon']"),
    (["--policies", "rapp"], "unknown policy 'rapp'"),
    (["--policy", "nopkg.nomod:Policy"], "cannot import module 'nopkg.nomod'"),
    (["--agents", "no/such/best_model.zip"], "--agents 'no/such/best_model.zip'"),
])
def test_bad_input_exits_2_naming_it(argv, message, tmp_path, capsys):
    assert cli.main([*argv, "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    assert message in capsys.readouterr().err.replace("\n", "")


def test_bad_workers_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["--workers", "0"])
    assert "--workers must be >= 1" in capsys.readouterr().err


def test_resume_with_other_settings_exits_2(tmp_path, capsys):
    base = ["--presets", "default", "--users", "1", "--policies", "cloud-only", "--episodes", "1", "--no-real-traces",
            "--out", str(tmp_path), "--no-progress", "--workers", "1"]
    assert cli.main([*base, "--episode-slots", "5"]) == 0
    assert cli.main([*base, "--episode-slots", "6"]) == 2
    assert "episode_slots: stored 5, now 6" in capsys.readouterr().err.replace("\n", "")


def test_an_agent_outside_the_protocol_is_named(tmp_path, capsys):
    pytest.importorskip("stable_baselines3", reason="saved agents need the train extra")
    agent = str(REPO / "leaderboard" / "hybrid-warmstart" / "s0" / "best_model.zip")
    argv = ["--presets", "default", "--users", "1", "--policies", "cloud-only", "--episodes", "1", "--episode-slots",
            "5", "--no-real-traces", "--agents", agent, "--out", str(tmp_path), "--no-progress", "--workers", "1"]
    assert cli.main(argv) == 0
    assert "trained on default with N=8, which this protocol does not play" in capsys.readouterr().err.replace("\n", "")
