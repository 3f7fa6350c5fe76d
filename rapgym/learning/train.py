"""Train a Stable-Baselines3 agent (PPO, SAC or the hybrid) on a scenario; the library behind ``train.py``.

A run writes one folder ``<out>/<algo>-<scenario>-s<seed>-<time>/``:

- ``config.yml``: the command line, the validated hyperparameters, the resolved scenario, the held-out
  evaluation seeds and library versions (written before training starts);
- ``model.zip`` + ``model_vecnormalize.pkl``: the final agent and its observation statistics;
- ``best_model.zip`` + ``best_model_vecnormalize.pkl``: the agent with the best held-out mean return;
- ``checkpoints/``: periodic checkpoints (with their ``VecNormalize`` statistics);
- ``evaluations.csv``: each periodic evaluation of the agent next to JM-MPRA on the same episodes;
- ``tb/``: TensorBoard logs (SB3's scalars, ``env/*`` metrics from the env's ``info``, ``eval/*``);
- ``result.yml``: wall time, the warm start's fit (hybrid with ``pretrain_teacher``) and the final
  evaluation numbers.

The hybrid agent is warm-started by default: before PPO, its actor is behaviour-cloned from JM-MPRA's
cut/bits decisions and its critic fitted to JM-MPRA's returns (:mod:`rapgym.learning.imitation`).

Held-out evaluation: synthetic uplinks are evaluated on episode seeds ``EVAL_SEED_BASE + j``, which no
training env uses (training env ``i`` is seeded ``seed + i`` with ``seed < EVAL_SEED_BASE``, later resets
continue its generator); scenarios with real traces (``trace_dir``) are evaluated on
``trace_split="test"``. The final comparison (``--compare``) uses seeds ``TEST_SEED_BASE + j``, which
neither training nor model selection saw.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rapgym.configs.hyperparams import load_hyperparams
from rapgym.configs.scenario import load_scenario

__all__ = ["COMPARE_POLICIES", "EVAL_SEED_BASE", "TEST_SEED_BASE", "compare_run", "eval_env_overrides", "train"]

EVAL_SEED_BASE = 1_000_000
"""First held-out evaluation seed (model selection during training); training seeds must be below it."""

TEST_SEED_BASE = 2_000_000
"""First seed of the final comparison (``--compare``), disjoint from the training and model-selection seeds."""

COMPARE_POLICIES = ("jm-mpra", "rap", "rap-equal", "iao", "neurosurgeon", "accuracy-budget", "device-only",
                    "cloud-only", "random")
"""Reference policies a trained agent is compared with by ``--compare`` (the clairvoyant oracle is left out)."""

ENV_METRICS = ("mean_latency_s", "mean_accuracy", "deadline_miss_rate", "drop_rate", "cloud_load", "uplink_mbps")
"""``env/*`` scalars logged from the per-step ``info`` (s, %, fraction, fraction, fraction of the cloud, Mbit/s)."""


def eval_env_overrides(scenario: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides of the held-out evaluation env: real traces switch to their test split."""
    config = load_scenario(scenario, **env_kwargs)
    return {**env_kwargs, "trace_split": "test"} if config.trace_dir is not None else dict(env_kwargs)


def _callbacks(algo: str, scenario: str, hp: Any, run_dir: Path, eval_seeds: list[int]) -> list[Any]:
    """The env-metric logger, the evaluation against JM-MPRA and the checkpointer (SB3 imports stay lazy)."""
    from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback
    from stable_baselines3.common.logger import TensorBoardOutputFormat
    from stable_baselines3.common.vec_env import VecNormalize

    from rapgym.agents import make_policy
    from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
    from rapgym.evaluation.runner import run_episode
    from rapgym.learning.saved_agents import SB3Agent

    class EnvMetrics(BaseCallback):
        """Logs ``env/*``: latency, accuracy, deadline-miss and drop rates, cloud load and uplink rate
        aggregated over the training steps of each window of ``log_interval_steps`` environment steps."""

        def _on_training_start(self) -> None:
            self._sums = np.zeros(8)
            self._last = 0
            layout = {"rapgym": {
                "held-out return vs JM-MPRA": ["Multiline", ["eval/mean_reward", "eval/jm_mpra_mean_reward"]],
                "latency (s)": ["Multiline", ["env/mean_latency_s", "eval/mean_latency_s"]],
                "deadline misses and drops": ["Multiline", ["env/deadline_miss_rate", "env/drop_rate"]],
                "utilisation": ["Multiline", ["env/cloud_load", "env/uplink_mbps"]],
            }}
            for fmt in self.logger.output_formats:
                if isinstance(fmt, TensorBoardOutputFormat):
                    fmt.writer.add_custom_scalars(layout)

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                done = info["completed"]
                self._sums += (info["tasks"], done, info["dropped"], info["deadline_misses"],
                               info["mean_latency_s"] * done, info["mean_accuracy"] * done, info["cloud_load"],
                               info["uplink_mbps"])
            if self.num_timesteps - self._last >= hp.log_interval_steps:
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

    class EvalVsJMMPRA(BaseCallback):
        """Every ``eval_freq`` env steps: the deterministic agent and JM-MPRA on the same held-out episodes;
        logs ``eval/*``, appends ``evaluations.csv`` and saves ``best_model`` on a new best mean return."""

        def _on_training_start(self) -> None:
            self._env = MultiUserEndCloudEnv(scenario, **eval_env_overrides(scenario, hp.env_kwargs))
            reference = make_policy("jm-mpra", self._env)
            self.reference = [run_episode(self._env, reference, s) for s in eval_seeds]
            self.best = -np.inf
            self.last: dict[str, float] = {}
            self._next = hp.eval_freq
            self._csv = run_dir / "evaluations.csv"
            with self._csv.open("w", newline="") as handle:
                csv.writer(handle).writerow(["timesteps", "mean_reward", "std_reward", "jm_mpra_mean_reward",
                                             "mean_latency_s", "deadline_miss_rate", "drop_rate", "mean_accuracy"])

        def _on_step(self) -> bool:
            if self.num_timesteps >= self._next:
                self._next += hp.eval_freq
                self.evaluate()
            return True

        def evaluate(self) -> None:
            venv = self.model.get_env()
            normalizer = venv if isinstance(venv, VecNormalize) else None
            agent = SB3Agent(self.model, algo, self._env, normalizer, getattr(hp, "share_levels", 5))
            episodes = [run_episode(self._env, agent, s) for s in eval_seeds]
            returns = np.array([e["return"] for e in episodes])
            ref = float(np.mean([e["return"] for e in self.reference]))
            self.last = {"timesteps": self.num_timesteps, "mean_reward": float(returns.mean()),
                         "std_reward": float(returns.std()), "jm_mpra_mean_reward": ref}
            for key in ("mean_latency_s", "deadline_miss_rate", "drop_rate", "mean_accuracy"):
                self.last[key] = float(np.mean([e[key] for e in episodes]))
            for key, value in self.last.items():
                if key != "timesteps":
                    self.logger.record(f"eval/{key}", value)
            self.logger.record("eval/gap_vs_jm_mpra", self.last["mean_reward"] - ref)
            with self._csv.open("a", newline="") as handle:
                csv.writer(handle).writerow(list(self.last.values()))
            if self.last["mean_reward"] > self.best:
                self.best = self.last["mean_reward"]
                self.model.save(run_dir / "best_model.zip")
                if normalizer is not None:
                    normalizer.save(str(run_dir / "best_model_vecnormalize.pkl"))

        def _on_training_end(self) -> None:
            if not self.last or self.last["timesteps"] != self.num_timesteps:
                self.evaluate()
                self.logger.dump(self.num_timesteps)  # the algorithm does not dump after its last step

    checkpoint = CheckpointCallback(max(hp.checkpoint_freq // hp.n_envs, 1), str(run_dir / "checkpoints"),
                                    save_vecnormalize=hp.normalize_obs or hp.normalize_reward)
    return [EnvMetrics(), EvalVsJMMPRA(), checkpoint]


def _model(algo: str, hp: Any, venv: Any, seed: int, device: str, tb_dir: Path) -> Any:
    """A fresh PPO (``ppo``, ``hybrid``) or SAC (``sac``) with the validated hyperparameters."""
    import torch
    from stable_baselines3 import PPO, SAC

    policy_kwargs = {"net_arch": list(hp.policy_kwargs.net_arch),
                     "activation_fn": {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[hp.policy_kwargs.activation_fn]}
    common = {"learning_rate": hp.learning_rate, "gamma": hp.gamma, "batch_size": hp.batch_size, "seed": seed,
              "device": device, "tensorboard_log": str(tb_dir), "policy_kwargs": policy_kwargs, "verbose": 0}
    if algo == "sac":
        return SAC("MlpPolicy", venv, buffer_size=hp.buffer_size, learning_starts=hp.learning_starts, tau=hp.tau,
                   train_freq=hp.train_freq, gradient_steps=hp.gradient_steps, ent_coef=hp.ent_coef, **common)
    return PPO("MlpPolicy", venv, n_steps=hp.n_steps, n_epochs=hp.n_epochs, gae_lambda=hp.gae_lambda,
               clip_range=hp.clip_range, ent_coef=hp.ent_coef, vf_coef=hp.vf_coef, max_grad_norm=hp.max_grad_norm,
               **common)


def _warm_start(hp: Any, model: Any, venv: Any, scenario: str, seed: int) -> dict[str, Any]:
    """Behaviour-clone ``hp.pretrain_teacher`` into the hybrid agent before PPO; the fit's statistics."""
    from stable_baselines3.common.vec_env import VecNormalize

    from rapgym.learning.imitation import collect_demonstrations, pretrain_policy

    start = time.perf_counter()
    demos = collect_demonstrations(hp.pretrain_teacher, scenario, hp.pretrain_steps, seed, hp.gamma, **hp.env_kwargs)
    fit = pretrain_policy(model, demos, venv if isinstance(venv, VecNormalize) else None, hp.pretrain_epochs, seed=seed)
    return {"teacher": hp.pretrain_teacher, "steps": hp.pretrain_steps, **fit, "wall_s": round(time.perf_counter() - start, 1)}


def _versions() -> dict[str, str]:
    import gymnasium
    import stable_baselines3
    import torch

    import rapgym

    return {"rapgym": rapgym.__version__, "stable_baselines3": stable_baselines3.__version__,
            "torch": str(torch.__version__), "gymnasium": gymnasium.__version__, "numpy": np.__version__}


def train(algo: str, scenario: str, timesteps: int, seed: int = 0, *, overrides: dict[str, Any] | None = None,
          device: str = "auto", out: str | Path = "runs", threads: int = 1, progress_bar: bool = True,
          run_name: str | None = None, argv: Sequence[str] | None = None) -> Path:
    """Train ``algo`` on ``scenario`` for ``timesteps`` environment steps (summed over envs); the run folder.

    Args:
        algo: ``"ppo"``, ``"sac"`` or ``"hybrid"``.
        scenario: preset name.
        timesteps: environment steps in total.
        seed: training seed (``0 <= seed < EVAL_SEED_BASE``); env ``i`` gets ``seed + i``.
        overrides: hyperparameters over the YAML (``n_envs`` included), validated.
        device: torch device, ``auto``, ``cpu`` or ``cuda``.
        out: parent folder of the run folder.
        threads: torch CPU threads.
        progress_bar: show SB3's progress bar.
        run_name: run folder name (default ``<algo>-<scenario>-s<seed>-<YYYYmmdd-HHMMSS>``).
        argv: the command line, saved in ``config.yml``.

    Raises:
        HyperparamsError, ScenarioError: invalid hyperparameters or scenario (the message names the key).
        ValueError: seed or timesteps out of range.
    """
    import torch
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    from rapgym.learning.saved_agents import make_learning_env

    if not 0 <= seed < EVAL_SEED_BASE:
        raise ValueError(f"seed must be in [0, {EVAL_SEED_BASE}) (higher seeds are held out for evaluation), got {seed}")
    if timesteps < 1:
        raise ValueError(f"timesteps must be >= 1, got {timesteps}")
    hp = load_hyperparams(algo, scenario, overrides)
    scenario_config = load_scenario(scenario, **hp.env_kwargs)
    torch.set_num_threads(threads)
    name = run_name or f"{algo}-{scenario}-s{seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(out) / name
    run_dir.mkdir(parents=True, exist_ok=False)
    eval_seeds = list(range(EVAL_SEED_BASE, EVAL_SEED_BASE + hp.eval_episodes))
    config = {"algo": algo, "scenario": scenario, "timesteps": timesteps, "seed": seed, "device": device,
              "threads": threads, "argv": list(argv) if argv is not None else None,
              "hyperparams": hp.model_dump(mode="json"), "scenario_config": scenario_config.model_dump(mode="json"),
              "eval_seeds": eval_seeds, "versions": _versions()}
    (run_dir / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    share_levels = getattr(hp, "share_levels", 5)
    venv = make_vec_env(make_learning_env, n_envs=hp.n_envs, seed=seed,
                        vec_env_cls=SubprocVecEnv if hp.vec_env == "subproc" else DummyVecEnv,
                        env_kwargs={"algo": algo, "scenario": scenario, "share_levels": share_levels, **hp.env_kwargs})
    if hp.normalize_obs or hp.normalize_reward:
        venv = VecNormalize(venv, norm_obs=hp.normalize_obs, norm_reward=hp.normalize_reward, gamma=hp.gamma)
    model = _model(algo, hp, venv, seed, device, run_dir / "tb")
    callbacks = _callbacks(algo, scenario, hp, run_dir, eval_seeds)
    start = time.perf_counter()
    warm_start = _warm_start(hp, model, venv, scenario, seed) if getattr(hp, "pretrain_teacher", None) else None
    try:
        model.learn(timesteps, callback=callbacks, tb_log_name=algo, progress_bar=progress_bar)
    finally:
        wall = time.perf_counter() - start
        model.save(run_dir / "model.zip")
        if isinstance(venv, VecNormalize):
            venv.save(str(run_dir / "model_vecnormalize.pkl"))
        venv.close()
    evaluation = callbacks[1]
    result = {"wall_s": round(wall, 1), "timesteps": int(model.num_timesteps), "warm_start": warm_start,
              "best_mean_reward": evaluation.best,
              "final_eval": evaluation.last, "jm_mpra_mean_reward": evaluation.last.get("jm_mpra_mean_reward")}
    (run_dir / "result.yml").write_text(yaml.safe_dump(result, sort_keys=False))
    return run_dir


def compare_run(run_dir: str | Path, episodes: int = 5, policies: Sequence[str] = COMPARE_POLICIES) -> list[Any]:
    """Compare a run's best model (else its final model) with reference policies on held-out episodes.

    Uses the run's scenario and ``env_kwargs``, seeds ``TEST_SEED_BASE + j`` (not used to select the best
    model), and writes the table, CSV and
    plots of :func:`rapgym.evaluation.compare` to ``<run>/comparison/``; prints the table.
    """
    from rich.console import Console

    from rapgym.evaluation.runner import ci_rich_table, compare

    run = Path(run_dir)
    config = yaml.safe_load((run / "config.yml").read_text())
    model = run / "best_model.zip" if (run / "best_model.zip").is_file() else run / "model.zip"
    scenario = config["scenario"]
    seeds = list(range(TEST_SEED_BASE, TEST_SEED_BASE + episodes))
    overrides = eval_env_overrides(scenario, config["hyperparams"]["env_kwargs"])
    rows = compare([scenario], [str(model), *policies], seeds, run / "comparison", **overrides)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(ci_rich_table(rows, f"{scenario}: held-out seeds {seeds[0]}..{seeds[-1]}, mean ± 95 % CI over episodes"))
    console.print(f"wrote {run / 'comparison'}: comparison.md, comparison.csv, episodes.csv, latency_cdf_{scenario}.png, "
                  f"decisions_{scenario}.png")
    return rows
