"""Raw env steps/s at N = 1, 8, 64, 256 against CartPole-v1's raw step, measured in the same run.

Usage: python benchmarks/bench_env.py [--seconds 2] [--scenario default] [--users 1 8 64 256] [--write FILE]

Random valid actions are sampled before timing and cycled; resets at truncation are included in the time
for both envs. Both envs are used unwrapped (no passive checker, no order enforcing). Prints a Markdown
table; ``--write FILE`` replaces the script's marked section of ``FILE``.
"""

from __future__ import annotations

import argparse
import platform
import time

import gymnasium as gym
import numpy as np
from marked_section import add_write_argument, publish

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
    add_write_argument(parser, "bench_env")
    args = parser.parse_args()
    if args.seconds <= 0 or any(n < 1 for n in args.users):
        parser.error("--seconds must be > 0 and every --users entry >= 1")

    cartpole = gym.make("CartPole-v1").unwrapped
    cartpole.action_space.seed(0)
    ref = steps_per_second(cartpole, [cartpole.action_space.sample() for _ in range(256)], args.seconds)
    lines = [f"Command: `python benchmarks/bench_env.py --seconds {args.seconds:g} --scenario {args.scenario}` on "
             f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
             f"rapgym {rapgym.__version__}; CartPole-v1 raw step: {ref:,.0f} steps/s in the same run.", "",
             "| N | steps/s | user-steps/s | x CartPole-v1 |", "|---|---|---|---|"]
    for n in args.users:
        env = rapgym.MultiUserEndCloudEnv(args.scenario, num_users=n, episode_slots=1000)
        env.action_space.seed(0)
        actions = [env.action_space.sample() for _ in range(256)]
        sps = steps_per_second(env, actions, args.seconds)
        lines.append(f"| {n} | {sps:,.0f} | {sps * n:,.0f} | {sps / ref:.2f} |")
    text = "\n".join(lines) + "\n"
    publish(text, "bench_env", args.write)


if __name__ == "__main__":
    main()
