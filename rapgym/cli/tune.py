"""``rapgym-tune`` / ``python -m rapgym.cli.tune``: the command line of :func:`rapgym.learning.tune.run_search`.

Bad arguments (unknown algo, scenario or search-space key, ``--trials`` < 1, an invalid override, a missing
``tune`` extra) exit with status 2 and one message naming the argument and the allowed values.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import yaml

from rapgym.cli.arg_types import positive_int, training_seed
from rapgym.configs.hyperparams import ALGOS
from rapgym.configs.overrides import parse_overrides
from rapgym.configs.scenario import available_scenarios
from rapgym.errors import HyperparamsError, MissingDependencyError, ScenarioError
from rapgym.learning.tune import best_entry_yaml, run_search, write_best
from rapgym.learning.tune_space import search_space

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``rapgym-tune`` command line."""
    parser = argparse.ArgumentParser(
        prog="rapgym-tune",
        description="Search PPO/SAC/hybrid hyperparameters and the network size with Ray Tune (random samples, ASHA "
                    "early stopping on the held-out reward per slot); prints the best configuration as YAML.",
        epilog="example: rapgym-tune --algo ppo --scenario default --trials 8 --timesteps 20000 --num-cpus 2")
    parser.add_argument("--algo", required=True, choices=ALGOS, help="the agent whose hyperparameters are searched")
    parser.add_argument("--scenario", default="default", choices=available_scenarios(), help="scenario preset")
    parser.add_argument("--trials", type=positive_int, default=8, help="configurations sampled (default 8)")
    parser.add_argument("--timesteps", type=positive_int, required=True, help="environment steps per trial at most")
    parser.add_argument("--grace-steps", type=positive_int, default=None,
                        help="environment steps before ASHA may stop a trial (default: half of --timesteps)")
    parser.add_argument("--seed", type=training_seed, default=0, help="training seed of every trial and seed of the sampling (default 0)")
    parser.add_argument("--space", nargs="+", default=None, metavar="KEY",
                        help="search only these keys (default: the algorithm's whole space in rapgym/learning/tune_space.py)")
    parser.add_argument("--hyperparams", nargs="+", default=[], metavar="KEY=VALUE",
                        help="hyperparameters held fixed in every trial, e.g. eval_freq=2000 n_envs=8")
    parser.add_argument("--num-cpus", type=positive_int, default=None,
                        help="CPUs of the local Ray instance, one trial each at a time (default: all)")
    parser.add_argument("--address", default=None, help="join this Ray cluster (e.g. auto or HOST:6379) instead of a local one")
    parser.add_argument("--out", default="runs/tune", help="parent folder of the experiment folder (default runs/tune)")
    parser.add_argument("--yaml", type=Path, default=None, metavar="PATH",
                        help="hyperparameter file the trials start from and --write updates (default: the packaged <algo>.yml)")
    parser.add_argument("--write", action="store_true",
                        help="write the best configuration into the scenario's entry of the YAML, with this command as a comment")
    parser.add_argument("--quiet", action="store_true", help="hide Tune's status table")
    return parser


def _yaml_path(args: argparse.Namespace) -> Path:
    if args.yaml is not None:
        return args.yaml
    return Path(str(resources.files("rapgym.configs") / "hyperparams" / f"{args.algo}.yml"))


def _read_entries(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise HyperparamsError(f"--yaml {path}: cannot read it as YAML ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise HyperparamsError(f"--yaml {path}: must map entry names (default, scenarios) to dicts of keys")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rapgym-tune``; returns the exit status (argparse exits 2 on bad arguments)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    path = _yaml_path(args)
    try:
        space = search_space(args.algo, args.space)
        fixed = parse_overrides(args.hyperparams, HyperparamsError, "hyperparameter override")
        entries = _read_entries(path)
        result = run_search(args.algo, args.scenario, space, trials=args.trials, timesteps=args.timesteps, seed=args.seed,
                            fixed=fixed, entries=entries, num_cpus=args.num_cpus or os.cpu_count(),
                            address=args.address, out=args.out, verbose=0 if args.quiet else 1,
                            grace_steps=args.grace_steps)
    except (HyperparamsError, ScenarioError, MissingDependencyError) as exc:
        parser.error(str(exc))
    jm = result.jm_mpra_reward_per_slot
    for trial in sorted(result.trials, key=lambda t: -t.reward_per_slot):
        start = " (the YAML's configuration)" if trial.starting else ""
        print(f"reward per slot {trial.reward_per_slot:8.3f} at {trial.timesteps:>7} steps ({trial.reports} reports): "
              f"{trial.config}{start}")
    best = result.best
    finished = sum(t.timesteps == best.timesteps for t in result.trials)
    print(f"# best of the {finished} trials that trained {best.timesteps} steps ({len(result.trials)} in all): held-out "
          f"reward per slot {best.reward_per_slot:.3f} (JM-MPRA {jm:.3f}); experiment folder {result.experiment_path}")
    print(best_entry_yaml(args.scenario, best.config), end="")
    if args.write:
        write_best(path, args.scenario, result, shlex.join(["rapgym-tune", *argv]))
        print(f"wrote the entry {args.scenario!r} of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
