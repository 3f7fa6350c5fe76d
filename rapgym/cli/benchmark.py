"""Benchmark every reference policy (and your own) on every scenario: ``rapgym-benchmark``.

    rapgym-benchmark --report benchmarks/RESULTS.md                 # the full protocol (about 18 min on 2 cores)
    rapgym-benchmark --quick --report /tmp/quick/RESULTS.md         # the smoke version (under a minute)
    rapgym-benchmark --policy mypkg.mymodule:MyPolicy --report mine/RESULTS.md
    rapgym-benchmark --agents leaderboard/hybrid-warmstart/s0/best_model.zip --report ...
    rapgym-benchmark --traces my_traces/ --unit kbps --split all --presets default --report mine/RESULTS.md

The protocol (``rapgym.evaluation.suite_protocol``): every preset on its generator and on its real-trace test
split where the shared data is present, N in {1, 4, 8, 16}, every reference policy, fixed test seeds. The run
folder (``--out``) keeps one file per finished cell, so an interrupted run resumes where it stopped (with the
same settings; other settings are refused). Cells run in ``--workers`` local processes, or on Ray with
``--ray-address`` (the ``ray`` extra); the numbers are the same either way. ``--traces DIR`` plays every preset
on your own trace files instead of its generator and real-trace split (:mod:`rapgym.cli.trace_args`: format,
columns, unit, ``--scale-to``, ``--split``, default ``test``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from rich.console import Console

from rapgym.cli.trace_args import add_trace_arguments, trace_overrides
from rapgym.configs.scenario import available_scenarios
from rapgym.errors import RapgymError
from rapgym.evaluation.suite import run_suite
from rapgym.evaluation.suite_exec import local_engine, ray_engine
from rapgym.evaluation.suite_leaderboard import leaderboard_table, read_entries, replace_table, write_entries
from rapgym.evaluation.suite_protocol import SUITE_POLICIES, Protocol
from rapgym.evaluation.suite_report import ReportContext, write_report
from rapgym.evaluation.suite_table import result_rows

__all__ = ["QUICK", "main", "parse_args", "protocol_from_args"]

SAVED_AGENTS_PLUGIN = "rapgym.learning.saved_agents:register_saved_agents"
QUICK = {"users": (1, 8), "episodes": 2, "episode_slots": 50}
"""``--quick``: a smoke version of the protocol (every preset and real split, N = 1 and 8, 2 episodes of 50 slots)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (checked by argparse; the protocol itself is checked by :func:`protocol_from_args`)."""
    parser = argparse.ArgumentParser(prog="rapgym-benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=None, metavar="PRESET",
                        help=f"presets (default: all of {', '.join(available_scenarios())})")
    parser.add_argument("--users", nargs="+", type=int, default=None, metavar="N", help="values of N (default 1 4 8 16)")
    parser.add_argument("--policies", nargs="*", default=None, metavar="SPEC",
                        help=f"reference policy specs (default: {' '.join(SUITE_POLICIES)}; none: --policies alone)")
    parser.add_argument("--policy", nargs="+", default=[], metavar="MODULE:NAME", dest="extra",
                        help="your own policies by import path, played beside the reference ones")
    parser.add_argument("--agents", nargs="+", default=[], metavar="ZIP",
                        help="saved agents (train.py run folders); each plays only on its training preset and N")
    parser.add_argument("--episodes", type=int, default=None, help="episodes (test seeds) per cell (default 12)")
    parser.add_argument("--episode-slots", type=int, default=None, help="slots per episode (default 200)")
    parser.add_argument("--no-real-traces", action="store_true", help="skip the real-trace test splits")
    parser.add_argument("--quick", action="store_true", help="smoke version: " + ", ".join(f"{k}={v}" for k, v in QUICK.items()))
    parser.add_argument("--out", type=Path, default=Path("runs/benchmark"), help="run folder (resumable)")
    parser.add_argument("--report", type=Path, default=None, metavar="MD",
                        help="write the report here and results/ (CSV, figures) beside it")
    parser.add_argument("--no-plots", action="store_true", help="report without figures")
    parser.add_argument("--leaderboard", type=Path, default=None, metavar="DIR",
                        help="also write one entry folder per policy (results.csv, command.txt) under DIR and refresh "
                             "the ranking table of DIR/README.md")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (1: in this process)")
    parser.add_argument("--ray-address", default=None, metavar="ADDR",
                        help="run the cells on Ray (an address, or 'local' to start one here)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_trace_arguments(parser, default_split="test")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    overrides = trace_overrides(parser, args)
    args.own_traces = {k: overrides[k] for k in ("trace_dir", "trace_split", "uplink_params")} if overrides else {}
    if args.own_traces and args.leaderboard is not None:
        parser.error("--leaderboard ranks the fixed protocol; it does not take --traces")
    return args


def _agent_targets(agents: list[str]) -> dict[str, tuple[str, int]]:
    """Saved agent -> (preset, N) it was trained on, from its run folder's ``config.yml`` (imports learning)."""
    from rapgym.configs.scenario import load_scenario
    from rapgym.learning.run_folder import read_run_config

    targets = {}
    for spec in agents:
        try:
            config = read_run_config(spec)
        except FileNotFoundError as exc:
            raise RapgymError(f"--agents {spec!r}: {exc}") from None
        scenario = load_scenario(config["scenario"], **config.get("hyperparams", {}).get("env_kwargs", {}))
        targets[spec] = (config["scenario"], scenario.num_users)
    return targets


def protocol_from_args(args: argparse.Namespace) -> Protocol:
    """The protocol the arguments ask for (``--quick`` first, then explicit options)."""
    base = dict(QUICK) if args.quick else {}
    for key, value in (("presets", args.presets), ("users", args.users), ("episodes", args.episodes),
                       ("episode_slots", args.episode_slots)):
        if value is not None:
            base[key] = tuple(value) if isinstance(value, list) else value
    policies = tuple(args.policies if args.policies is not None else SUITE_POLICIES) + tuple(args.extra)
    agents = _agent_targets(args.agents) if args.agents else {}
    return Protocol(policies=policies, agents=agents, real_traces=not args.no_real_traces,
                    plugins=(SAVED_AGENTS_PLUGIN,) if agents else (), own_traces=args.own_traces, **base)


def _command(argv: list[str] | None) -> str:
    """The command line as typed (``rapgym-benchmark`` and the arguments)."""
    return "rapgym-benchmark " + shlex.join(argv if argv is not None else sys.argv[1:])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every cell finished, 1 when some failed, 2 on bad input."""
    args = parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)  # messages whole, never wrapped mid-line
    try:
        protocol = protocol_from_args(args)
        engine = ray_engine(args.ray_address) if args.ray_address else local_engine(args.workers)
        run = run_suite(protocol, args.out, engine, progress=not args.no_progress)
    except (RapgymError, ImportError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    for agent, (preset, n) in protocol.agents.items():
        if preset not in protocol.presets or n not in protocol.users:
            console.print(f"note: agent {agent} was trained on {preset} with N={n}, which this protocol does not play")
    missing = protocol.missing_real_sets()
    if missing:
        console.print(f"real-trace cells skipped (shared data absent): {', '.join(missing)}")
    console.print(f"{len(run.results)} cells ({run.computed} computed now) in {run.wall_s:.1f} s; {len(run.failed)} failed")
    for result in run.failed:
        console.print(f"  failed: {result['cell']['scenario']} N={result['cell']['num_users']} "
                      f"{result['cell']['policy']}: {result['reason']}")
    if args.report is not None:
        ctx = ReportContext(_command(argv), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), run.total_wall_s,
                            protocol.settings(), missing)
        write_report(run.results, args.report, ctx, plots=not args.no_plots)
        console.print(f"wrote {args.report} and {args.report.parent / 'results'}/")
    if args.leaderboard is not None:
        written = write_entries(result_rows(run.results), args.leaderboard, _command(argv))
        replace_table(args.leaderboard / "README.md", leaderboard_table(read_entries(args.leaderboard)))
        console.print(f"wrote {len(written)} leaderboard entries under {args.leaderboard}/")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
