"""Evaluate reference policies and saved agents over scenarios x seeds: one table (mean ± 95 % CI over episodes).

    python evaluate.py --scenario default --policies rap jm-mpra neurosurgeon --seeds 0 1 2 --episode-slots 200 --out results/
    python evaluate.py --agents runs/x/best_model.zip --policies jm-mpra rap neurosurgeon \
        --scenarios default unstable-lte --seeds 0 1 2 3 4 --plots --out results/
    python evaluate.py --scenario default --policies rap jm-mpra --traces my_traces/ --unit kbps --split all --seeds 0 1 2

Policy specs take options as ``name:key=value,...`` (values as YAML, e.g. ``rap:b0_mbps=4,estimator=ewma``).
``--out`` gets ``comparison.csv``, ``comparison.md`` and ``episodes.csv``; ``--plots`` adds the latency CDF per
policy and one episode's per-user cut/bits against bandwidth (needs matplotlib); ``--video run.mp4`` (or
``.gif``) writes the env's rendering of that episode (:mod:`rapgym.evaluation.video`, the ``video`` extra).
Saved agents (``--agents``) need the ``rapgym[train]`` extra; one saved without ``train.py``'s ``config.yml``
(e.g. by RL-Zoo) names its encoding, ``PATH.zip:ppo`` or ``--agent-encoding ppo``
(:mod:`rapgym.learning.saved_agents`). ``--traces DIR`` plays the scenarios on your own trace files (the
``traces`` uplink source, each link from a random start in a trace; :mod:`rapgym.cli.trace_args` for the reading
options and ``--split``, default ``test``). The work is done by :func:`rapgym.evaluation.comparison.compare`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from rapgym.cli.trace_args import add_trace_arguments, trace_overrides
from rapgym.configs.hyperparams import ALGOS
from rapgym.configs.overrides import parse_overrides
from rapgym.configs.scenario import available_scenarios, load_scenario
from rapgym.errors import RapgymError, ScenarioError
from rapgym.evaluation.comparison import compare, comparison_title
from rapgym.evaluation.runner import SAVED_AGENT_SUFFIX, resolve_policy
from rapgym.evaluation.tables import ci_rich_table
from rapgym.evaluation.video import VIDEO_SUFFIXES, record_episode, write_video


def _register_saved_agents() -> None:
    """Make ``.zip`` specs resolvable (imports rapgym.learning, hence SB3 and torch: only with ``--agents``)."""
    from rapgym.learning.saved_agents import register_saved_agents

    register_saved_agents()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, validated: ``overrides`` becomes the dict of scenario overrides (``--set``,
    ``--num-users``, ``--episode-slots``) and ``scenarios`` the list of scenarios to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default", choices=available_scenarios())
    parser.add_argument("--scenarios", nargs="+", default=None, choices=available_scenarios(),
                        help="several scenarios (replaces --scenario)")
    parser.add_argument("--policies", nargs="+", default=[], metavar="SPEC",
                        help="policy specs: a reference policy name, optionally name:key=value,...")
    parser.add_argument("--agents", nargs="+", default=[], metavar="ZIP",
                        help="saved agents (e.g. runs/x/best_model.zip) to compare with the policies; PATH.zip:ENCODING "
                             "for one saved without train.py's config.yml (e.g. by RL-Zoo)")
    parser.add_argument("--agent-encoding", default=None, choices=ALGOS,
                        help="encoding of every --agents PATH.zip given without one (agents trained outside train.py)")
    parser.add_argument("--plots", action="store_true", help="also write plots (needs --out and matplotlib)")
    parser.add_argument("--plot-policy", default=None, metavar="SPEC",
                        help="policy or agent whose decisions are plotted (default: the first agent, else policy)")
    parser.add_argument("--plot-seed", type=int, default=None, help="episode seed of the decision plot (default: first seed)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="one episode per seed")
    parser.add_argument("--episode-slots", type=int, default=None, help="slots per episode (default: the scenario's)")
    parser.add_argument("--num-users", type=int, default=None, help="override the scenario's number of users")
    parser.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", dest="overrides",
                        help="scenario overrides, values as YAML (e.g. bits=[32,8] drop_penalty=30)")
    parser.add_argument("--video", type=Path, default=None, metavar="PATH",
                        help="also write a video (.mp4 or .gif) of one episode of the --plot-policy on the first scenario "
                             "and the --plot-seed (needs the video extra)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory: comparison.csv, comparison.md, episodes.csv (and the plots)")
    add_trace_arguments(parser, default_split="test")
    args = parser.parse_args(argv)
    if not args.policies and not args.agents:
        parser.error("the following arguments are required: --policies (or --agents)")
    if args.plots and args.out is None:
        parser.error("--plots needs --out DIR")
    if args.video is not None and args.video.suffix.lower() not in VIDEO_SUFFIXES:
        parser.error(f"--video {str(args.video)!r}: the file type must be one of {', '.join(VIDEO_SUFFIXES)}")
    if any(s < 0 for s in args.seeds):
        parser.error(f"--seeds must be >= 0, got {args.seeds}")
    if args.episode_slots is not None and args.episode_slots < 1:
        parser.error(f"--episode-slots must be >= 1, got {args.episode_slots}")
    if args.num_users is not None and args.num_users < 1:
        parser.error(f"--num-users must be >= 1, got {args.num_users}")
    args.scenarios = args.scenarios or [args.scenario]
    try:
        overrides = parse_overrides(args.overrides, ScenarioError, what="--set")
        if args.num_users is not None:
            overrides["num_users"] = args.num_users
        if args.episode_slots is not None:
            overrides["episode_slots"] = args.episode_slots
        overrides.update(trace_overrides(parser, args))
        for scenario in args.scenarios:
            load_scenario(scenario, **overrides)
    except ScenarioError as exc:
        parser.error(str(exc))
    args.overrides = overrides
    for spec in args.agents:
        if SAVED_AGENT_SUFFIX not in spec:
            parser.error(f"--agents takes saved agents ending in {SAVED_AGENT_SUFFIX} (or PATH{SAVED_AGENT_SUFFIX}:ENCODING), "
                         f"got {spec!r}")
    if args.agent_encoding is not None:
        if not args.agents:
            parser.error("--agent-encoding needs --agents")
        args.agents = [f"{spec}:{args.agent_encoding}" if spec.endswith(SAVED_AGENT_SUFFIX) else spec for spec in args.agents]
        if args.plot_policy is not None and args.plot_policy.endswith(SAVED_AGENT_SUFFIX):
            args.plot_policy = f"{args.plot_policy}:{args.agent_encoding}"
    for spec in args.policies:
        if spec.endswith(SAVED_AGENT_SUFFIX):
            parser.error(f"--policies {spec!r} is a saved agent: pass it with --agents")
    if args.agents:
        _register_saved_agents()
    args.specs = list(args.agents) + list(args.policies)
    for spec in args.specs:
        try:
            resolve_policy(spec)
        except RapgymError as exc:
            parser.error(str(exc))
    if args.plot_policy is not None and args.plot_policy not in args.specs:
        parser.error(f"--plot-policy {args.plot_policy!r} must be one of the evaluated specs: {args.specs}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation, print the table; 0 on success, 2 on bad input."""
    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=200)  # a pipe or file gets the whole table
    try:
        rows = compare(args.scenarios, args.specs, args.seeds, args.out, plots=args.plots, plot_spec=args.plot_policy,
                       plot_seed=args.plot_seed, progress=lambda msg: console.log(msg), **args.overrides)
    except ValueError as exc:  # RapgymError, or an invalid policy option refused by the policy itself
        console.print(f"[red]error:[/red] {escape(str(exc))}")  # escaped: "rapgym[train]" is no markup
        return 2
    console.print(ci_rich_table(rows, comparison_title(args.seeds, args.overrides)))
    if args.out is not None:
        written = "comparison.csv, comparison.md, episodes.csv" + (" and plots" if args.plots else "")
        console.print(f"wrote {written} to {args.out}")
    if args.video is not None:
        spec = args.plot_policy or args.specs[0]
        seed = args.seeds[0] if args.plot_seed is None else args.plot_seed
        try:
            frames, fps = record_episode(args.scenarios[0], resolve_policy(spec), seed, **args.overrides)
            write_video(frames, args.video, fps)
        except ValueError as exc:  # RapgymError, MissingDependencyError included
            console.print(f"[red]error:[/red] {escape(str(exc))}")  # escaped: "rapgym[train]" is no markup
            return 2
        console.print(f"wrote {len(frames)} frames of {spec} on {args.scenarios[0]} (seed {seed}) to {args.video}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
