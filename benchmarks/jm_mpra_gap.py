"""JM-MPRA's optimality gap to the clairvoyant per-slot oracle on random instances with N <= 4.

Usage: python benchmarks/jm_mpra_gap.py [--instances 1000] [--seed 0] [--write benchmarks/policies.md]

An instance: N ~ U{1..4} users, each with a random profile (2..5 cuts, widths 32/16/8/4/2, device time
rising and cloud time falling along the cuts, accuracy loss 0..6 pp), a constant-rate uplink of
log-uniform 0.5..50 Mbit/s per link (so the observed history is the slot's true bandwidth and the gap is
the solver's, not the estimator's), random frame rates, half of the instances with a shared cell, and
queues loaded by 0..3 slots of random actions. Each instance is scored under two cost settings: the
scenario default (``drop_penalty = 30``) and ``drop_penalty = 5``. With 5 a dropped task is cheaper than
one that completes late near ``max_backlog_s = 2`` s (cost up to ``2 / 0.1 + 1 = 21``), so the myopic
oracle sometimes *overloads* a queue to have tasks dropped, which no latency-minimising solver does;
that setting shows why the default is 30. Both decisions are scored by the simulator's own kernel
(``Simulator.score_actions``, the env cost summed over the slot's tasks); the gap of an instance
is ``cost(JM-MPRA) / cost(oracle) - 1``. JM-MPRA runs with its defaults, without its single-user-move polish
(``polish_max_users=0``: the rounds alone) and, to separate the solver from its weighting, with
``omega_form="constant"`` (omega = 1/2: the objective equals the env cost without the deadline term).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from marked_section import add_write_argument, publish

from rapgym.agents import make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.profiles.profile import DNNProfile
from rapgym.traces.trace import BandwidthTrace

BITS = (32, 16, 8, 4, 2)
VARIANTS = {"jm-mpra (defaults)": {}, "jm-mpra (rounds only, no polish)": {"polish_max_users": 0},
            "jm-mpra (omega = 1/2)": {"omega_form": "constant"}}


def random_profile(rng: np.random.Generator) -> DNNProfile:
    k1 = int(rng.integers(2, 6))
    acc = rng.uniform(0.0, 6.0, (k1, len(BITS))) * (np.array(BITS) < 32)[None, :] * (1.0 - np.array(BITS)[None, :] / 40.0)
    acc[0] = acc[-1] = 0.0
    return DNNProfile(name="random", cut_names=tuple(f"b{k}" for k in range(k1)),
                      device_s=np.concatenate(([0.0], np.cumsum(rng.uniform(0.005, 0.08, k1 - 1)))),
                      cloud_s=np.concatenate((np.cumsum(rng.uniform(0.002, 0.03, k1 - 1))[::-1], [0.0])),
                      tx_bytes=rng.uniform(5e3, 6e5, k1), acc_loss=acc, base_accuracy=75.0)


COSTS = {"scenario default (drop 30)": 30.0, "drop penalty 5 (below a late task's cost)": 5.0}
"""Cost settings: label -> drop_penalty."""


def instance(rng: np.random.Generator, seed: int, drop_penalty: float) -> tuple[MultiUserEndCloudEnv, dict[str, np.ndarray]]:
    """A random env at a random slot (queues loaded by random actions)."""
    n = int(rng.integers(1, 5))
    shared = bool(rng.integers(2))
    env = MultiUserEndCloudEnv("default", num_users=n, profiles=[random_profile(rng) for _ in range(n)], shared_uplink=shared,
                               fps=list(rng.choice([5.0, 10.0, 20.0, 30.0], n)), episode_slots=8,
                               drop_penalty=drop_penalty)
    rates = np.exp(rng.uniform(np.log(0.5), np.log(50.0), 1 if shared else n))
    obs, _ = env.reset(seed=seed, options={"traces": [BandwidthTrace.from_samples([r], 1.0) for r in rates]})
    warm = make_policy("random", env, seed=seed)
    for _ in range(int(rng.integers(0, 4))):
        obs, *_ = env.step(warm.predict(obs)[0])
    return env, obs


def measure(instances: int, seed: int, drop_penalty: float) -> dict[str, dict[str, float]]:
    """Gap statistics of each JM-MPRA variant over ``instances`` instances that have at least one task."""
    rng = np.random.default_rng(seed)
    gaps: dict[str, list[float]] = {name: [] for name in VARIANTS}
    rounds: dict[str, list[int]] = {name: [] for name in VARIANTS}
    done = 0
    while done < instances:
        env, obs = instance(rng, done, drop_penalty)
        oracle = make_policy("oracle", env)
        oracle.predict(obs)
        if not oracle.last_cost > 0:
            continue  # no task arrives in this slot: nothing to compare
        for name, options in VARIANTS.items():
            pol = make_policy("jm-mpra", env, **options)
            act = pol.predict(obs)[0]
            cost = env.sim.score_actions(act["split"], act["bits"], act["compute_share"],
                                         act.get("uplink_share", np.ones(env.num_users)))[0]
            gaps[name].append(cost / oracle.last_cost - 1.0)
            rounds[name].append(pol.last_rounds)
        done += 1
    out = {}
    for name in VARIANTS:
        g = np.array(gaps[name])
        out[name] = {"mean": float(g.mean()), "p95": float(np.percentile(g, 95)), "max": float(g.max()),
                     "optimal": float(np.mean(g <= 1e-9)), "rounds_mean": float(np.mean(rounds[name])),
                     "rounds_max": float(np.max(rounds[name]))}
    return out


def report(results: dict[str, dict[str, dict[str, float]]], instances: int, seed: int, seconds: float) -> str:
    lines = [f"Command: `python benchmarks/jm_mpra_gap.py --instances {instances} --seed {seed}` ({seconds:.0f} s; "
             "the same instances under both cost settings).", "",
             "| costs | solver | mean gap | p95 gap | max gap | instances at the optimum | rounds mean / max |",
             "|---|---|---|---|---|---|---|"]
    for costs, result in results.items():
        for name, r in result.items():
            lines.append(f"| {costs} | {name} | {100 * r['mean']:.2f} % | {100 * r['p95']:.2f} % | {100 * r['max']:.1f} % | "
                         f"{100 * r['optimal']:.1f} % | {r['rounds_mean']:.2f} / {r['rounds_max']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    add_write_argument(parser, "jm_mpra_gap")
    args = parser.parse_args()
    if args.instances < 1:
        parser.error(f"--instances must be >= 1, got {args.instances}")
    start = time.perf_counter()
    results = {label: measure(args.instances, args.seed, drop) for label, drop in COSTS.items()}
    text = report(results, args.instances, args.seed, time.perf_counter() - start)
    publish(text, "jm_mpra_gap", args.write)


if __name__ == "__main__":
    main()
