"""Steps/s of the learner-ready flat envs against the raw Dict env, measured in the same run.

Usage: python benchmarks/bench_wrappers.py [--seconds 0.25] [--rounds 16] [--scenario default] [--users 8] [--write FILE]

Rows: the raw env; ``rapgym/MultiUserEndCloudFlat-v0`` (NormalizedFlatObservation + FlatMultiDiscreteAction,
what PPO trains on), its ``compact=True`` variant, ``rapgym/MultiUserEndCloudBox-v0`` (SAC), all unwrapped of
Gymnasium's checkers; and, when Stable-Baselines3 is installed, ``DummyVecEnv`` of 8 flat envs (env-steps/s).
Random valid actions are sampled before timing and cycled; resets at truncation are included in the time.
Every row is timed once per round, rounds interleaved, and its best round is kept (other processes on a shared
machine only ever slow a round down). ``x raw`` is the row's env-steps/s over the raw env's. ``--write FILE``
replaces the script's marked section.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from marked_section import add_write_argument, publish

import rapgym
from rapgym.envs.wrappers import make_box_env, make_flat_env

VEC_ENVS = 8


def steps_per_second(step: Callable[[object], bool], reset: Callable[[], None], actions: list, seconds: float) -> float:
    """Calls/s of ``step`` (which returns whether the episode ended) over about ``seconds`` s, cycling ``actions``."""
    reset()
    step(actions[0])  # warm-up (numba dispatch, caches)
    calls, i = 0, 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(256):
            if step(actions[i % len(actions)]):
                reset()
            i += 1
        calls += 256
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def env_rate(env: gym.Env) -> Callable[[float], float]:
    """A timer of one env: seconds -> steps/s."""
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(256)]

    def step(action: object) -> bool:
        _, _, terminated, truncated, _ = env.step(action)
        return terminated or truncated

    return lambda seconds: steps_per_second(step, lambda: env.reset(seed=0), actions, seconds)


def vec_rate(make: Callable[[], gym.Env]) -> Callable[[float], float]:
    """A timer of SB3's DummyVecEnv over ``VEC_ENVS`` envs (it resets finished envs itself): seconds -> env-steps/s."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([make] * VEC_ENVS)
    venv.seed(0)
    venv.action_space.seed(0)
    actions = [np.stack([venv.action_space.sample() for _ in range(VEC_ENVS)]) for _ in range(64)]

    def step(action: np.ndarray) -> bool:
        venv.step(action)
        return False

    return lambda seconds: VEC_ENVS * steps_per_second(step, venv.reset, actions, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.25, help="timing window per row and round, s")
    parser.add_argument("--rounds", type=int, default=16, help="interleaved rounds; each row keeps its best")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--users", type=int, default=8)
    add_write_argument(parser, "bench_wrappers")
    args = parser.parse_args()
    if args.seconds <= 0 or args.users < 1 or args.rounds < 1:
        parser.error("--seconds must be > 0, --users and --rounds >= 1")

    kwargs = {"num_users": args.users, "episode_slots": 1000}
    timers = {"raw Dict env": env_rate(rapgym.MultiUserEndCloudEnv(args.scenario, **kwargs)),
              "Flat-v0 (PPO)": env_rate(make_flat_env(args.scenario, **kwargs)),
              "Flat-v0, compact=True": env_rate(make_flat_env(args.scenario, compact=True, **kwargs)),
              "Box-v0 (SAC)": env_rate(make_box_env(args.scenario, **kwargs))}
    try:
        timers[f"SB3 DummyVecEnv({VEC_ENVS}) of Flat-v0"] = vec_rate(lambda: make_flat_env(args.scenario, **kwargs))
    except ImportError:
        pass
    best = dict.fromkeys(timers, 0.0)
    for _ in range(args.rounds):
        for name, timer in timers.items():
            best[name] = max(best[name], timer(args.seconds))
    raw = best["raw Dict env"]
    lines = [f"Command: `python benchmarks/bench_wrappers.py --seconds {args.seconds:g} --rounds {args.rounds} "
             f"--scenario {args.scenario} --users {args.users}` on {platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}, numpy {np.__version__}, rapgym {rapgym.__version__}.", "",
             "| env | env-steps/s | x raw |", "|---|---|---|"]
    lines += [f"| {name} | {rate:,.0f} | {rate / raw:.2f} |" for name, rate in best.items()]
    publish("\n".join(lines) + "\n", "bench_wrappers", args.write)


if __name__ == "__main__":
    main()
