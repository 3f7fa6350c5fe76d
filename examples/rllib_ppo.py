"""PPO from Ray RLlib on rapgym's learner-ready id (normalised flat Box observation, MultiDiscrete action).

    python examples/rllib_ppo.py --iterations 10 --num-users 4 --env-runners 1

Runs in its own venv, since Ray pins gymnasium (1.2.2 with Ray 2.60):
``python3 -m venv .venv-rllib && .venv-rllib/bin/pip install torch==2.13.0 -e ".[rllib]"``. The env id carries
the ``rapgym:`` prefix so that remote env runners import rapgym (the bare id fails there with
``NamespaceNotFound``); the env's episode summary reaches RLlib's results through
:class:`rapgym.integrations.rllib.EpisodeSummaryCallback` (``result["env_runners"]["rapgym"]``).
The defaults (10 iterations, 10,000 env steps, 4 users) took 3 min 16 s wall time on a 2-core x86_64 CPU
shared with other jobs (load average ~6), seed 0.
"""

from __future__ import annotations

import argparse
from typing import Any

import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

from rapgym.envs import FLAT_ENV_ID
from rapgym.integrations.rllib import METRICS_KEY, EpisodeSummaryCallback, env_config, runner_env_id


def build_config(args: argparse.Namespace) -> PPOConfig:
    """The PPO config: one env per runner, an MLP, the summary callback."""
    fields = {"num_users": args.num_users, "episode_slots": args.episode_slots}
    return (PPOConfig()
            .environment(runner_env_id(FLAT_ENV_ID), env_config=env_config(args.scenario, **fields))
            .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=1)
            .training(train_batch_size_per_learner=args.batch_size, minibatch_size=min(128, args.batch_size),
                      num_epochs=args.epochs, lr=3e-4, gamma=0.9, lambda_=0.9)
            .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[args.hidden, args.hidden]))
            .callbacks(EpisodeSummaryCallback)
            .debugging(seed=args.seed))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--num-users", type=int, default=4)
    parser.add_argument("--episode-slots", type=int, default=200)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--env-runners", type=int, default=1, help="remote env runners (0: sample in the driver)")
    parser.add_argument("--batch-size", type=int, default=1000, help="env steps per training iteration")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=128, help="units of each of the two hidden layers")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, print one line per iteration, return the last iteration's ``env_runners`` results."""
    args = parse_args(argv)
    config = build_config(args)  # validates the scenario fields before Ray starts
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        algo = config.build_algo()
        for iteration in range(args.iterations):
            runners = algo.train()["env_runners"]
            summary = runners.get(METRICS_KEY, {})
            print(f"iteration {iteration + 1}: return {runners.get('episode_return_mean', float('nan')):.2f}, "
                  f"mean latency {summary.get('mean_latency_s', float('nan')):.3f} s, "
                  f"miss rate {summary.get('deadline_miss_rate', float('nan')):.3f}")
        algo.stop()
    finally:
        ray.shutdown()
    return runners


if __name__ == "__main__":
    main()
