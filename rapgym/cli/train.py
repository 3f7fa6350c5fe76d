"""``rapgym-train`` / ``train.py``: the command line of :func:`rapgym.learning.train.train` (argparse only)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rapgym.cli.arg_types import positive_int, training_seed
from rapgym.configs.hyperparams import ALGOS, load_hyperparams
from rapgym.configs.overrides import parse_overrides
from rapgym.configs.scenario import available_scenarios
from rapgym.errors import HyperparamsError, MissingDependencyError, PolicyError, ScenarioError
from rapgym.learning.models import require_train_extra
from rapgym.learning.run_folder import RunFolder
from rapgym.learning.train import compare_run, train

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``train.py`` / ``rapgym-train`` command line."""
    parser = argparse.ArgumentParser(
        prog="rapgym-train", description="Train an SB3 agent (PPO, SAC or the hybrid) on a rapgym scenario.",
        epilog="example: python train.py --algo hybrid --scenario default --timesteps 20000 --compare")
    parser.add_argument("--algo", required=True, choices=ALGOS,
                        help="ppo: flat MultiDiscrete; sac: Box; hybrid: PPO picks cut/bits, closed-form shares")
    parser.add_argument("--scenario", default="default", choices=available_scenarios(), help="scenario preset")
    parser.add_argument("--timesteps", type=positive_int, default=None,
                        help="environment steps in total (default: n_timesteps of the YAML)")
    parser.add_argument("--seed", type=training_seed, default=0, help="training seed (default 0)")
    parser.add_argument("--n-envs", type=positive_int, default=None, help="parallel envs (default: from the YAML)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="torch device")
    parser.add_argument("--hyperparams", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override YAML hyperparameters, e.g. learning_rate=1e-3 policy_kwargs.net_arch=[64,64]")
    parser.add_argument("--out", default="runs", help="parent folder of the run folder (default runs/)")
    parser.add_argument("--run-name", default=None, help="run folder name (default <algo>-<scenario>-s<seed>-<time>)")
    parser.add_argument("--trained-agent", default=None, metavar="PATH",
                        help="start from the weights of a model saved by an earlier run of the same algorithm and network "
                             "(e.g. runs/<run>/best_model.zip), e.g. to fine-tune it on another preset; the hybrid then "
                             "skips its warm start")
    parser.add_argument("--threads", type=positive_int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--no-progress-bar", action="store_true", help="hide the progress bar")
    parser.add_argument("--compare", action="store_true",
                        help="after training, compare the best model with RAP, JM-MPRA and the baselines "
                             "(table, CSV, markdown and plots in <run>/comparison)")
    parser.add_argument("--compare-episodes", type=positive_int, default=5, help="held-out episodes per policy for --compare")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``train.py`` and ``rapgym-train``; returns the exit status (argparse exits 2 on bad args)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        require_train_extra()
    except MissingDependencyError as exc:
        parser.error(str(exc))
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            parser.error("--device cuda: no CUDA device is available (use auto or cpu)")
    try:
        overrides = parse_overrides(args.hyperparams, HyperparamsError, "hyperparameter override")
        if args.n_envs is not None:
            overrides["n_envs"] = args.n_envs
        load_hyperparams(args.algo, args.scenario, overrides)
    except (HyperparamsError, ScenarioError) as exc:
        parser.error(str(exc))
    try:
        run_dir = train(args.algo, args.scenario, args.timesteps, args.seed, overrides=overrides, device=args.device,
                        out=args.out, threads=args.threads, progress_bar=not args.no_progress_bar, run_name=args.run_name,
                        argv=list(sys.argv if argv is None else argv), trained_agent=args.trained_agent)
    except PolicyError as exc:
        parser.error(f"--trained-agent: {exc}")
    run = RunFolder(run_dir)
    result = run.read_result()
    final = result["final_eval"]
    print(f"run folder: {run_dir}")
    print(f"held-out mean return: agent {final['mean_reward']:.1f} (best {result['best_mean_reward']:.1f}), "
          f"JM-MPRA {final['jm_mpra_mean_reward']:.1f} over {len(run.read_config()['eval_seeds'])} episodes; "
          f"wall {result['wall_s']:.0f} s")
    if args.compare:
        compare_run(run_dir, episodes=args.compare_episodes)
    return 0

