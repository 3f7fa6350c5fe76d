"""The leaderboard (``leaderboard/``): one folder per entry with its results CSV and the command that made it,
and the ranking tables of ``leaderboard/README.md``.

An entry's ``results.csv`` holds the rows (:mod:`rapgym.evaluation.suite_table`) of its cells under the
protocol of ``leaderboard/README.md``; ``command.txt`` the exact ``rapgym-benchmark`` command. Entries that
played the whole protocol are ranked by their mean rank (:func:`leaderboard_table`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.errors import BenchmarkError
from rapgym.evaluation.runner import policy_label
from rapgym.evaluation.suite_protocol import GENERATOR, REAL_TEST, Cell, real_trace_glob
from rapgym.evaluation.suite_table import ranks, read_rows, write_rows

__all__ = ["TABLE_BEGIN", "TABLE_END", "cell_of_row", "entry_name", "leaderboard_table", "read_entries", "replace_table",
           "write_entries"]

TABLE_BEGIN, TABLE_END = "<!-- leaderboard:begin -->", "<!-- leaderboard:end -->"
"""Markers of the generated table in ``leaderboard/README.md``."""


def entry_name(policy: str, folder: Path) -> str:
    """Folder name of a policy's entry under the leaderboard ``folder``: for a saved agent stored inside
    ``folder``, the entry folder holding it (so the seeds of one agent share an entry); for a saved agent
    elsewhere, its run folder's name; else the spec, made file-name safe."""
    if policy.endswith(".zip"):
        path = Path(policy).resolve()
        if path.is_relative_to(folder.resolve()):
            return path.relative_to(folder.resolve()).parts[0]
        policy = path.parent.name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", policy)


def write_entries(rows: Sequence[Mapping[str, Any]], folder: Path, command: str) -> list[Path]:
    """One entry folder per policy of ``rows`` under ``folder`` (``results.csv`` and ``command.txt``; the
    folder name from :func:`entry_name`)."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(entry_name(row["policy"], folder), []).append(row)
    written = []
    for name, entry_rows in grouped.items():
        path = folder / name
        path.mkdir(parents=True, exist_ok=True)
        write_rows(entry_rows, path / "results.csv")
        (path / "command.txt").write_text(command + "\n")
        written.append(path)
    return written


def read_entries(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Entry folder name -> its rows, for every ``folder/*/results.csv``, sorted by name."""
    return {p.parent.name: read_rows(p) for p in sorted(folder.glob("*/results.csv"))}


def cell_of_row(row: Mapping[str, Any]) -> Cell:
    """The cell a result row was played from (its real traces looked up on this machine)."""
    if row["traces"] not in (GENERATOR, REAL_TEST):
        raise BenchmarkError(f"row of {row['policy']!r}: traces {row['traces']!r}; allowed: {GENERATOR}, {REAL_TEST}")
    seeds = tuple(range(int(row["first_seed"]), int(row["first_seed"]) + int(row["episodes"])))
    pattern = real_trace_glob(row["preset"]) if row["traces"] == REAL_TEST else None
    return Cell(row["preset"], row["traces"], int(row["num_users"]), row["policy"], seeds, int(row["episode_slots"]),
                pattern)


def leaderboard_table(entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Markdown ranking of the entries. Entries that played every variant of the largest entry are ranked by
    their mean rank (reward per slot, ranked among all entries' policies in each variant), with the variants
    they won and their mean reward per slot over the generator variants at N = 8; entries on part of the
    protocol (e.g. a trained agent that fits one preset and N) follow in their own table with their rank in
    each variant they played."""
    rows = [row for entry_rows in entries.values() for row in entry_rows]
    by_variant = ranks(rows)
    owner = {row["policy"]: name for name, entry_rows in entries.items() for row in entry_rows}
    played = {name: {(r["scenario"], int(r["num_users"])) for r in entry_rows if r["status"] == "ok"}
              for name, entry_rows in entries.items()}
    full = max((len(v) for v in played.values()), default=0)
    ranked, partial = [], []
    for name in entries:
        got = [(variant, policy, rank) for variant, by_policy in by_variant.items() for policy, rank in by_policy.items()
               if owner[policy] == name]
        n8 = [float(r["reward_per_slot"]) for r in entries[name]
              if r["status"] == "ok" and r["traces"] == GENERATOR and int(r["num_users"]) == 8]
        mean_n8 = float(np.mean(n8)) if n8 else float("nan")
        if len(played[name]) == full:
            ranks_only = [rank for _, _, rank in got]
            ranked.append((float(np.mean(ranks_only)), name, len(played[name]), sum(g == 1 for g in ranks_only), mean_n8))
        else:
            places = ", ".join(f"{policy_label(policy)} {rank} of {len(by_variant[variant])} on {variant[0]} N={variant[1]}"
                               for variant, policy, rank in got)
            partial.append((name, len(played[name]), places, mean_n8))
    lines = [f"Entries on the whole protocol ({full} variants):", "",
             "| # | entry | mean rank | rank 1 in | mean reward/slot, generators at N = 8 |", "|---|---|---|---|---|"]
    for i, (mean_rank, name, _, wins, n8) in enumerate(sorted(ranked), start=1):
        lines.append(f"| {i} | [{name}]({name}/) | {mean_rank:.2f} | {wins} | {n8:.3f} |")
    if partial:
        lines += ["", "Entries on part of the protocol (not ranked with the others):", "",
                  "| entry | variants | rank there (among every policy that played it) | mean reward/slot, generators at N = 8 |",
                  "|---|---|---|---|"]
        lines += [f"| [{name}]({name}/) | {count} | {places} | {n8:.3f} |" for name, count, places, n8 in sorted(partial)]
    return "\n".join(lines) + "\n"


def replace_table(readme: Path, table: str) -> None:
    """Put ``table`` between :data:`TABLE_BEGIN` and :data:`TABLE_END` of ``readme`` (appended when absent)."""
    text = readme.read_text() if readme.exists() else ""
    block = f"{TABLE_BEGIN}\n{table.rstrip()}\n{TABLE_END}"
    if TABLE_BEGIN in text and TABLE_END in text:
        head, _, rest = text.partition(TABLE_BEGIN)
        text = head + block + rest.partition(TABLE_END)[2]
    else:
        text = text + ("\n" if text else "") + block + "\n"
    readme.write_text(text)
