"""Training callbacks: ``env/*`` aggregation and the held-out evaluation against JM-MPRA."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from rapgym.learning.callbacks import ENV_METRICS, EVAL_COLUMNS, EnvMetricsCallback, EvalVsJMMPRACallback
from rapgym.learning.encodings import make_sb3_env
from rapgym.learning.held_out import eval_seeds
from rapgym.learning.run_folder import RunFolder, vecnormalize_path

TINY_ENV = {"num_users": 2, "episode_slots": 8}


def _info(tasks, completed, dropped, misses, latency_s, accuracy, load, mbps):
    return {"tasks": tasks, "completed": completed, "dropped": dropped, "deadline_misses": misses,
            "mean_latency_s": latency_s, "mean_accuracy": accuracy, "cloud_load": load, "uplink_mbps": mbps}


def test_env_metrics_are_task_weighted_over_each_logging_window():
    model = SimpleNamespace(get_env=lambda: None, logger=Logger(folder=None, output_formats=[]), num_timesteps=0)
    callback = EnvMetricsCallback(log_interval_steps=2)
    callback.init_callback(model)
    callback.on_training_start({}, {})
    steps = [[_info(4, 2, 1, 1, 0.5, 70.0, 0.2, 10.0), _info(2, 0, 0, 0, 0.0, 0.0, 0.4, 30.0)],
             [_info(2, 2, 1, 0, 0.2, 80.0, 0.6, 20.0), _info(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0)]]
    for infos in steps:
        model.num_timesteps += 1
        callback.update_locals({"infos": infos})
        callback.on_step()
    logged = {key.removeprefix("env/"): value for key, value in model.logger.name_to_value.items()}
    assert set(logged) == set(ENV_METRICS)
    assert logged["mean_latency_s"] == pytest.approx((0.5 * 2 + 0.2 * 2) / 4)
    assert logged["mean_accuracy"] == pytest.approx(75.0)
    assert logged["deadline_miss_rate"] == pytest.approx(1 / 8) and logged["drop_rate"] == pytest.approx(2 / 8)
    assert logged["cloud_load"] == pytest.approx(1.2 / 2) and logged["uplink_mbps"] == pytest.approx(60.0 / 2)


def test_evaluation_writes_its_row_keeps_the_best_model_and_logs_the_gap(tmp_path):
    run = RunFolder(tmp_path)
    venv = VecNormalize(DummyVecEnv([lambda: make_sb3_env("hybrid", **TINY_ENV)]))
    model = PPO("MlpPolicy", venv, n_steps=8, batch_size=8, seed=0, policy_kwargs={"net_arch": [8]}, device="cpu")
    model.set_logger(Logger(folder=None, output_formats=[]))
    callback = EvalVsJMMPRACallback("hybrid", "default", TINY_ENV, eval_seeds(2), eval_freq=4, share_levels=5, run=run)
    callback.init_callback(model)
    callback.on_training_start({}, {})
    callback.evaluate()
    with run.evaluations.open() as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == EVAL_COLUMNS and len(rows) == 2
    assert callback.last["mean_reward"] == callback.best == pytest.approx(float(rows[1][1]))
    assert np.isfinite(callback.last["jm_mpra_mean_reward"])
    assert run.best_model.is_file() and vecnormalize_path(run.best_model).is_file()
    assert model.logger.name_to_value["eval/gap_vs_jm_mpra"] == pytest.approx(
        callback.last["mean_reward"] - callback.last["jm_mpra_mean_reward"])
