"""Your own traces in one command (issue 13): ``evaluate.py --traces DIR ...`` and ``rapgym-benchmark --traces DIR
...`` with their reading options, exit codes and bad input."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rapgym.cli import benchmark, evaluate
from rapgym.evaluation.suite_protocol import OWN_TRACES, Protocol
from rapgym.evaluation.suite_table import read_rows

pytestmark = pytest.mark.filterwarnings("ignore::rapgym.traces.sets.TraceFilesSkipped")  # asserted where it matters


def kbps_folder(folder: Path, kbps: float) -> Path:
    """A trace folder in kbit/s with a LICENSE beside the trace (skipped with a warning)."""
    folder.mkdir()
    (folder / "LICENSE").write_text("CC BY 4.0")
    (folder / "walk.csv").write_text(f"elapsed,tput\n0,{kbps}\n1,{kbps}\n")
    return folder


def mean_latency(out: Path) -> float:
    with (out / "comparison.csv").open() as f:
        return float(next(csv.DictReader(f))["mean_latency_s"])


def test_evaluate_plays_the_scenario_on_the_given_traces(tmp_path: Path) -> None:
    common = ["--scenario", "default", "--policies", "cloud-only", "--num-users", "1", "--episode-slots", "20",
              "--seeds", "0", "--split", "all", "--rate-col", "tput", "--unit", "kbps"]
    slow, fast = kbps_folder(tmp_path / "slow", 2_000), kbps_folder(tmp_path / "fast", 200_000)
    args = evaluate.parse_args([*common, "--traces", str(slow)])
    assert args.overrides["uplink"] == "traces" and args.overrides["trace_split"] == "all"
    assert args.overrides["uplink_params"] == {"rate_col": "tput", "unit": "kbps"}
    with pytest.warns(UserWarning, match="LICENSE"):
        assert evaluate.main([*common, "--traces", str(slow), "--out", str(tmp_path / "out_slow")]) == 0
        assert evaluate.main([*common, "--traces", str(fast), "--out", str(tmp_path / "out_fast")]) == 0
    # cloud-only uploads every input: on a 2 Mbit/s uplink it takes longer than on a 200 Mbit/s one
    assert mean_latency(tmp_path / "out_slow") > mean_latency(tmp_path / "out_fast")


@pytest.mark.parametrize(("extra", "message"), [
    (["--unit", "kbps"], "--unit needs --traces DIR"),
    (["--traces", "DIR", "--unit", "furlongs"], "argument --unit: invalid choice: 'furlongs'"),
    (["--traces", "DIR", "--format", "xls"], "argument --format: invalid choice: 'xls'"),
    (["--traces", "DIR", "--rate-col", "mbit"], "missing column 'mbit' (rate_col); columns found: ['elapsed', 'tput']"),
    (["--traces", "DIR", "--scale-to", "-1"], "scale_to must be in (0, 10000]"),
    (["--traces", "EMPTY"], "no trace files found (skipped non-trace files: ['LICENSE'])"),
])
def test_evaluate_bad_trace_options_exit_2_naming_them(tmp_path: Path, capsys, extra: list[str], message: str) -> None:
    folder = kbps_folder(tmp_path / "t", 1000)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "LICENSE").write_text("MIT")
    extra = [{"DIR": str(folder), "EMPTY": str(tmp_path / "empty")}.get(a, a) for a in extra]
    with pytest.raises(SystemExit) as exc:
        evaluate.parse_args(["--policies", "rap", *extra])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err.replace("\n", "")


def test_benchmark_plays_every_preset_on_the_own_traces_and_refuses_other_traces_on_resume(tmp_path: Path, capsys) -> None:
    folder = kbps_folder(tmp_path / "t", 5000)
    argv = ["--traces", str(folder), "--unit", "kbps", "--split", "all", "--presets", "default", "stable-wifi",
            "--users", "1", "--episodes", "1", "--episode-slots", "10", "--policies", "device-only", "cloud-only",
            "--workers", "1", "--no-progress", "--no-plots", "--out", str(tmp_path / "run"),
            "--report", str(tmp_path / "rep" / "RESULTS.md")]
    with pytest.warns(UserWarning, match="LICENSE"):
        assert benchmark.main(argv) == 0
    rows = read_rows(tmp_path / "rep" / "results" / "results.csv")
    assert sorted((r["scenario"], r["policy"]) for r in rows) == [
        (f"{p}@{OWN_TRACES}", policy) for p in ("default", "stable-wifi") for policy in ("cloud-only", "device-only")]
    assert all(r["status"] == "ok" for r in rows)
    assert f"on your own traces `{folder}` (split all; unit=kbps)" in (tmp_path / "rep" / "RESULTS.md").read_text()
    capsys.readouterr()
    assert benchmark.main([*argv[:2], "--unit", "Mbps", *argv[4:]]) == 2  # same run folder, other reading options
    assert "own_traces" in capsys.readouterr().err


def test_benchmark_trace_input_errors(tmp_path: Path, capsys) -> None:
    (tmp_path / "README.md").write_text("nothing here")
    assert benchmark.main(["--traces", str(tmp_path), "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    assert "no trace files found" in capsys.readouterr().err.replace("\n", "")
    with pytest.raises(SystemExit) as exc:
        benchmark.parse_args(["--traces", str(tmp_path), "--leaderboard", str(tmp_path / "lb")])
    assert exc.value.code == 2


def test_a_protocol_without_own_traces_stores_the_settings_it_stored_before() -> None:
    # a run folder made before --traces existed resumes: its settings have no 'own_traces' key
    assert "own_traces" not in Protocol(presets=("default",)).settings()
