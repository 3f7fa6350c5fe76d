"""Multi-agent PPO from Ray RLlib: every user is an agent, all users share one policy.

    python examples/rllib_multiagent.py --iterations 10 --num-users 4 --env-runners 1

The env is rapgym's PettingZoo view (:mod:`rapgym.envs.multi_user_end_cloud_v0`: user ``i`` observes its own
bandwidth history, queues, profile table and cut mask plus the cloud load, and picks its own cut, bits and
raw compute share) wrapped by RLlib's ``ParallelPettingZooEnv``
(:func:`rapgym.integrations.rllib.register_multi_user_env`). Each agent's Dict observation is flattened and
normalised by RLlib's connectors (``FlattenObservations``, ``MeanStdFilter``); the Dict action becomes one
categorical per discrete field and a Gaussian per share, clipped to ``[0, 1]``. Agents get the env's shared
reward, or their own tasks' cost with ``--per-user-reward``. Runs in the RLlib venv (see
``examples/rllib_ppo.py``); the defaults (10 iterations,
10,000 agent steps, 4 agents) took 3 min 53 s wall time on a 2-core x86_64 CPU shared with other jobs (load
average ~6), seed 0.
"""

from __future__ import annotations

import argparse
from typing import Any

import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.env_to_module import FlattenObservations, MeanStdFilter
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

from rapgym.integrations.rllib import METRICS_KEY, EpisodeSummaryCallback, env_config, register_multi_user_env

SHARED_POLICY = "user"
"""The one policy every agent acts with."""


def build_config(args: argparse.Namespace) -> PPOConfig:
    """The PPO config: the multi-user env, every agent mapped to one shared policy, the summary callback."""
    fields = {"num_users": args.num_users, "episode_slots": args.episode_slots, "per_user_reward": args.per_user_reward}
    return (PPOConfig()
            .environment(register_multi_user_env(), env_config=env_config(args.scenario, **fields), clip_actions=True)
            .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=1,
                         env_to_module_connector=lambda env, spaces=None, device=None: [
                             FlattenObservations(multi_agent=True), MeanStdFilter(multi_agent=True)])
            .multi_agent(policies={SHARED_POLICY}, policy_mapping_fn=lambda agent_id, episode, **kwargs: SHARED_POLICY)
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
    parser.add_argument("--per-user-reward", action="store_true", help="each agent's reward is its own tasks' cost")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--env-runners", type=int, default=1, help="remote env runners (0: sample in the driver)")
    parser.add_argument("--batch-size", type=int, default=1000, help="agent steps per training iteration")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=128, help="units of each of the two hidden layers")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, print one line per iteration, return the last iteration's ``env_runners`` results."""
    args = parse_args(argv)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        algo = build_config(args).build_algo()
        for iteration in range(args.iterations):
            runners = algo.train()["env_runners"]
            summary = runners.get(METRICS_KEY, {})
            print(f"iteration {iteration + 1}: return (sum over agents) {runners.get('episode_return_mean', float('nan')):.2f}, "
                  f"mean latency {summary.get('mean_latency_s', float('nan')):.3f} s, "
                  f"miss rate {summary.get('deadline_miss_rate', float('nan')):.3f}")
        algo.stop()
    finally:
        ray.shutdown()
    return runners


if __name__ == "__main__":
    main()
