"""Leaderboard entries and ranking tables on hand-made rows."""

from __future__ import annotations

from rapgym.evaluation.suite_leaderboard import (
    cell_of_row,
    entry_name,
    leaderboard_table,
    read_entries,
    replace_table,
    write_entries,
)
from rapgym.evaluation.suite_report import display_label
from tests.evaluation.test_suite_claims import _row

ROWS = [_row("a", 8, "rap", -1.0, 0.1, 69.0, 0.5), _row("a", 8, "iao", -2.0, 0.1, 69.0, 0.5),
        _row("b", 8, "rap", -3.0, 0.1, 69.0, 0.5), _row("b", 8, "iao", -2.5, 0.1, 69.0, 0.5),
        _row("a", 8, "board/agent/s0/best_model.zip", -0.5, 0.1, 69.0, 0.5)]


def test_entries_round_trip_and_the_agent_joins_its_folder(tmp_path):
    board = tmp_path / "board"
    rows = [dict(r, policy=str(tmp_path / r["policy"])) if r["policy"].endswith(".zip") else r for r in ROWS]
    written = write_entries(rows, board, "rapgym-benchmark --x")
    assert sorted(p.name for p in written) == ["agent", "iao", "rap"]
    entries = read_entries(board)
    assert len(entries["rap"]) == 2 and (board / "rap" / "command.txt").read_text() == "rapgym-benchmark --x\n"
    assert entry_name("mypkg.mod:My Policy", board) == "mypkg.mod_My_Policy"


def test_partial_entries_are_listed_apart():
    entries = {"rap": ROWS[0:1] + ROWS[2:3], "iao": ROWS[1:2] + ROWS[3:4], "agent": ROWS[4:5]}
    table = leaderboard_table(entries)
    whole, partial = table.split("Entries on part of the protocol")
    # variant a: agent 1, rap 2, iao 3; variant b: iao 1, rap 2 -> both mean rank 2, iao won once (ties by name)
    assert "| 1 | [iao](iao/) | 2.00 | 1 | -2.250 |" in whole
    assert "| 2 | [rap](rap/) | 2.00 | 0 | -2.000 |" in whole
    assert "agent" not in whole and "s0/best_model 1 of 3 on a N=8" in partial


def test_replace_table_keeps_the_rest(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("head\n<!-- leaderboard:begin -->\nold\n<!-- leaderboard:end -->\ntail\n")
    replace_table(readme, "new table\n")
    assert readme.read_text() == "head\n<!-- leaderboard:begin -->\nnew table\n<!-- leaderboard:end -->\ntail\n"


def test_cell_of_row_and_labels():
    cell = cell_of_row(dict(ROWS[0], preset="default", first_seed=7, episodes=3))
    assert cell.seeds == (7, 8, 9) and cell.traces == "generator" and cell.num_users == 8
    assert display_label("leaderboard/hybrid-warmstart/s0/best_model.zip") == "hybrid-warmstart/s0"
    assert display_label("rap") == "rap"
