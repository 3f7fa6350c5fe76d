"""``rapgym.evaluation.runner`` and the ``evaluate.py`` CLI (issue 5)."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from rapgym.cli import evaluate as cli
from rapgym.evaluation.runner import evaluate, markdown_table, register_resolver, resolve_policy, write_csv
from rapgym.profiles.profile import DNNProfile
from tests.helpers import REPO as ROOT


def toy_profiles(n: int) -> list[DNNProfile]:
    acc = np.zeros((4, 5))
    acc[1:3, 1:] = [[0.1, 0.5, 2.0, 8.0], [0.05, 0.2, 1.0, 4.0]]
    prof = DNNProfile(name="toy", cut_names=("in", "b1", "b2", "out"), device_s=[0.0, 0.02, 0.06, 0.12],
                      cloud_s=[0.03, 0.02, 0.01, 0.0], tx_bytes=[150_000, 200_000, 40_000, 4_000], acc_loss=acc,
                      base_accuracy=70.0)
    return [prof] * n


def test_evaluate_runs_policies_over_seeds_and_writes_tables(tmp_path):
    rows = evaluate("default", ["rap", "jm-mpra:max_rounds=5", "device-only"], [0, 1], episode_slots=15,
                    num_users=3, profiles=toy_profiles(3))
    assert [r.policy for r in rows] == ["rap", "jm-mpra:max_rounds=5", "device-only"]
    for row in rows:
        assert row.episodes == 2 and row.mean_latency_s > 0 and row.decision_us > 0
        assert 0 <= row.deadline_miss_pct <= 100 and 0 <= row.drop_pct <= 100
    device = rows[2]
    assert device.cloud_util == 0.0 and device.mean_accuracy == pytest.approx(70.0)
    write_csv(rows, tmp_path / "r.csv")
    assert len(list(csv.DictReader(open(tmp_path / "r.csv")))) == 3
    assert markdown_table(rows).count("\n") == 5


def test_same_seeds_give_the_same_metrics():
    a = evaluate("default", ["rap"], [3], episode_slots=10, num_users=2, profiles=toy_profiles(2))[0]
    b = evaluate("default", ["rap"], [3], episode_slots=10, num_users=2, profiles=toy_profiles(2))[0]
    assert (a.mean_latency_s, a.mean_reward) == (b.mean_latency_s, b.mean_reward)


def test_resolvers_are_pluggable():
    class Fixed:
        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            n = obs["queue"].shape[0]
            return {"split": np.zeros(n, dtype=np.int64), "bits": np.zeros(n, dtype=np.int64),
                    "compute_share": np.ones(n, dtype=np.float32)}, state

    register_resolver(lambda spec: (lambda env: Fixed()) if spec == "test-fixed" else None)
    row = evaluate("default", ["test-fixed"], [0], episode_slots=5, num_users=2, profiles=toy_profiles(2))[0]
    assert row.mean_accuracy == pytest.approx(70.0)


@pytest.mark.parametrize(("spec", "match"), [("nope", "unknown policy 'nope'; allowed: rap"),
                                             ("rap:b0_mbps", "must be key=value")])
def test_bad_policy_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        resolve_policy(spec)


@pytest.mark.parametrize(("argv", "message"), [
    (["--policies", "rapp"], "unknown policy 'rapp'"),
    (["--policies", "rap", "--scenario", "moon"], "invalid choice: 'moon'"),
    (["--policies", "rap", "--seeds", "-1"], "--seeds must be >= 0"),
    (["--policies", "rap", "--episode-slots", "0"], "--episode-slots must be >= 1"),
    ([], "the following arguments are required: --policies"),
    (["--policies", "rap", "--set", "num_users=0"], "num_users"),
    (["--policies", "rap", "--set", "warp_drive=1"], "unknown field 'warp_drive'"),
    (["--policies", "rap", "--set", "bits"], "must be FIELD=VALUE"),
])
def test_cli_bad_arguments_exit_nonzero_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_process_exits_nonzero_on_an_unknown_policy():
    proc = subprocess.run([sys.executable, str(ROOT / "evaluate.py"), "--policies", "rapp"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "unknown policy 'rapp'" in proc.stderr
