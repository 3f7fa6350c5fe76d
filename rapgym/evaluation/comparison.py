"""Policies x scenarios x seeds: the evaluation behind ``evaluate.py`` and ``train.py --compare``.

:func:`compare` plays every policy spec (reference policies with options, saved agents) for one episode per
seed on every scenario with :func:`rapgym.evaluation.runner.run_episode`, and reports each metric as mean ±
95 % confidence half-width over the episodes (:mod:`rapgym.evaluation.tables`). With an output folder it
writes the table as CSV and markdown, one CSV row per episode and, optionally, the plots of
:mod:`rapgym.evaluation.plots` (latency CDF per policy; one episode's per-user cut and bits against bandwidth).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.evaluation.plots import plot_decisions, plot_latency_cdf
from rapgym.evaluation.runner import completed_latencies, policy_label, resolve_policy, run_episode
from rapgym.evaluation.tables import ResultRow, ci_markdown_table, result_row, write_ci_csv

__all__ = ["compare", "comparison_title"]


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


def _seed_span(seeds: Sequence[int]) -> str:
    """``"3, 5, 9"`` for a few seeds, ``"first..last"`` for many (keeps titles short)."""
    seeds = list(seeds)
    return ", ".join(map(str, seeds)) if len(seeds) <= 4 else f"{seeds[0]}..{seeds[-1]}"


def comparison_title(seeds: Sequence[int], overrides: Mapping[str, Any]) -> str:
    """Title of a comparison table: the seeds and the scenario overrides (``episode_slots`` first)."""
    slots = overrides.get("episode_slots")
    parts = [f"seeds {_seed_span(seeds)}", f"{slots} slots" if slots else "scenario slots"]
    parts += [f"{key}={value}" for key, value in overrides.items() if key != "episode_slots"]
    return ", ".join(parts) + ": mean ± 95 % CI over episodes"


def _plot_decisions(env: MultiUserEndCloudEnv, recorder: _Recorder, path: Path, title: str) -> None:
    """The recorded episode's cut and bits per user against each user's uplink bandwidth."""
    sim, cfg = env.unwrapped.sim, env.unwrapped.config
    steps = len(recorder.split)
    bandwidth = sim.slot_rate_mbps[:, cfg.history:cfg.history + steps].T  # slot t is column t + H
    bits = np.asarray(cfg.bits)[np.array(recorder.bits)]
    plot_decisions(np.array(recorder.split), bits, bandwidth, cfg.dt_s, path, title)


def _write_episodes(episodes: Sequence[Mapping[str, Any]], path: Path) -> None:
    """One CSV row per episode: scenario, policy, seed and the episode summary of ``run_episode``."""
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(episodes[0]))
        writer.writeheader()
        writer.writerows(episodes)


def compare(scenarios: Sequence[str], specs: Sequence[str], seeds: Sequence[int], out: Path | None = None,
            plots: bool = True, plot_spec: str | None = None, plot_seed: int | None = None,
            progress: Callable[[str], None] | None = None, **overrides: Any) -> list[ResultRow]:
    """Every policy spec on every scenario for one episode per seed; mean ± 95 % CI per metric.

    With ``out``: ``comparison.csv`` (means and half-widths), ``comparison.md`` (titled by
    :func:`comparison_title`), ``episodes.csv`` (one row per episode) and, with ``plots`` (needs matplotlib),
    ``latency_cdf_<scenario>.png`` and ``decisions_<scenario>.png`` (the cut and bits of ``plot_spec`` per user
    over the episode of ``plot_seed``, against each user's uplink bandwidth).

    Args:
        scenarios: preset names.
        specs: policy specs (reference names with options, or saved agents ``.../best_model.zip`` once their
            resolver is registered).
        seeds: episode seeds.
        out: output folder (created), or ``None`` for no files.
        plots: write the plots under ``out``.
        plot_spec: the policy whose decisions are plotted (default: the first spec).
        plot_seed: the episode seed of the decision plot (default: the first seed).
        progress: called with a short message after each episode.
        **overrides: scenario field overrides for every env (e.g. ``episode_slots``, ``num_users``).

    Returns:
        One row per (scenario, spec), scenarios outermost, in the order given.

    Raises:
        PolicyError: a spec no resolver knows or a malformed option (before any episode runs).
        ScenarioError: an invalid scenario or override.
    """
    factories = [(spec, resolve_policy(spec)) for spec in specs]
    plot_spec = specs[0] if plot_spec is None else plot_spec
    plot_seed = int(seeds[0]) if plot_seed is None else plot_seed
    plotting = out is not None and plots
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    rows: list[ResultRow] = []
    episodes: list[dict[str, Any]] = []
    for scenario in scenarios:
        latencies: dict[str, np.ndarray] = {}
        for spec, factory in factories:
            label = policy_label(spec)
            summaries, lat = [], []
            for seed in map(int, seeds):
                env = MultiUserEndCloudEnv(scenario, **overrides)
                policy = factory(env)
                record = plotting and spec == plot_spec and seed == plot_seed
                player = _Recorder(policy) if record else policy
                summary = run_episode(env, player, seed)
                summaries.append(summary)
                lat.append(completed_latencies(env))
                episodes.append({"scenario": scenario, "policy": label, "seed": seed, **summary})
                if record:
                    _plot_decisions(env, player, out / f"decisions_{scenario}.png",
                                    f"{label} on {scenario}, seed {seed}: cut and bits per user vs uplink (grey)")
                if progress is not None:
                    progress(f"{scenario} {label} seed {seed}")
            rows.append(result_row(scenario, label, summaries))
            latencies[label] = np.concatenate(lat)
        if plotting:
            deadline = env.unwrapped.config.per_user("deadline_s")[0]  # the scenario's, as played
            plot_latency_cdf(latencies, out / f"latency_cdf_{scenario}.png",
                             f"{scenario}: task latency over {len(seeds)} seeds ({_seed_span(seeds)})", deadline)
    if out is not None:
        write_ci_csv(rows, out / "comparison.csv")
        (out / "comparison.md").write_text(ci_markdown_table(rows, comparison_title(seeds, overrides)))
        _write_episodes(episodes, out / "episodes.csv")
    return rows
