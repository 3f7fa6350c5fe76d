"""Soak (issue 14; not a test): long runs under random valid actions, RSS every 10 %, NaN and memory checks.

Usage: python benchmarks/soak.py [--steps-n8 10000000] [--steps-n256 100000] [--outage-days 7] [--long-slots 1000000]

1. N = 8 for ``--steps-n8`` steps and N = 256 for ``--steps-n256`` steps of the ``default`` scenario (its 200-slot
   episodes, resets included): RSS at every 10 %, and its growth after warm-up (the first 10 %).
2. A link in outage for ``--outage-days`` days at ``dt_s = 10`` (one trace of rate 0 given by reset options).
3. Reset memory against episode length: RSS growth of one reset at ``--long-slots`` slots (``dt_s = 10``, 0.01 fps
   so the tasks stay within the scenario's cap) against one at 1,000 slots, and the generated uplink's bytes in both.

Every observation and reward is checked finite; the script prints what it measured (defaults are the issue's
sizes; smaller flags for a quick run).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import rapgym
from rapgym.traces.trace import BandwidthTrace


def rss_mib() -> float:
    """Current resident set size, MiB (Linux ``/proc``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def finite(obs: dict[str, np.ndarray], reward: float) -> bool:
    return bool(np.isfinite(reward)) and all(np.isfinite(v).all() for v in obs.values())


def soak(num_users: int, steps: int) -> None:
    env = rapgym.MultiUserEndCloudEnv("default", num_users=num_users)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(256)]
    marks, bad, start = [], 0, time.perf_counter()
    for i in range(steps):
        obs, reward, terminated, truncated, _ = env.step(actions[i % 256])
        bad += not finite(obs, reward)
        if terminated or truncated:
            env.reset()
        if (i + 1) % max(steps // 10, 1) == 0:
            marks.append(rss_mib())
            print(f"  N={num_users}: {i + 1:,} steps, RSS {marks[-1]:,.1f} MiB", flush=True)
    print(f"N={num_users}, {steps:,} steps in {time.perf_counter() - start:,.0f} s: RSS growth after the first 10 % "
          f"{marks[-1] / marks[0] - 1:+.2%}; non-finite steps: {bad}")


def outage(days: float) -> None:
    slots = int(days * 86_400 / 10)
    env = rapgym.MultiUserEndCloudEnv("default", num_users=1, dt_s=10.0, episode_slots=slots)
    env.reset(seed=0, options={"traces": [BandwidthTrace.from_samples([0.0], 10.0)]})
    env.action_space.seed(0)
    bad, drops, tasks = 0, 0, 0
    for _ in range(slots):
        obs, reward, _, _, info = env.step(env.action_space.sample())
        bad += not finite(obs, reward)
        drops += info["dropped"]
        tasks += info["tasks"]
    print(f"outage of {days:g} days at dt_s=10 ({slots:,} slots): {tasks:,} tasks, {drops:,} dropped, non-finite "
          f"steps: {bad}, max queue {obs['queue'].max():.2f} s")


def reset_memory(long_slots: int) -> None:
    for slots in (1000, long_slots):
        env = rapgym.MultiUserEndCloudEnv("default", num_users=8, dt_s=10.0, episode_slots=slots, fps=[0.01])
        before = rss_mib()
        start = time.perf_counter()
        env.reset(seed=0)
        draw = env.sim.draw
        uplink = sum(a.nbytes for a in (draw.tr_edges, draw.tr_cum, draw.tr_rates))
        print(f"reset at {slots:,} slots (dt_s=10, N=8, fps=0.01): {time.perf_counter() - start:.2f} s, RSS +{rss_mib() - before:,.1f} "
              f"MiB, uplink arrays {uplink / 2**20:,.1f} MiB, {draw.arr_t.shape[0]:,} tasks")
        del env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps-n8", type=int, default=10_000_000)
    parser.add_argument("--steps-n256", type=int, default=100_000)
    parser.add_argument("--outage-days", type=float, default=7.0)
    parser.add_argument("--long-slots", type=int, default=1_000_000)
    args = parser.parse_args()
    soak(8, args.steps_n8)
    soak(256, args.steps_n256)
    outage(args.outage_days)
    reset_memory(args.long_slots)


if __name__ == "__main__":
    main()
