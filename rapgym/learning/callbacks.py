"""Training callbacks: the env metrics in TensorBoard and the held-out evaluation against JM-MPRA.

Imports Stable-Baselines3 (the ``train`` extra) at module level; without it, importing this module raises
:class:`~rapgym.errors.MissingDependencyError` naming the extra.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

import numpy as np

from rapgym.errors import MissingDependencyError
from rapgym.learning.models import TRAIN_EXTRA_HINT

try:
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import TensorBoardOutputFormat
    from stable_baselines3.common.vec_env import VecNormalize
except ImportError as exc:
    raise MissingDependencyError(f"the training callbacks need the train extra ({exc.name} is missing): {TRAIN_EXTRA_HINT}") from exc

from rapgym.agents.registry import make_policy
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.evaluation.runner import run_episode
from rapgym.learning.held_out import eval_env_overrides
from rapgym.learning.run_folder import RunFolder, vecnormalize_path
from rapgym.learning.saved_agents import SB3Agent

__all__ = ["ENV_METRICS", "EVAL_COLUMNS", "EVAL_EPISODE_METRICS", "EnvMetricsCallback", "EvalVsJMMPRACallback"]

ENV_METRICS = ("mean_latency_s", "mean_accuracy", "deadline_miss_rate", "drop_rate", "cloud_load", "uplink_mbps")
"""``env/*`` scalars logged from the per-step ``info`` (s, %, fraction, fraction, fraction of the cloud, Mbit/s)."""

EVAL_EPISODE_METRICS = ("mean_latency_s", "deadline_miss_rate", "drop_rate", "mean_accuracy")
"""Episode-summary means of the agent in each evaluation (s, fraction, fraction, %)."""

EVAL_COLUMNS = ("timesteps", "mean_reward", "std_reward", "jm_mpra_mean_reward", *EVAL_EPISODE_METRICS)
"""Columns of ``evaluations.csv``: env steps so far, the agent's return (mean, std over the held-out episodes),
JM-MPRA's mean return on the same episodes, then :data:`EVAL_EPISODE_METRICS`."""

TENSORBOARD_LAYOUT = {"rapgym": {
    "held-out return vs JM-MPRA": ["Multiline", ["eval/mean_reward", "eval/jm_mpra_mean_reward"]],
    "latency (s)": ["Multiline", ["env/mean_latency_s", "eval/mean_latency_s"]],
    "deadline misses and drops": ["Multiline", ["env/deadline_miss_rate", "env/drop_rate"]],
    "utilisation": ["Multiline", ["env/cloud_load", "env/uplink_mbps"]],
}}
"""TensorBoard custom-scalars layout: the agent next to JM-MPRA, latency, misses and drops, utilisation."""


class EnvMetricsCallback(BaseCallback):
    """Logs ``env/*`` (:data:`ENV_METRICS`) aggregated over each window of ``log_interval_steps`` env steps.

    Latency and accuracy are means over the tasks completed in the window, miss and drop rates fractions
    of its tasks, cloud load and uplink rate means per env step.
    """

    def __init__(self, log_interval_steps: int) -> None:
        super().__init__()
        self.log_interval_steps = log_interval_steps
        self._sums = np.zeros(8)
        self._last = 0

    def _on_training_start(self) -> None:
        self._sums = np.zeros(8)
        self._last = 0
        for fmt in self.logger.output_formats:
            if isinstance(fmt, TensorBoardOutputFormat):
                fmt.writer.add_custom_scalars(TENSORBOARD_LAYOUT)

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            done = info["completed"]
            self._sums += (info["tasks"], done, info["dropped"], info["deadline_misses"],
                           info["mean_latency_s"] * done, info["mean_accuracy"] * done, info["cloud_load"],
                           info["uplink_mbps"])
        if self.num_timesteps - self._last >= self.log_interval_steps:
            self._flush()
        return True

    def _flush(self) -> None:
        tasks, done, dropped, missed, lat, acc, load, mbps = self._sums
        steps = max(self.num_timesteps - self._last, 1)
        values = (lat / max(done, 1), acc / max(done, 1), missed / max(tasks, 1), dropped / max(tasks, 1),
                  load / steps, mbps / steps)
        for key, value in zip(ENV_METRICS, values, strict=True):
            self.logger.record(f"env/{key}", float(value))
        self._sums[:] = 0.0
        self._last = self.num_timesteps


class EvalVsJMMPRACallback(BaseCallback):
    """Every ``eval_freq`` env steps (and at the end): the deterministic agent and JM-MPRA on the same
    held-out episodes; logs ``eval/*``, appends ``evaluations.csv`` and saves ``best_model`` (with its
    ``VecNormalize`` statistics) on a new best mean return.

    Args:
        algo: the agent's algorithm (decides how its flat action is decoded).
        scenario: preset name; ``env_kwargs`` are its field overrides (real traces use their test split).
        eval_seeds: episode seeds of every evaluation.
        eval_freq: env steps (summed over envs) between evaluations.
        share_levels: share levels of the ``ppo`` action.
        run: the run folder written to.
        on_evaluation: called with each evaluation's row (:data:`EVAL_COLUMNS`) once it is logged and saved.
        evaluate_at_start: also evaluate before the first update (timesteps 0), so the best model can be the
            starting policy itself (a warm start that training does not improve on the held-out episodes).

    After training, :attr:`best` is the best mean return and :attr:`last` the last evaluation's row
    (:data:`EVAL_COLUMNS`).
    """

    def __init__(self, algo: str, scenario: str, env_kwargs: dict[str, Any], eval_seeds: list[int], eval_freq: int,
                 share_levels: int, run: RunFolder, on_evaluation: Callable[[dict[str, float]], None] | None = None,
                 evaluate_at_start: bool = False) -> None:
        super().__init__()
        self.evaluate_at_start = evaluate_at_start
        self.algo = algo
        self.scenario = scenario
        self.env_kwargs = env_kwargs
        self.eval_seeds = eval_seeds
        self.eval_freq = eval_freq
        self.share_levels = share_levels
        self.run = run
        self.on_evaluation = on_evaluation
        self.best = -np.inf
        self.last: dict[str, float] = {}
        self._next = eval_freq

    def _on_training_start(self) -> None:
        self._env = MultiUserEndCloudEnv(self.scenario, **eval_env_overrides(self.scenario, self.env_kwargs))
        reference = make_policy("jm-mpra", self._env)
        self.reference = [run_episode(self._env, reference, s) for s in self.eval_seeds]
        self.best = -np.inf
        self.last = {}
        self._next = self.eval_freq
        with self.run.evaluations.open("w", newline="") as handle:
            csv.writer(handle).writerow(EVAL_COLUMNS)
        if self.evaluate_at_start:
            self.evaluate()

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += self.eval_freq
            self.evaluate()
        return True

    def evaluate(self) -> None:
        """Play the held-out episodes now; log, append the CSV row and keep the best model."""
        venv = self.model.get_env()
        normalizer = venv if isinstance(venv, VecNormalize) else None
        agent = SB3Agent(self.model, self.algo, self._env, normalizer, self.share_levels)
        episodes = [run_episode(self._env, agent, s) for s in self.eval_seeds]
        returns = np.array([e["return"] for e in episodes])
        ref = float(np.mean([e["return"] for e in self.reference]))
        self.last = {"timesteps": self.num_timesteps, "mean_reward": float(returns.mean()),
                     "std_reward": float(returns.std()), "jm_mpra_mean_reward": ref}
        for key in EVAL_EPISODE_METRICS:
            self.last[key] = float(np.mean([e[key] for e in episodes]))
        for key, value in self.last.items():
            if key != "timesteps":
                self.logger.record(f"eval/{key}", value)
        self.logger.record("eval/gap_vs_jm_mpra", self.last["mean_reward"] - ref)
        with self.run.evaluations.open("a", newline="") as handle:
            csv.writer(handle).writerow(list(self.last.values()))
        if self.last["mean_reward"] > self.best:
            self.best = self.last["mean_reward"]
            self.model.save(self.run.best_model)
            if normalizer is not None:
                normalizer.save(str(vecnormalize_path(self.run.best_model)))
        if self.on_evaluation is not None:
            self.on_evaluation(dict(self.last))

    def _on_training_end(self) -> None:
        if not self.last or self.last["timesteps"] != self.num_timesteps:
            self.evaluate()
            self.logger.dump(self.num_timesteps)  # the algorithm does not dump after its last step
