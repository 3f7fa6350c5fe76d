"""Train a Stable-Baselines3 agent (PPO, SAC or the hybrid) on a scenario, and compare it; the library behind ``train.py``.

A run writes one folder (:mod:`rapgym.learning.run_folder`). Each algorithm learns on its action encoding
(:mod:`rapgym.learning.encodings`); the callbacks (:mod:`rapgym.learning.callbacks`) log the env metrics
and evaluate the agent against JM-MPRA on held-out episodes (:mod:`rapgym.learning.held_out`), keeping
the best model.

A run can start from an earlier run's saved model instead of fresh weights (``trained_agent``,
:mod:`rapgym.learning.trained_start`), e.g. to fine-tune on one preset an agent trained on another.

The hybrid agent is warm-started by default: before PPO, its actor is behaviour-cloned from JM-MPRA's
cut/bits decisions and its critic fitted to JM-MPRA's returns (:mod:`rapgym.learning.imitation`); the
warm-started policy is evaluated on the held-out episodes before PPO starts (timesteps 0), so the kept best
model is never worse there than the warm start.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from rapgym.configs.hyperparams import HybridHyperparams, load_hyperparams
from rapgym.configs.scenario import load_scenario
from rapgym.errors import HyperparamsError
from rapgym.evaluation.comparison import compare
from rapgym.evaluation.tables import ci_rich_table
from rapgym.learning.encodings import make_sb3_env, share_levels_of
from rapgym.learning.held_out import EVAL_SEED_BASE, comparison_seeds, eval_env_overrides, eval_seeds
from rapgym.learning.imitation import warm_start
from rapgym.learning.models import build_model, require_train_extra
from rapgym.learning.run_folder import RunFolder, default_run_name, vecnormalize_path, versions
from rapgym.learning.saved_agents import register_saved_agents
from rapgym.learning.trained_start import load_trained_start

__all__ = ["COMPARE_POLICIES", "compare_run", "train"]

COMPARE_POLICIES = ("jm-mpra", "rap", "rap-equal", "iao", "neurosurgeon", "accuracy-budget", "device-only",
                    "cloud-only", "random")
"""Reference policies a trained agent is compared with by ``--compare`` (the clairvoyant oracle is left out)."""


def train(algo: str, scenario: str, timesteps: int | None = None, seed: int = 0, *, overrides: dict[str, Any] | None = None,
          device: str = "auto", out: str | Path = "runs", threads: int = 1, progress_bar: bool = True,
          run_name: str | None = None, argv: Sequence[str] | None = None,
          on_evaluation: Callable[[dict[str, float]], None] | None = None,
          trained_agent: str | Path | None = None) -> Path:
    """Train ``algo`` on ``scenario`` for ``timesteps`` environment steps (summed over envs); the run folder.

    Args:
        algo: ``"ppo"``, ``"sac"`` or ``"hybrid"``.
        scenario: preset name.
        timesteps: environment steps in total (default: the hyperparameters' ``n_timesteps``).
        seed: training seed (``0 <= seed < EVAL_SEED_BASE``); env ``i`` gets ``seed + i``.
        overrides: hyperparameters over the YAML (``n_envs`` included), validated.
        device: torch device, ``auto``, ``cpu`` or ``cuda``.
        out: parent folder of the run folder.
        threads: torch CPU threads.
        progress_bar: show SB3's progress bar.
        run_name: run folder name (default ``<algo>-<scenario>-s<seed>-<YYYYmmdd-HHMMSS>``).
        argv: the command line, saved in ``config.yml``.
        on_evaluation: called with each held-out evaluation's row (``EVAL_COLUMNS`` of
            :mod:`rapgym.learning.callbacks`), e.g. to report it to a hyperparameter search.
        trained_agent: a saved model of an earlier run to start from (:mod:`rapgym.learning.trained_start`): its
            weights replace the fresh ones (and the hybrid's warm start), and it is evaluated before the first
            update, so model selection can keep it.

    Raises:
        HyperparamsError: invalid hyperparameters, seed or timesteps (the message names the key).
        ScenarioError: invalid scenario (the message names the field).
        MissingDependencyError: torch or SB3 is missing (the ``train`` extra).
        PolicyError: ``trained_agent`` is missing or does not fit this run (the message names both sides).
    """
    if not 0 <= seed < EVAL_SEED_BASE:
        raise HyperparamsError(f"seed must be in [0, {EVAL_SEED_BASE}) (higher seeds are held out for evaluation), got {seed}")
    require_train_extra()
    import torch
    from stable_baselines3.common.callbacks import CheckpointCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecMonitor, VecNormalize

    from rapgym.learning.callbacks import EnvMetricsCallback, EvalVsJMMPRACallback

    hp = load_hyperparams(algo, scenario, overrides)
    timesteps = hp.n_timesteps if timesteps is None else timesteps
    if timesteps < 1:
        raise HyperparamsError(f"timesteps must be >= 1, got {timesteps}")
    scenario_config = load_scenario(scenario, **hp.env_kwargs)
    start_from = None
    if trained_agent is not None:
        start_from = load_trained_start(algo, trained_agent, hp, scenario_config)
        hp = start_from.fit_hyperparams(hp)
    torch.set_num_threads(threads)
    run = RunFolder(Path(out) / (run_name or default_run_name(algo, scenario, seed)))
    run.path.mkdir(parents=True, exist_ok=False)
    seeds = eval_seeds(hp.eval_episodes)
    run.write_config({"algo": algo, "scenario": scenario, "timesteps": timesteps, "seed": seed, "device": device,
                      "threads": threads, "argv": list(argv) if argv is not None else None,
                      "trained_agent": None if start_from is None else str(start_from.path),
                      "hyperparams": hp.model_dump(mode="json"), "scenario_config": scenario_config.model_dump(mode="json"),
                      "eval_seeds": seeds, "versions": versions()})

    share_levels = share_levels_of(hp.model_dump())
    if hp.vec_env == "native":
        from rapgym.learning.vec_env import NativeVecEnv

        venv = VecMonitor(NativeVecEnv(algo, scenario, hp.n_envs, share_levels, **hp.env_kwargs))
        venv.seed(seed)
    else:
        venv = make_vec_env(make_sb3_env, n_envs=hp.n_envs, seed=seed,
                            vec_env_cls=SubprocVecEnv if hp.vec_env == "subproc" else DummyVecEnv,
                            env_kwargs={"algo": algo, "scenario": scenario, "share_levels": share_levels, **hp.env_kwargs})
    normalizer = None
    if hp.normalize_obs or hp.normalize_reward:
        venv = normalizer = VecNormalize(venv, norm_obs=hp.normalize_obs, norm_reward=hp.normalize_reward, gamma=hp.gamma)
    model = build_model(algo, hp, venv, seed, device, run.tensorboard)
    if start_from is not None:
        start_from.apply(model, normalizer)
    env_metrics = EnvMetricsCallback(hp.log_interval_steps)
    warm_started = start_from is None and isinstance(hp, HybridHyperparams) and hp.pretrain_teacher is not None
    evaluation = EvalVsJMMPRACallback(algo, scenario, hp.env_kwargs, seeds, hp.eval_freq, share_levels, run,
                                       on_evaluation, evaluate_at_start=warm_started or start_from is not None)
    checkpoints = CheckpointCallback(max(hp.checkpoint_freq // hp.n_envs, 1), str(run.checkpoints),
                                     save_vecnormalize=normalizer is not None)
    start = time.perf_counter()
    warm = None
    if warm_started:
        warm = warm_start(hp, model, normalizer, scenario, seed, seeds)
    try:
        model.learn(timesteps, callback=[env_metrics, evaluation, checkpoints],
                    tb_log_name=algo, progress_bar=progress_bar)
    finally:
        wall = time.perf_counter() - start
        model.save(run.model)
        if normalizer is not None:
            normalizer.save(str(vecnormalize_path(run.model)))
        venv.close()
    run.write_result({"wall_s": round(wall, 1), "timesteps": int(model.num_timesteps), "warm_start": warm,
                      "best_mean_reward": evaluation.best, "final_eval": evaluation.last,
                      "jm_mpra_mean_reward": evaluation.last.get("jm_mpra_mean_reward")})
    return run.path


def compare_run(run_dir: str | Path, episodes: int = 5, policies: Sequence[str] = COMPARE_POLICIES) -> list[Any]:
    """Compare a run's best model (else its final model) with reference policies on held-out episodes.

    Uses the run's scenario and ``env_kwargs``, seeds ``TEST_SEED_BASE + j`` (not used to select the best
    model), writes the table, CSV and plots of :func:`rapgym.evaluation.comparison.compare` to
    ``<run>/comparison/`` and prints the table; returns its rows.
    """
    register_saved_agents()
    run = RunFolder(Path(run_dir))
    config = run.read_config()
    scenario = config["scenario"]
    seeds = comparison_seeds(episodes)
    overrides = eval_env_overrides(scenario, config["hyperparams"]["env_kwargs"])
    rows = compare([scenario], [str(run.best_or_final_model()), *policies], seeds, run.comparison, **overrides)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(ci_rich_table(rows, f"{scenario}: held-out seeds {seeds[0]}..{seeds[-1]}, mean ± 95 % CI over episodes"))
    console.print(f"wrote {run.comparison}: comparison.md, comparison.csv, episodes.csv, latency_cdf_{scenario}.png, "
                  f"decisions_{scenario}.png")
    return rows
