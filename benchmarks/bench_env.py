"""Raw env steps/s at N = 1, 8, 64, 256 against CartPole-v1's raw step, measured in the same run.

Usage: python benchmarks/bench_env.py [--seconds 2] [--scenario default] [--users 1 8 64 256]

Random valid actions are sampled before timing and cycled; resets at truncation are included in the time
for both envs. Both envs are used unwrapped (no passive checker, no order enforcing).
"""

from __future__ import annotations

import argparse
import platform
import time

import gymnasium as gym
import numpy as np

import rapgym


def steps_per_second(env: gym.Env, actions: list, seconds: float) -> float:
    """Steps/s of ``env.step`` over about ``seconds`` s, cycling ``actions`` and resetting at episode end."""
    env.reset(seed=0)
    env.step(actions[0])  # warm-up (numba dispatch, caches)
    steps, i = 0, 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(256):
            _, _, terminated, truncated, _ = env.step(actions[i % len(actions)])
            i += 1
            if terminated or truncated:
                env.reset()
        steps += 256
        now = time.perf_counter()
        if now >= deadline:
            return steps / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="timing window per measurement, s")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 64, 256])
    args = parser.parse_args()
    if args.seconds <= 0 or any(n < 1 for n in args.users):
        parser.error("--seconds must be > 0 and every --users entry >= 1")

    cartpole = gym.make("CartPole-v1").unwrapped
    cartpole.action_space.seed(0)
    ref = steps_per_second(cartpole, [cartpole.action_space.sample() for _ in range(256)], args.seconds)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"numpy {np.__version__}, rapgym {rapgym.__version__}")
    print(f"CartPole-v1 raw step: {ref:,.0f} steps/s\n")
    print(f"{'N':>5} {'steps/s':>12} {'user-steps/s':>14} {'x CartPole':>11}")
    for n in args.users:
        env = rapgym.MultiUserEndCloudEnv(args.scenario, num_users=n, episode_slots=1000)
        env.action_space.seed(0)
        actions = [env.action_space.sample() for _ in range(256)]
        sps = steps_per_second(env, actions, args.seconds)
        print(f"{n:>5} {sps:>12,.0f} {sps * n:>14,.0f} {sps / ref:>11.2f}")


if __name__ == "__main__":
    main()
