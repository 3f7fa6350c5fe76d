"""``rapgym.cli.evaluate`` (``evaluate.py``, ``rapgym-evaluate``): argument checks and a short run."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from rapgym.cli import evaluate as cli
from tests.helpers import REPO


@pytest.mark.parametrize(("argv", "message"), [
    (["--policies", "rapp"], "unknown policy 'rapp'"),
    (["--policies", "rap:b0_mbps"], "option 'b0_mbps' must look like key=value"),
    (["--policies", "runs/x/best_model.zip"], "is a saved agent: pass it with --agents"),
    (["--agents", "runs/x/best_model"], "--agents takes saved agents ending in .zip"),
    (["--policies", "rap", "--scenario", "moon"], "invalid choice: 'moon'"),
    (["--policies", "rap", "--seeds", "-1"], "--seeds must be >= 0"),
    (["--policies", "rap", "--episode-slots", "0"], "--episode-slots must be >= 1"),
    (["--policies", "rap", "--episodes-slots", "5"], "unrecognized arguments: --episodes-slots"),
    ([], "the following arguments are required: --policies"),
    (["--policies", "rap", "--plots"], "--plots needs --out DIR"),
    (["--policies", "rap", "--plot-policy", "jm-mpra"], "--plot-policy 'jm-mpra' must be one of the evaluated specs"),
    (["--policies", "rap", "--set", "num_users=0"], "num_users"),
    (["--policies", "rap", "--set", "warp_drive=1"], "unknown field 'warp_drive'"),
    (["--policies", "rap", "--set", "bits"], "--set 'bits' must look like key=value"),
    (["--policies", "rap", "--scenarios", "default", "moon"], "invalid choice: 'moon'"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_overrides_are_yaml_and_collected():
    args = cli.parse_args(["--policies", "rap", "--set", "bits=[32, 8]", "drop_penalty=30", "--num-users", "3",
                           "--episode-slots", "20"])
    assert args.overrides == {"bits": [32, 8], "drop_penalty": 30, "num_users": 3, "episode_slots": 20}
    assert args.scenarios == ["default"] and args.specs == ["rap"]


def test_main_prints_the_table_and_writes_the_files(tmp_path, capsys):
    rc = cli.main(["--policies", "rap", "device-only", "--seeds", "0", "1", "--num-users", "2", "--episode-slots", "10",
                   "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "seeds 0, 1, 10 slots, num_users=2: mean ± 95 % CI over episodes" in out and "device-only" in out
    assert [r["policy"] for r in csv.DictReader(open(tmp_path / "comparison.csv"))] == ["rap", "device-only"]
    assert (tmp_path / "comparison.md").is_file() and (tmp_path / "episodes.csv").is_file()
    assert not list(tmp_path.glob("*.png"))


def test_process_exits_2_on_an_unknown_policy():
    proc = subprocess.run([sys.executable, str(REPO / "evaluate.py"), "--policies", "rapp"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and "unknown policy 'rapp'" in proc.stderr
