"""Run policies on a scenario over seeds and tabulate the episode metrics (the library behind ``evaluate.py``).

A *policy spec* is a string resolved by :func:`resolve_policy` into a factory ``env -> policy`` (anything
with an SB3-style ``predict``). Reference policies are resolved by name, with options written
``name:key=value,key=value`` (values parsed as JSON where possible, e.g. ``rap:b0_mbps=4``); other sources
(e.g. saved SB3 agents) plug in with :func:`register_resolver`.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.agents.registry import available_policies, make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

__all__ = ["EvalRow", "evaluate", "register_resolver", "resolve_policy", "write_csv", "write_markdown"]

PolicyFactory = Callable[[Any], Any]
Resolver = Callable[[str], "PolicyFactory | None"]


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _reference_resolver(spec: str) -> PolicyFactory | None:
    name, _, opts = spec.partition(":")
    if name not in available_policies():
        return None
    options: dict[str, Any] = {}
    for item in filter(None, opts.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"policy spec {spec!r}: option {item!r} must be key=value")
        options[key.strip()] = _parse_value(value.strip())
    return lambda env: make_policy(name, env, **options)


_RESOLVERS: list[Resolver] = [_reference_resolver]


def register_resolver(resolver: Resolver) -> None:
    """Add a resolver ``spec -> factory or None`` (tried before the reference policies)."""
    _RESOLVERS.insert(0, resolver)


def resolve_policy(spec: str) -> PolicyFactory:
    """The factory of a policy spec.

    Raises:
        ValueError: no resolver knows the spec (the message lists the reference policies).
    """
    for resolver in _RESOLVERS:
        factory = resolver(spec)
        if factory is not None:
            return factory
    raise ValueError(f"unknown policy {spec.partition(':')[0]!r}; allowed: {', '.join(available_policies())}")


@dataclass(frozen=True)
class EvalRow:
    """Metrics of one policy, averaged over seeds (one episode per seed).

    Units: latencies s, accuracy %, miss and drop rates %, drops tasks per episode, cloud utilisation the
    mean offered cloud load (1 = the whole cloud busy), reward per step, decision time µs per step (after one
    untimed warm-up call on the first observation).
    """

    policy: str
    episodes: int
    mean_latency_s: float
    p95_latency_s: float
    mean_accuracy: float
    deadline_miss_pct: float
    drop_pct: float
    drops: float
    cloud_util: float
    mean_reward: float
    decision_us: float


def run_episode(env: MultiUserEndCloudEnv, policy: Any, seed: int) -> dict[str, float]:
    """One episode of ``policy`` from ``env.reset(seed=seed)``; the env's summary plus drops, load and timing."""
    obs, _ = env.reset(seed=seed)
    policy.predict(obs, deterministic=True)  # warm-up outside the timing (JIT caches, candidate pruning)
    if hasattr(policy, "reset"):
        policy.reset()
    decide = 0.0
    drops = 0
    load = []
    steps = 0
    while True:
        t0 = time.perf_counter()
        action, _ = policy.predict(obs, deterministic=True)
        decide += time.perf_counter() - t0
        obs, _, terminated, truncated, info = env.step(action)
        drops += info["dropped"]
        load.append(info["cloud_load"])
        steps += 1
        if terminated or truncated:
            break
    summary = dict(info["episode"])
    summary.update(drops=drops, cloud_util=float(np.mean(load)), decision_us=decide / steps * 1e6,
                   mean_reward=summary["return"] / steps)
    return summary


def evaluate(scenario: str, specs: Sequence[str], seeds: Sequence[int], episode_slots: int | None = None,
             progress: Callable[[str], None] | None = None, **overrides: Any) -> list[EvalRow]:
    """Evaluate each policy spec for one episode per seed on ``scenario`` (with scenario ``overrides``)."""
    if episode_slots is not None:
        overrides["episode_slots"] = episode_slots
    factories = [(spec, resolve_policy(spec)) for spec in specs]
    rows = []
    for spec, factory in factories:
        runs = []
        for seed in seeds:
            env = MultiUserEndCloudEnv(scenario, **overrides)
            runs.append(run_episode(env, factory(env), int(seed)))
            if progress is not None:
                progress(f"{spec} seed {seed}")
        mean = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
        rows.append(EvalRow(policy=spec, episodes=len(runs), mean_latency_s=mean["mean_latency_s"],
                            p95_latency_s=mean["p95_latency_s"], mean_accuracy=mean["mean_accuracy"],
                            deadline_miss_pct=100 * mean["deadline_miss_rate"], drop_pct=100 * mean["drop_rate"],
                            drops=mean["drops"], cloud_util=mean["cloud_util"], mean_reward=mean["mean_reward"],
                            decision_us=mean["decision_us"]))
    return rows


COLUMNS = [("policy", "policy", "{}"), ("mean_latency_s", "mean lat (s)", "{:.3f}"), ("p95_latency_s", "p95 lat (s)", "{:.3f}"),
           ("mean_accuracy", "accuracy (%)", "{:.2f}"), ("deadline_miss_pct", "miss (%)", "{:.1f}"), ("drop_pct", "drop (%)", "{:.1f}"),
           ("drops", "drops/ep", "{:.1f}"), ("cloud_util", "cloud util", "{:.2f}"), ("mean_reward", "reward/step", "{:.3f}"),
           ("decision_us", "decide (µs/step)", "{:.0f}")]
"""(field, header, format) of the printed and written table."""


def table_cells(rows: Sequence[EvalRow]) -> list[list[str]]:
    """Formatted cells of each row, in :data:`COLUMNS` order."""
    return [[fmt.format(getattr(row, key)) for key, _, fmt in COLUMNS] for row in rows]


def write_csv(rows: Sequence[EvalRow], path: Path) -> None:
    """All fields at full precision."""
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(EvalRow.__dataclass_fields__))
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def markdown_table(rows: Sequence[EvalRow]) -> str:
    """The table as GitHub markdown."""
    lines = ["| " + " | ".join(h for _, h, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_cells(rows)]
    return "\n".join(lines) + "\n"


def write_markdown(rows: Sequence[EvalRow], path: Path, title: str) -> None:
    """``title`` as a heading, then the table."""
    Path(path).write_text(f"## {title}\n\n" + markdown_table(rows))
