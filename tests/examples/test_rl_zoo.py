"""RL Baselines3 Zoo trains on the shipped ``rapgym/configs/rl_zoo/ppo.yml``; ``rapgym-evaluate`` ranks what it saved."""

from __future__ import annotations

import csv
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import yaml

from rapgym.cli import evaluate as evaluate_cli
from rapgym.errors import HyperparamsError
from rapgym.integrations.rl_zoo import RL_ZOO_ALGOS, conf_file
from rapgym.learning.encodings import make_sb3_env

ENV_ID = "rapgym/MultiUserEndCloud-v0"
TINY_ENV = ["num_users:2", "episode_slots:16"]


@pytest.mark.parametrize("algo", RL_ZOO_ALGOS)
def test_the_shipped_wrappers_build_the_env_rapgym_trains_on(algo):
    pytest.importorskip("rl_zoo3", reason="needs the zoo extra (rl_zoo3)")
    from rl_zoo3.utils import get_wrapper_class
    from stable_baselines3.common.env_checker import check_env

    hyperparams = yaml.safe_load(conf_file(algo).read_text())[ENV_ID]
    env = get_wrapper_class(hyperparams)(gym.make(ENV_ID, num_users=2, episode_slots=8))  # as RL-Zoo wraps it
    ours = make_sb3_env(algo, num_users=2, episode_slots=8)
    assert (env.observation_space, env.action_space) == (ours.observation_space, ours.action_space)
    check_env(env)
    obs, _ = env.reset(seed=0)
    ours_obs, _ = ours.reset(seed=0)
    np.testing.assert_array_equal(obs, ours_obs)


def test_unknown_algos_have_no_file():
    with pytest.raises(HyperparamsError, match="no RL-Zoo hyperparameters for algo 'dqn'; allowed: ppo, sac"):
        conf_file("dqn")


def test_rl_zoo_trains_a_few_hundred_steps_and_evaluate_ranks_the_saved_agent(tmp_path):
    pytest.importorskip("rl_zoo3", reason="needs the zoo extra (rl_zoo3)")
    cmd = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "--env", ENV_ID, "--gym-packages", "rapgym",
           "--conf-file", str(conf_file("ppo")), "-n", "256", "--env-kwargs", *TINY_ENV, "--hyperparams", "n_envs:1",
           "n_steps:64", "batch_size:32", "n_epochs:1", "-f", str(tmp_path / "logs"), "--seed", "0", "--eval-freq", "-1",
           "--vec-env", "dummy"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    folder = tmp_path / "logs" / "ppo" / "rapgym-MultiUserEndCloud-v0_1"
    model = folder / "rapgym-MultiUserEndCloud-v0.zip"
    assert model.is_file() and (folder / "rapgym-MultiUserEndCloud-v0" / "vecnormalize.pkl").is_file()
    from stable_baselines3 import PPO

    assert PPO.load(model).observation_space == make_sb3_env("ppo", num_users=2).observation_space
    out = tmp_path / "cmp"
    rc = evaluate_cli.main(["--agents", str(model), "--agent-encoding", "ppo", "--policies", "device-only", "--seeds", "0",
                            "--num-users", "2", "--episode-slots", "16", "--out", str(out)])
    assert rc == 0
    assert [r["policy"] for r in csv.DictReader(open(out / "comparison.csv"))] == [
        "rapgym-MultiUserEndCloud-v0_1/rapgym-MultiUserEndCloud-v0:ppo", "device-only"]
