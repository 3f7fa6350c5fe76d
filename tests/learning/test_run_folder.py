"""The run folder's layout: where the ``VecNormalize`` statistics and ``config.yml`` of a saved model are."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapgym.learning.run_folder import RunFolder, default_run_name, read_run_config, vecnormalize_path


def test_vecnormalize_statistics_sit_next_to_each_model_and_checkpoint():
    assert vecnormalize_path("runs/r/best_model.zip") == Path("runs/r/best_model_vecnormalize.pkl")
    assert vecnormalize_path("runs/r/model.zip") == Path("runs/r/model_vecnormalize.pkl")
    assert vecnormalize_path("runs/r/checkpoints/rl_model_256_steps.zip") == Path(
        "runs/r/checkpoints/rl_model_vecnormalize_256_steps.pkl")


def test_run_config_is_found_next_to_a_model_or_one_folder_up(tmp_path):
    run = RunFolder(tmp_path / "ppo-default-s0")
    (run.checkpoints).mkdir(parents=True)
    run.write_config({"algo": "ppo", "seed": 0})
    assert read_run_config(run.best_model) == {"algo": "ppo", "seed": 0}
    assert read_run_config(run.checkpoints / "rl_model_8_steps.zip")["algo"] == "ppo"
    with pytest.raises(FileNotFoundError, match="config.yml"):
        read_run_config(tmp_path / "elsewhere" / "deeper" / "model.zip")


def test_best_model_is_preferred_over_the_final_one(tmp_path):
    run = RunFolder(tmp_path)
    run.model.write_bytes(b"")
    assert run.best_or_final_model() == run.model
    run.best_model.write_bytes(b"")
    assert run.best_or_final_model() == run.best_model
    run.write_result({"wall_s": 1.0})
    assert run.read_result() == {"wall_s": 1.0}


def test_default_run_name_names_algo_scenario_and_seed():
    assert default_run_name("sac", "default", 7).startswith("sac-default-s7-")
