"""Decision time per step of RAP and JM-MPRA at N = 1, 10, 100, 1000 and of the oracle at N <= 4, in one run.

Usage: python benchmarks/bench_solvers.py [--scenario default] [--users 1 10 100 1000] [--oracle-users 1 2 3 4]
       [--oracle-bits 32 8] [--clock wall|cpu] [--write benchmarks/policies.md]

Each policy decides on the observation of slot 5 of a seeded episode (queues loaded by 5 RAP steps); a
figure is the best of 5 rounds of the mean over repeated ``predict`` calls (candidate pruning is cached
after the first call, as in an episode). The reference measured in the same run is the env's own
``step`` at the same N (mean over an episode of RAP actions), so ``x env step`` is hardware independent.
The oracle runs on the scenario with only the ``--oracle-bits`` widths: its search is the product of the
users' non-dominated candidate counts, which grow with the number of widths that cost accuracy.
``--clock cpu`` times with the process's CPU time instead of wall time: on a machine shared with other
jobs, wall time counts the time the process waits for a core, CPU time does not.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

from marked_section import add_write_argument, publish

from rapgym.agents import make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
"""``--clock`` choices: wall time, or the process's CPU time (user + system), s."""


def predict_s(policy: Any, obs: dict, min_time: float = 0.2, clock: Callable[[], float] = time.perf_counter) -> float:
    """Best of 5 rounds of the mean time of ``policy.predict(obs)`` by ``clock``, each round about ``min_time / 5`` s or more, s."""

    def fn() -> None:
        policy.predict(obs)

    fn()
    reps = 1
    while True:
        t0 = clock()
        for _ in range(reps):
            fn()
        if clock() - t0 >= min_time / 5 or reps >= 1 << 16:
            break
        reps *= 2
    best = float("inf")
    for _ in range(5):
        t0 = clock()
        for _ in range(reps):
            fn()
        best = min(best, (clock() - t0) / reps)
    return best


def loaded_env(scenario: str, n: int, **overrides: object) -> tuple[MultiUserEndCloudEnv, dict]:
    """An env at slot 5 of episode seed 0 under RAP, and its observation."""
    env = MultiUserEndCloudEnv(scenario, num_users=n, episode_slots=40, **overrides)
    obs, _ = env.reset(seed=0)
    rap = make_policy("rap", env)
    for _ in range(5):
        obs, *_ = env.step(rap.predict(obs)[0])
    return env, obs


def env_step_s(env: MultiUserEndCloudEnv, obs: dict, clock: Callable[[], float] = time.perf_counter) -> float:
    """Mean ``env.step`` time by ``clock`` over the rest of the episode with precomputed RAP actions, s."""
    rap = make_policy("rap", env)
    action = rap.predict(obs)[0]
    steps, total = 0, 0.0
    while env.sim.slot < env.config.episode_slots:
        t0 = clock()
        env.step(action)
        total += clock() - t0
        steps += 1
    return total / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--oracle-users", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--oracle-bits", type=int, nargs="+", default=[32, 8])
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall", help="wall time (default) or the process's CPU time")
    add_write_argument(parser, "bench_solvers")
    parser.add_argument("--max-combinations", type=int, default=1_000_000, help="the oracle's search limit")
    args = parser.parse_args()
    if any(n < 1 for n in args.users + args.oracle_users):
        parser.error("every --users / --oracle-users entry must be >= 1")
    if args.max_combinations < 1:
        parser.error("--max-combinations must be >= 1")

    clock = CLOCKS[args.clock]
    lines = [f"Command: `python benchmarks/bench_solvers.py --scenario {args.scenario} --clock {args.clock}` on "
             f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores, 1-min load average {os.getloadavg()[0]:.1f} "
             f"at the start), Python {platform.python_version()}; one process, "
             f"{'wall' if args.clock == 'wall' else 'CPU'} time per decision (one env step).", "",
             "| N | RAP µs/step | RAP µs/user | JM-MPRA µs/step | JM-MPRA µs/user | JM-MPRA rounds | env step µs | RAP / env step | JM-MPRA / env step |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n in args.users:
        env, obs = loaded_env(args.scenario, n)
        rap, jm = make_policy("rap", env), make_policy("jm-mpra", env)
        t_rap = predict_s(rap, obs, clock=clock)
        t_jm = predict_s(jm, obs, clock=clock)
        t_env = env_step_s(env, obs, clock)
        lines.append(f"| {n} | {t_rap * 1e6:.0f} | {t_rap * 1e6 / n:.2f} | {t_jm * 1e6:.0f} | {t_jm * 1e6 / n:.2f} | {jm.last_rounds} | "
                     f"{t_env * 1e6:.0f} | {t_rap / t_env:.1f}x | {t_jm / t_env:.1f}x |")
    lines += ["", f"Oracle (bits {args.oracle_bits}):", "",
              "| N | combinations | oracle µs/step | µs per combination | JM-MPRA µs/step (same env) | oracle / JM-MPRA |", "|---|---|---|---|---|---|"]
    for n in args.oracle_users:
        env, obs = loaded_env(args.scenario, n, bits=args.oracle_bits)
        oracle, jm = make_policy("oracle", env, max_combinations=args.max_combinations), make_policy("jm-mpra", env)
        combos = oracle.combos.split.shape[0]
        t_or = predict_s(oracle, obs, clock=clock)
        t_jm = predict_s(jm, obs, clock=clock)
        lines.append(f"| {n} | {combos} | {t_or * 1e6:.0f} | {t_or * 1e6 / combos:.2f} | {t_jm * 1e6:.0f} | {t_or / t_jm:.2g}x |")
    text = "\n".join(lines) + "\n"
    publish(text, "bench_solvers", args.write)


if __name__ == "__main__":
    main()
