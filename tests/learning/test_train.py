"""``train.py`` / :func:`rapgym.learning.train.train`: tiny runs of every algorithm, their reload and comparison, the CLI."""

from __future__ import annotations

import csv
import sys

import pytest

from rapgym.cli import evaluate as evaluate_cli
from rapgym.cli.train import main as train_main
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import HyperparamsError
from rapgym.learning.callbacks import EVAL_COLUMNS
from rapgym.learning.held_out import EVAL_SEED_BASE
from rapgym.learning.run_folder import RunFolder, vecnormalize_path
from rapgym.learning.saved_agents import load_agent
from rapgym.learning.train import compare_run, train

TINY_ENV = {"num_users": 2, "episode_slots": 16}
TINY = {
    "ppo": {"n_envs": 2, "n_steps": 32, "batch_size": 32, "n_epochs": 1},
    "hybrid": {"n_envs": 1, "n_steps": 64, "batch_size": 32, "n_epochs": 1, "pretrain_steps": 40, "pretrain_epochs": 2},
    "sac": {"n_envs": 1, "learning_starts": 32, "batch_size": 16, "buffer_size": 1000, "train_freq": 8},
}


@pytest.mark.parametrize("algo", ["ppo", "sac", "hybrid"])
def test_tiny_run_saves_reloads_and_is_evaluated_by_evaluate_py(algo, tmp_path):
    overrides = {**TINY[algo], "env_kwargs": TINY_ENV, "policy_kwargs": {"net_arch": [16]}, "eval_freq": 128,
                 "eval_episodes": 1, "checkpoint_freq": 128}
    run = RunFolder(train(algo, "default", 256, seed=3, overrides=overrides, out=tmp_path, progress_bar=False,
                          run_name=algo))
    for path in (run.config, run.model, vecnormalize_path(run.model), run.best_model, vecnormalize_path(run.best_model),
                 run.evaluations, run.result):
        assert path.is_file(), path
    assert list(run.tensorboard.rglob("events.out.tfevents.*"))
    config = run.read_config()
    assert config["algo"] == algo and config["seed"] == 3 and config["hyperparams"]["env_kwargs"] == TINY_ENV
    assert config["scenario_config"]["num_users"] == 2 and config["eval_seeds"] == [EVAL_SEED_BASE]
    assert ("share_levels" in config["hyperparams"]) == (algo == "ppo")
    with run.evaluations.open() as handle:
        rows = list(csv.reader(handle))
    # a warm-started run is also evaluated before its first update, so model selection can keep the warm start
    first = [0] if algo == "hybrid" else []
    assert tuple(rows[0]) == EVAL_COLUMNS and [int(r[0]) for r in rows[1:]] == [*first, 128, 256]
    result = run.read_result()
    assert result["best_mean_reward"] == max(float(r[1]) for r in rows[1:])
    assert result["final_eval"]["timesteps"] == 256
    if algo == "hybrid":  # warm-started from JM-MPRA by default
        assert result["warm_start"]["teacher"] == "jm-mpra" and 0 <= result["warm_start"]["accuracy"] <= 1
    checkpoints = sorted(run.checkpoints.glob("*_steps.zip"))
    assert checkpoints and vecnormalize_path(checkpoints[0]).is_file()

    env = MultiUserEndCloudEnv("default", **TINY_ENV)
    agent = load_agent(run.best_model, env)
    assert agent.name == f"{algo}:{algo}/best_model"
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs)
    assert env.action_space.contains(action)
    assert env.action_space.contains(load_agent(checkpoints[0], env).predict(obs)[0])

    out = tmp_path / "cmp"
    rc = evaluate_cli.main(["--agents", str(run.best_model), "--policies", "jm-mpra", "device-only", "--seeds", "0", "1",
                            "--num-users", "2", "--episode-slots", "16", "--plots", "--out", str(out)])
    assert rc == 0
    table = (out / "comparison.md").read_text()
    assert f"{algo}/best_model" in table and "jm-mpra" in table and "±" in table
    for name in ("comparison.csv", "episodes.csv", "latency_cdf_default.png", "decisions_default.png"):
        assert (out / name).is_file(), name
    if algo == "hybrid":  # train.py --compare: the run's best model against reference policies on unseen seeds
        rows = compare_run(run.path, episodes=2, policies=("jm-mpra", "rap"))
        assert [r.policy for r in rows] == ["hybrid/best_model", "jm-mpra", "rap"]
        assert (run.comparison / "comparison.md").is_file()


def test_the_budget_defaults_to_the_yaml_n_timesteps(tmp_path):
    overrides = {**TINY["ppo"], "env_kwargs": TINY_ENV, "policy_kwargs": {"net_arch": [8]}, "eval_freq": 64,
                 "eval_episodes": 1, "checkpoint_freq": 10_000, "n_timesteps": 128}
    run = RunFolder(train("ppo", "default", seed=0, overrides=overrides, out=tmp_path, progress_bar=False, run_name="b"))
    assert run.read_config()["timesteps"] == 128
    assert run.read_result()["timesteps"] == 128  # 2 envs x 32 steps per rollout: 2 rollouts


@pytest.mark.parametrize(("seed", "timesteps", "key"), [(-1, 10, "seed"), (EVAL_SEED_BASE, 10, "seed"), (0, 0, "timesteps")])
def test_out_of_range_seed_or_timesteps_is_a_hyperparams_error_naming_it(seed, timesteps, key, tmp_path):
    with pytest.raises(HyperparamsError, match=key):
        train("ppo", "default", timesteps, seed, out=tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("argv", "message"), [
    (["--algo", "dqn", "--timesteps", "10"], "invalid choice: 'dqn'"),
    (["--algo", "ppo", "--timesteps", "0"], "must be a positive integer"),
    (["--algo", "ppo", "--timesteps", "10", "--seed", "1000000"], "held out"),
    (["--algo", "ppo", "--timesteps", "10", "--scenario", "moon"], "invalid choice: 'moon'"),
    (["--algo", "ppo", "--timesteps", "10", "--hyperparams", "lerning_rate=0.1"], "unknown key 'lerning_rate'"),
    (["--algo", "hybrid", "--timesteps", "10", "--hyperparams", "share_levels=3"], "unknown key 'share_levels'"),
    (["--algo", "sac", "--timesteps", "10", "--hyperparams", "batch_size"], "must look like key=value"),
    (["--algo", "ppo", "--hyperparams", "n_timesteps=0"], "n_timesteps"),
])
def test_bad_cli_arguments_exit_nonzero_with_an_argparse_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        train_main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_core_only_install_is_told_to_install_the_train_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # ``import torch`` now fails as if it were not installed
    with pytest.raises(SystemExit) as exc:
        train_main(["--algo", "ppo", "--timesteps", "10"])
    assert exc.value.code == 2
    assert 'pip install "rapgym[train]"' in capsys.readouterr().err
