"""Evaluate reference policies on a scenario over seeds: one table (rich), optionally CSV + markdown.

    python evaluate.py --scenario default --policies rap jm-mpra neurosurgeon --seeds 0 1 2 --episode-slots 200 --out results/

Policy specs take options as ``name:key=value,...`` (e.g. ``rap:b0_mbps=4,estimator="ewma"``).

Comparison mode (any of ``--agents``, ``--scenarios``, ``--plots``): saved agents and reference policies over
scenarios x seeds, each metric as mean ± 95 % CI, with CSV, markdown and plots (latency CDF per policy,
per-user cut/bits against bandwidth for one episode) under ``--out``:

    python evaluate.py --agents runs/x/best_model.zip --policies jm-mpra rap neurosurgeon \
        --scenarios default unstable-lte --seeds 0 1 2 3 4 --plots --out results/
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rapgym.configs.scenario import available_scenarios, load_scenario
from rapgym.errors import ScenarioError
from rapgym.evaluation.runner import (
    COLUMNS,
    ci_rich_table,
    compare,
    evaluate,
    resolve_policy,
    table_cells,
    write_csv,
    write_markdown,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default", choices=available_scenarios())
    parser.add_argument("--policies", nargs="+", default=[], metavar="SPEC",
                        help="policy specs: a reference policy name, optionally name:key=value,...")
    parser.add_argument("--agents", nargs="+", default=[], metavar="ZIP",
                        help="saved agents (e.g. runs/x/best_model.zip) to compare with the policies")
    parser.add_argument("--scenarios", nargs="+", default=None, choices=available_scenarios(),
                        help="several scenarios (comparison mode; replaces --scenario)")
    parser.add_argument("--plots", action="store_true", help="comparison mode with plots (needs --out)")
    parser.add_argument("--plot-policy", default=None, metavar="SPEC",
                        help="policy or agent whose decisions are plotted (default: the first agent, else policy)")
    parser.add_argument("--plot-seed", type=int, default=None, help="episode seed of the decision plot (default: first seed)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="one episode per seed")
    parser.add_argument("--episode-slots", "--episodes-slots", dest="episode_slots", type=int, default=None,
                        help="slots per episode (default: the scenario's)")
    parser.add_argument("--num-users", type=int, default=None, help="override the scenario's number of users")
    parser.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", dest="overrides",
                        help="scenario overrides, values as JSON (e.g. bits=[32,8] drop_penalty=30)")
    parser.add_argument("--out", type=Path, default=None, help="output directory: results.csv and results.md (comparison mode: "
                             "comparison.csv/.md, episodes.csv and plots)")
    args = parser.parse_args(argv)
    if not args.policies and not args.agents:
        parser.error("the following arguments are required: --policies (or --agents)")
    if args.plots and args.out is None:
        parser.error("--plots needs --out DIR")
    if any(s < 0 for s in args.seeds):
        parser.error(f"--seeds must be >= 0, got {args.seeds}")
    if args.episode_slots is not None and args.episode_slots < 1:
        parser.error(f"--episode-slots must be >= 1, got {args.episode_slots}")
    if args.num_users is not None and args.num_users < 1:
        parser.error(f"--num-users must be >= 1, got {args.num_users}")
    overrides = {}
    for item in args.overrides:
        field, eq, value = item.partition("=")
        if not eq:
            parser.error(f"--set {item!r} must be FIELD=VALUE")
        try:
            overrides[field] = json.loads(value)
        except json.JSONDecodeError:
            overrides[field] = value
    if args.num_users is not None:
        overrides["num_users"] = args.num_users
    try:
        load_scenario(args.scenario, **overrides)
    except ScenarioError as exc:
        parser.error(str(exc))
    args.overrides = overrides
    for spec in args.agents:
        if not spec.endswith(".zip"):
            parser.error(f"--agents takes saved agents ending in .zip, got {spec!r}")
    for spec in args.agents + args.policies:
        try:
            resolve_policy(spec)
        except ValueError as exc:
            parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=200)  # a pipe or file gets the whole table
    if args.agents or args.scenarios or args.plots:
        return _compare(args, console, dict(args.overrides))
    try:
        rows = evaluate(args.scenario, args.policies, args.seeds, args.episode_slots,
                        progress=lambda msg: console.log(msg), **args.overrides)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    title = f"{args.scenario}: seeds {args.seeds}, " + (f"{args.episode_slots} slots" if args.episode_slots else "scenario slots")
    if args.overrides:
        title += ", " + ", ".join(f"{k}={v}" for k, v in args.overrides.items())
    table = Table(title=title)
    for _, header, _ in COLUMNS:
        table.add_column(header, justify="left" if header == "policy" else "right")
    for cells in table_cells(rows):
        table.add_row(*cells)
    console.print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_csv(rows, args.out / "results.csv")
        write_markdown(rows, args.out / "results.md", title)
        console.print(f"wrote {args.out / 'results.csv'} and {args.out / 'results.md'}")
    return 0


def _compare(args: argparse.Namespace, console: Any, overrides: dict[str, Any]) -> int:
    """Comparison mode: agents and policies over scenarios x seeds, mean ± 95 % CI, files and plots."""
    if args.episode_slots is not None:
        overrides["episode_slots"] = args.episode_slots
    specs = list(args.agents) + list(args.policies)
    try:
        rows = compare(args.scenarios or [args.scenario], specs, args.seeds, args.out,
                       plot_spec=args.plot_policy, plot_seed=args.plot_seed,
                       progress=lambda msg: console.log(msg), **overrides)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    console.print(ci_rich_table(rows, f"seeds {args.seeds}: mean ± 95 % CI over episodes"))
    if args.out is not None:
        console.print(f"wrote comparison.csv, comparison.md, episodes.csv and plots to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
