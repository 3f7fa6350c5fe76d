"""Starting a run from a saved agent (``train(..., trained_agent=...)``, ``--trained-agent``): transfer and refusals."""

from __future__ import annotations

import csv
import pickle

import numpy as np
import pytest

from rapgym.cli.train import main as train_main
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.evaluation.runner import run_episode
from rapgym.learning.held_out import eval_seeds
from rapgym.learning.run_folder import RunFolder, vecnormalize_path
from rapgym.learning.saved_agents import load_agent
from rapgym.learning.train import train

TINY_ENV = {"num_users": 2, "episode_slots": 16}
HYBRID_SET = {"n_envs": 1, "n_steps": 32, "batch_size": 32, "n_epochs": 1, "pretrain_steps": 40, "pretrain_epochs": 2,
              "policy_kwargs": {"network": "set", "net_arch": [16], "embed_dim": 8}, "normalize_obs": False,
              "env_kwargs": TINY_ENV, "eval_freq": 32, "eval_episodes": 2, "checkpoint_freq": 10_000}
PPO_MLP = {"n_envs": 1, "n_steps": 32, "batch_size": 32, "n_epochs": 1, "policy_kwargs": {"network": "mlp", "net_arch": [8]},
           "normalize_obs": True, "env_kwargs": TINY_ENV, "eval_freq": 32, "eval_episodes": 1, "checkpoint_freq": 10_000}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny hybrid on the set network (4 users: 23 cut points with VGG-16) and a tiny flat-MLP PPO with observation
    statistics (2 users), both trained on ``default``: their final models."""
    out = tmp_path_factory.mktemp("saved")
    four_users = {**HYBRID_SET, "env_kwargs": {**TINY_ENV, "num_users": 4}}
    hybrid = RunFolder(train("hybrid", "default", 64, seed=1, overrides=four_users, out=out, progress_bar=False,
                             run_name="hybrid")).model
    ppo = RunFolder(train("ppo", "default", 32, seed=1, overrides=PPO_MLP, out=out, progress_bar=False,
                          run_name="ppo")).model
    return {"hybrid": hybrid, "ppo": ppo}


def test_a_set_network_trained_on_one_preset_starts_a_run_on_another_with_fewer_users_and_cuts(saved, tmp_path):
    # 4 users of default have up to 23 cut points, 2 of 3g-hsdpa 21: the set network keeps its 23 input rows
    run = RunFolder(train("hybrid", "3g-hsdpa", 32, seed=2, overrides=HYBRID_SET, out=tmp_path, progress_bar=False,
                          run_name="tuned", trained_agent=saved["hybrid"]))
    config, result = run.read_config(), run.read_result()
    assert config["trained_agent"] == str(saved["hybrid"])
    assert config["hyperparams"]["policy_kwargs"]["max_cuts"] == 23
    assert result["warm_start"] is None  # the trained agent replaces the behaviour-cloning warm start
    with run.evaluations.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["timesteps"]) for r in rows] == [0, 32]
    # before the first update the run's model is the saved agent: its evaluation equals the saved agent's own
    env = MultiUserEndCloudEnv("3g-hsdpa", **TINY_ENV)
    agent = load_agent(saved["hybrid"], env)
    returns = [run_episode(env, agent, s)["return"] for s in eval_seeds(2)]
    assert float(rows[0]["mean_reward"]) == pytest.approx(np.mean(returns), rel=1e-12)


def test_a_flat_mlp_trained_on_observations_of_another_size_is_refused_before_any_folder(saved, tmp_path):
    overrides = {**PPO_MLP, "env_kwargs": {**TINY_ENV, "num_users": 3}}
    with pytest.raises(PolicyError, match=r"shape \(\d+,\); this run's env gives \(\d+,\)"):
        train("ppo", "default", 32, overrides=overrides, out=tmp_path, progress_bar=False, trained_agent=saved["ppo"])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("algo", "change", "message"), [
    ("ppo", {}, "is a 'hybrid' agent; this run trains 'ppo'"),
    ("hybrid", {"policy_kwargs": {"network": "set", "net_arch": [32], "embed_dim": 8}},
     r"policy_kwargs.net_arch \[16\]; this run's is \[32\]"),
    ("hybrid", {"env_kwargs": {**TINY_ENV, "bits": [32, 8]}}, r"trained with bits \[32, 16, 8, 4, 2\]"),
])
def test_an_agent_that_does_not_fit_the_run_is_refused_naming_both_sides(saved, algo, change, message, tmp_path):
    overrides = {**(HYBRID_SET if algo == "hybrid" else PPO_MLP), **change}
    with pytest.raises(PolicyError, match=message):
        train(algo, "default", 32, overrides=overrides, out=tmp_path, progress_bar=False, trained_agent=saved["hybrid"])
    assert not list(tmp_path.iterdir())


def test_a_set_network_built_for_fewer_cuts_is_refused_before_any_folder(saved, tmp_path):
    # 2 users of 3g-hsdpa have 21 cut points, 4 users of default 23
    fewer = RunFolder(train("hybrid", "3g-hsdpa", 32, seed=1, overrides=HYBRID_SET, out=tmp_path / "saved",
                            progress_bar=False, run_name="fewer")).model
    four_users = {**HYBRID_SET, "env_kwargs": {**TINY_ENV, "num_users": 4}}
    with pytest.raises(PolicyError, match="max_cuts 21 cut points per user; this run's scenario has models with 23"):
        train("hybrid", "default", 32, overrides=four_users, out=tmp_path / "runs", progress_bar=False,
              trained_agent=fewer)
    assert not (tmp_path / "runs").exists()


def test_a_flat_mlp_starts_with_its_observation_statistics(saved, tmp_path):
    run = RunFolder(train("ppo", "default", 32, seed=2, overrides=PPO_MLP, out=tmp_path, progress_bar=False,
                          run_name="tuned", trained_agent=saved["ppo"]))
    before, after = (pickle.loads(vecnormalize_path(m).read_bytes()).obs_rms for m in (saved["ppo"], run.model))
    # the saved statistics went on counting: one reset and 32 steps of one env (fresh ones would count ~33)
    assert after.count == pytest.approx(before.count + 33, rel=1e-12)


def test_an_agent_with_observation_statistics_is_refused_by_a_run_without(saved, tmp_path):
    with pytest.raises(PolicyError, match="normalize_obs true; this run has normalize_obs false"):
        train("ppo", "default", 32, overrides={**PPO_MLP, "normalize_obs": False}, out=tmp_path, progress_bar=False,
              trained_agent=saved["ppo"])
    assert not list(tmp_path.iterdir())


def test_a_missing_trained_agent_or_one_without_its_run_folder_is_an_argparse_error(tmp_path, capsys):
    orphan = tmp_path / "model.zip"
    orphan.write_bytes(b"")
    for path, message in ((tmp_path / "nowhere.zip", "not found"), (orphan, "config.yml")):
        with pytest.raises(SystemExit) as exc:
            train_main(["--algo", "ppo", "--timesteps", "10", "--out", str(tmp_path / "runs"), "--trained-agent", str(path)])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "--trained-agent" in err and message in err
    assert not (tmp_path / "runs").exists()
