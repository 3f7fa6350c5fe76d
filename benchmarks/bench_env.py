"""Env speed against Gymnasium's CartPole measured in the same run: single env, reset, vector env, SB3 PPO, memory.

Usage: python benchmarks/bench_env.py [--seconds 2] [--rounds 3] [--scenario default] [--users 1 8 64 256]
       [--copies 1 8 64 256] [--ppo-steps 4096] [--rss-steps 100000] [--write FILE]

Sections 1, 3 and 4 alternate ours and the reference in ``--rounds`` rounds (of ``--seconds / --rounds`` each;
section 4 of ``--ppo-steps`` per side) and report the median of the per-round ratios with its range: a machine
whose speed drifts during the run (another job, frequency scaling) moves both sides of a round alike.

1. Single env with the scenario's own episode length (200 slots by default), resets included, against
   CartPole-v1's raw step (both unwrapped, random valid actions sampled before timing and cycled).
2. ``reset()`` (no seed) in steps' worth: mean reset time / mean step time (median over the rounds).
3. ``MultiUserEndCloudVectorEnv`` (``make_vec(..., vectorization_mode="vector_entry_point")``), N = 8,
   env-steps/s against Gymnasium's ``CartPoleVectorEnv`` with the same number of copies.
4. SB3 PPO with 8 copies, N = 8: training steps/s on ``NativeVecEnv`` against ``DummyVecEnv`` of the wrapped
   single envs (same hyperparameters, CPU, one torch thread).
5. RSS of the vector env (M = 256, N = 8) after ``--rss-steps`` vector steps against after 1,000.

Prints Markdown tables; ``--write FILE`` replaces the script's marked section of ``FILE``.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
from marked_section import add_write_argument, publish

import rapgym


def rate(step: Callable[[int], None], seconds: float) -> float:
    """Calls/s of ``step(i)`` over about ``seconds`` s (after one warm-up call)."""
    step(0)
    calls, start = 0, time.perf_counter()
    while True:
        for _ in range(64):
            step(calls)
            calls += 1
        now = time.perf_counter()
        if now - start >= seconds:
            return calls / (now - start)


def single_stepper(env: gym.Env, seconds: float) -> float:
    """Steps/s, resets included, of an unwrapped env under cycled random actions."""
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(256)]

    def step(i: int) -> None:
        _, _, terminated, truncated, _ = env.step(actions[i % 256])
        if terminated or truncated:
            env.reset()
    return rate(step, seconds)


def reset_rate(env: gym.Env, seconds: float) -> float:
    """``reset()`` calls/s (no seed) of an unwrapped env."""
    return rate(lambda i: env.reset(), seconds)


def ratio_cell(ratios: np.ndarray) -> str:
    """The median ratio and, over several rounds, its range: ``0.72 (0.65-0.78)``."""
    median = f"{np.median(ratios):.2f}"
    return median if ratios.size == 1 else f"{median} ({ratios.min():.2f}-{ratios.max():.2f})"


def vector_stepper(env: gym.vector.VectorEnv, seconds: float) -> float:
    """Env-steps/s (vector steps x copies) of a vector env under cycled random batched actions."""
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(16)]
    return rate(lambda i: env.step(actions[i % 16]), seconds) * env.num_envs


def ppo_rate(venv: object, steps: int) -> float:
    """Training steps/s of SB3 PPO (n_steps 256, one epoch) on ``venv``."""
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    model = PPO("MlpPolicy", venv, n_steps=256, batch_size=256, n_epochs=1, seed=0, device="cpu")
    model.learn(2048)  # warm-up
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start)


def rss_mib() -> float:
    """Current resident set size, MiB (Linux ``/proc``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="timing per measurement, s (split over the rounds)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of ours and the reference per measurement")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 64, 256])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 8, 64, 256])
    parser.add_argument("--ppo-steps", type=int, default=4096, help="PPO training steps timed per vector env (0: skip)")
    parser.add_argument("--rss-steps", type=int, default=100_000, help="vector steps of the memory check (0: skip)")
    add_write_argument(parser, "bench_env")
    args = parser.parse_args()
    if args.seconds <= 0 or args.rounds < 1 or min(args.users + args.copies) < 1 or args.ppo_steps < 0 or args.rss_steps < 0:
        parser.error("--seconds must be > 0, --rounds and every --users/--copies entry >= 1, --ppo-steps/--rss-steps >= 0")
    window = args.seconds / args.rounds

    cartpole = gym.make("CartPole-v1").unwrapped
    lines = [f"Command: `python benchmarks/bench_env.py --seconds {args.seconds:g} --rounds {args.rounds} --scenario "
             f"{args.scenario} --ppo-steps {args.ppo_steps} --rss-steps {args.rss_steps}` on {platform.machine()}, Python "
             f"{platform.python_version()}, numpy {np.__version__}, gymnasium {gym.__version__}, rapgym "
             f"{rapgym.__version__}. Ratios: median over {args.rounds} rounds (range), each round timing ours and then "
             "the reference.", "",
             "Single env, the scenario's episodes (resets included), against CartPole-v1's raw step:", "",
             "| N | steps/s | user-steps/s | CartPole-v1 steps/s | x CartPole-v1 | reset, steps' worth |",
             "|---|---|---|---|---|---|"]
    for n in args.users:
        env = rapgym.MultiUserEndCloudEnv(args.scenario, num_users=n)
        # each round times ours, then the reference: (steps/s, resets/s, CartPole steps/s)
        rounds = np.array([(single_stepper(env, window), reset_rate(env, window / 2), single_stepper(cartpole, window))
                           for _ in range(args.rounds)])
        sps, resets, ref = rounds.T
        lines.append(f"| {n} | {np.median(sps):,.0f} | {np.median(sps) * n:,.0f} | {np.median(ref):,.0f} | "
                     f"{ratio_cell(sps / ref)} | {np.median(sps / resets):.1f} |")

    lines += ["", "Vector env (`vector_entry_point`), N = 8, against Gymnasium's `CartPoleVectorEnv` with as many copies:",
              "", "| copies | env-steps/s | user-steps/s | CartPoleVectorEnv env-steps/s | ratio |", "|---|---|---|---|---|"]
    for m in args.copies:
        vec = gym.make_vec(rapgym.ENV_ID, num_envs=m, vectorization_mode="vector_entry_point", scenario=args.scenario,
                           num_users=8)
        cartpoles = CartPoleVectorEnv(num_envs=m)
        ours, theirs = np.array([(vector_stepper(vec, window), vector_stepper(cartpoles, window))
                                 for _ in range(args.rounds)]).T
        lines.append(f"| {m} | {np.median(ours):,.0f} | {np.median(ours) * 8:,.0f} | {np.median(theirs):,.0f} | "
                     f"{ratio_cell(ours / theirs)} |")

    if args.ppo_steps:
        from stable_baselines3.common.vec_env import DummyVecEnv

        from rapgym.learning.encodings import make_sb3_env
        from rapgym.learning.vec_env import NativeVecEnv

        native_venv = NativeVecEnv("ppo", args.scenario, 8, num_users=8)
        dummy_venv = DummyVecEnv([lambda: make_sb3_env("ppo", args.scenario, num_users=8)] * 8)
        native, dummy = np.array([(ppo_rate(native_venv, args.ppo_steps), ppo_rate(dummy_venv, args.ppo_steps))
                                  for _ in range(args.rounds)]).T
        lines += ["", f"SB3 PPO, 8 copies, N = 8, {args.ppo_steps} steps: NativeVecEnv {np.median(native):,.0f} steps/s, "
                      f"DummyVecEnv {np.median(dummy):,.0f} steps/s, ratio {ratio_cell(native / dummy)}."]

    if args.rss_steps:
        vec = gym.make_vec(rapgym.ENV_ID, num_envs=256, vectorization_mode="vector_entry_point", scenario=args.scenario,
                           num_users=8)
        vec.reset(seed=0)
        vec.action_space.seed(0)
        actions = [vec.action_space.sample() for _ in range(16)]
        for i in range(args.rss_steps):
            vec.step(actions[i % 16])
            if i + 1 == 1000:
                early = rss_mib()
        late = rss_mib()
        lines += ["", f"RSS, 256 copies, N = 8: {early:,.1f} MiB after 1,000 vector steps, {late:,.1f} MiB after "
                      f"{args.rss_steps:,} ({late / early - 1:+.1%})."]
    publish("\n".join(lines) + "\n", "bench_env", args.write)


if __name__ == "__main__":
    main()
