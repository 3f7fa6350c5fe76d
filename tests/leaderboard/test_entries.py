"""The leaderboard's validator: every entry's results CSV is reproduced by rerunning a few of its cells.

For each entry folder under ``leaderboard/`` the test reruns its first generator cell at its smallest N and,
when the entry has real-trace cells, its first real-test cell at its smallest N, and checks every metric
(all but wall-clock timings) against the CSV.
"""

from __future__ import annotations

import math

import pytest

from rapgym.evaluation.suite import IMPORT_PATH_PLUGIN
from rapgym.evaluation.suite_cell import run_cell
from rapgym.evaluation.suite_leaderboard import cell_of_row, read_entries
from rapgym.evaluation.suite_protocol import GENERATOR, REAL_TEST, SUITE_POLICIES
from rapgym.evaluation.suite_table import COLUMNS, TIMING_COLUMNS, result_rows
from tests.helpers import REPO, shared_data_dir

ENTRIES = read_entries(REPO / "leaderboard")
CHECKED = [c for c in COLUMNS[COLUMNS.index("reward_per_slot"):] if c not in TIMING_COLUMNS]
SAVED_AGENTS = "rapgym.learning.saved_agents:register_saved_agents"


def _picked(rows):
    """The entry's first generator row and first real-test row, each at the smallest N."""
    picked = []
    for traces in (GENERATOR, REAL_TEST):
        rows_t = [r for r in rows if r["traces"] == traces and r["status"] == "ok"]
        if rows_t:
            picked.append(min(rows_t, key=lambda r: r["num_users"]))
    return picked


def test_every_reference_policy_has_an_entry():
    assert set(SUITE_POLICIES) <= set(ENTRIES)
    for name in ENTRIES:
        assert (REPO / "leaderboard" / name / "command.txt").read_text().startswith("rapgym-benchmark ")


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_entry_reproduces(name, monkeypatch):
    monkeypatch.chdir(REPO)  # saved agents are named relative to the repository root
    monkeypatch.syspath_prepend(str(REPO / "leaderboard" / name))  # an entry's own policy modules
    rows = _picked(ENTRIES[name])
    assert rows, f"entry {name} has no finished cell"
    plugins = [IMPORT_PATH_PLUGIN]
    if any(r["policy"].endswith(".zip") for r in rows):
        pytest.importorskip("stable_baselines3", reason="saved agents need the train extra")
        plugins.append(SAVED_AGENTS)
    for row in rows:
        if row["traces"] == REAL_TEST:
            shared_data_dir("traces")
        fresh = result_rows([run_cell(cell_of_row(row), plugins)])[0]
        assert fresh["status"] == "ok", fresh["reason"]
        for column in CHECKED:
            want, got = row[column], fresh[column]
            if isinstance(want, float) and math.isnan(want):
                assert math.isnan(got), (name, row["scenario"], column)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (name, row["scenario"], row["num_users"], column)
