"""Run policies on a scenario over seeds and tabulate the episode metrics (the library behind ``evaluate.py``).

A *policy spec* is a string resolved by :func:`resolve_policy` into a factory ``env -> policy`` (anything
with an SB3-style ``predict``). Reference policies are resolved by name, with options written
``name:key=value,key=value`` (values parsed as JSON where possible, e.g. ``rap:b0_mbps=4``); other sources
plug in with :func:`register_resolver`. A spec ending in ``.zip`` is an agent saved by ``train.py``
(:func:`rapgym.learning.saved_agents.agent_resolver`).

:func:`compare` runs any mix of saved agents and reference policies over scenarios x seeds and reports
each metric as mean ± 95 % confidence half-width (Student t over episodes), with CSV, markdown, the
latency CDF per policy and one episode's per-user cut / bits against bandwidth.
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
from rapgym.configs.scenario import load_scenario
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.learning.saved_agents import agent_label, agent_resolver

__all__ = ["EvalRow", "evaluate", "register_resolver", "resolve_policy", "write_csv", "write_markdown", "CIRow", "compare", "confidence_interval", "ci_markdown_table", "ci_rich_table", "policy_label"]

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


_RESOLVERS: list[Resolver] = [_reference_resolver, agent_resolver]


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


# ---------------------------------------------------------------- comparison with confidence intervals
CI_METRICS = [("mean_reward", "reward/step", "{:.3f}", 1.0), ("mean_latency_s", "mean lat (s)", "{:.3f}", 1.0),
              ("p95_latency_s", "p95 lat (s)", "{:.3f}", 1.0), ("mean_accuracy", "accuracy (%)", "{:.2f}", 1.0),
              ("deadline_miss_rate", "miss (%)", "{:.1f}", 100.0), ("drop_rate", "drop (%)", "{:.1f}", 100.0)]
"""(episode-summary key, header, format, scale) of the comparison table; rates are shown in %."""


@dataclass(frozen=True)
class CIRow:
    """One policy on one scenario: per metric of :data:`CI_METRICS`, the mean over episodes and the 95 %
    confidence half-width (in the table's units: rates in %)."""

    scenario: str
    policy: str
    episodes: int
    mean: dict[str, float]
    half_width: dict[str, float]


def confidence_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """``(mean, half-width)`` of the Student-t confidence interval of the mean; half-width 0 for one value."""
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()), 0.0
    sem = x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(stats.t.ppf(0.5 + level / 2, x.size - 1) * sem)


def _seed_span(seeds: Sequence[int]) -> str:
    """``"3, 5, 9"`` for a few seeds, ``"first..last"`` for many (keeps figure titles short)."""
    seeds = list(seeds)
    return ", ".join(map(str, seeds)) if len(seeds) <= 4 else f"{seeds[0]}..{seeds[-1]}"


def policy_label(spec: str) -> str:
    """Name of a policy spec in tables and plots (saved agents: ``<run folder>/<model stem>``)."""
    return agent_label(spec) if spec.endswith(".zip") else spec


class _Recorder:
    """Passes ``predict`` through and records each action's ``split`` and ``bits`` index since the last ``reset``."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.split: list[np.ndarray] = []
        self.bits: list[np.ndarray] = []

    def reset(self) -> None:
        self.split.clear()
        self.bits.clear()
        if hasattr(self.policy, "reset"):
            self.policy.reset()

    def predict(self, obs: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True) -> Any:
        action, state = self.policy.predict(obs, state, episode_start, deterministic)
        self.split.append(np.asarray(action["split"]).copy())
        self.bits.append(np.asarray(action["bits"]).copy())
        return action, state


def completed_latencies(env: MultiUserEndCloudEnv) -> np.ndarray:
    """Latency (s) of every task of the episode so far that completed (dropped tasks excluded)."""
    _, latency, _ = env.unwrapped.sim.dispatched_tasks()
    return latency[latency >= 0]


def ci_markdown_table(rows: Sequence[CIRow]) -> str:
    """Rows as GitHub markdown: ``mean ± half-width`` per metric."""
    lines = ["| scenario | policy | episodes | " + " | ".join(h for _, h, _, _ in CI_METRICS) + " |",
             "|" + "---|" * (3 + len(CI_METRICS))]
    for row in rows:
        cells = [(fmt + " ± " + fmt).format(row.mean[key], row.half_width[key]) for key, _, fmt, _ in CI_METRICS]
        lines.append(f"| {row.scenario} | {row.policy} | {row.episodes} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def ci_rich_table(rows: Sequence[CIRow], title: str) -> Any:
    """Rows as a ``rich`` table (``mean ± half-width`` per metric) for the console."""
    from rich.table import Table

    table = Table(title=title)
    for header in ["scenario", "policy", "n"] + [h for _, h, _, _ in CI_METRICS]:
        table.add_column(header, justify="left" if header in ("scenario", "policy") else "right")
    for row in rows:
        table.add_row(row.scenario, row.policy, str(row.episodes),
                      *[(fmt + " ± " + fmt).format(row.mean[k], row.half_width[k]) for k, _, fmt, _ in CI_METRICS])
    return table


def _write_ci_csv(rows: Sequence[CIRow], path: Path) -> None:
    keys = [key for key, _, _, _ in CI_METRICS]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["scenario", "policy", "episodes"] + [f"{k}{suffix}" for k in keys for suffix in ("", "_ci95")])
        for row in rows:
            writer.writerow([row.scenario, row.policy, row.episodes]
                            + [v for k in keys for v in (row.mean[k], row.half_width[k])])


def compare(scenarios: Sequence[str], specs: Sequence[str], seeds: Sequence[int], out: Path | None = None,
            plot_spec: str | None = None, plot_seed: int | None = None,
            progress: Callable[[str], None] | None = None, **overrides: Any) -> list[CIRow]:
    """Every policy spec on every scenario for one episode per seed; mean ± 95 % CI per metric.

    With ``out``: ``comparison.csv`` (means and half-widths), ``comparison.md``, ``episodes.csv`` (one row
    per episode), ``latency_cdf_<scenario>.png`` and ``decisions_<scenario>.png`` (the cut and bits of
    ``plot_spec`` (default: the first spec) per user over the episode of ``plot_seed`` (default: the first
    seed), against each user's uplink bandwidth).

    Args:
        scenarios: preset names.
        specs: policy specs (reference names with options, or saved agents ``.../best_model.zip``).
        seeds: episode seeds.
        out: output folder (created), or ``None`` for no files.
        plot_spec, plot_seed: the episode whose decisions are plotted.
        progress: called with a short message after each episode.
        **overrides: scenario field overrides for every env.
    """
    from rapgym.evaluation.plots import plot_decisions, plot_latency_cdf

    factories = [(spec, resolve_policy(spec)) for spec in specs]
    plot_spec = specs[0] if plot_spec is None else plot_spec
    plot_seed = int(seeds[0]) if plot_seed is None else plot_seed
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    rows: list[CIRow] = []
    episodes: list[dict[str, Any]] = []
    for scenario in scenarios:
        latencies: dict[str, np.ndarray] = {}
        for spec, factory in factories:
            runs, lat = [], []
            for seed in seeds:
                env = MultiUserEndCloudEnv(scenario, **overrides)
                policy = factory(env)
                record = spec == plot_spec and int(seed) == plot_seed and out is not None
                player = _Recorder(policy) if record else policy
                summary = run_episode(env, player, int(seed))
                runs.append(summary)
                lat.append(completed_latencies(env))
                episodes.append({"scenario": scenario, "policy": policy_label(spec), "seed": int(seed), **summary})
                if record:
                    sim, cfg = env.unwrapped.sim, env.unwrapped.config
                    steps = len(player.split)
                    bandwidth = sim.slot_rate_mbps[:, cfg.history:cfg.history + steps].T  # slot t is column t + H
                    bits = np.asarray(cfg.bits)[np.array(player.bits)]
                    plot_decisions(np.array(player.split), bits, bandwidth, cfg.dt_s,
                                   out / f"decisions_{scenario}.png",
                                   f"{policy_label(spec)} on {scenario}, seed {seed}: cut and bits per user vs uplink (grey)")
                if progress is not None:
                    progress(f"{scenario} {policy_label(spec)} seed {seed}")
            mean, half = {}, {}
            for key, _, _, scale in CI_METRICS:
                mean[key], half[key] = (scale * v for v in confidence_interval([r[key] for r in runs]))
            rows.append(CIRow(scenario, policy_label(spec), len(runs), mean, half))
            latencies[policy_label(spec)] = np.concatenate(lat)
        if out is not None:
            deadline = load_scenario(scenario, **overrides).per_user("deadline_s")[0]
            plot_latency_cdf(latencies, out / f"latency_cdf_{scenario}.png",
                             f"{scenario}: task latency over {len(seeds)} seeds ({_seed_span(seeds)})", deadline)
    if out is not None:
        _write_ci_csv(rows, out / "comparison.csv")
        (out / "comparison.md").write_text(ci_markdown_table(rows))
        with open(out / "episodes.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(episodes[0]))
            writer.writeheader()
            writer.writerows(episodes)
    return rows
