"""``train.py`` / ``rapgym.learning.train``, the hybrid action wrapper, saved agents in ``evaluate.py`` (issue 6)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import yaml
from stable_baselines3.common.env_checker import check_env

from rapgym.agents.allocation import closed_form_shares
from rapgym.cli.train import main as train_main
from rapgym.configs.hyperparams import load_hyperparams
from rapgym.configs.overrides import parse_overrides
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import HyperparamsError
from rapgym.learning.hybrid import HybridAction
from rapgym.learning.saved_agents import load_agent, make_learning_env, vecnormalize_path
from rapgym.learning.train import compare_run, train

TINY_ENV = {"num_users": 2, "episode_slots": 16}
TINY = {
    "ppo": {"n_envs": 2, "n_steps": 32, "batch_size": 32, "n_epochs": 1},
    "hybrid": {"n_envs": 1, "n_steps": 64, "batch_size": 32, "n_epochs": 1, "pretrain_steps": 40, "pretrain_epochs": 2},
    "sac": {"n_envs": 1, "learning_starts": 32, "batch_size": 16, "buffer_size": 1000, "train_freq": 8},
}


def _evaluate_cli():
    from rapgym.cli import evaluate

    return evaluate


@pytest.mark.parametrize("algo", ["ppo", "sac", "hybrid"])
def test_tiny_run_saves_reloads_and_is_evaluated_by_evaluate_py(algo, tmp_path):
    overrides = {**TINY[algo], "env_kwargs": TINY_ENV, "policy_kwargs": {"net_arch": [16]}, "eval_freq": 128,
                 "eval_episodes": 1, "checkpoint_freq": 128}
    run = train(algo, "default", 256, seed=3, overrides=overrides, out=tmp_path, progress_bar=False, run_name=algo)
    for name in ("config.yml", "model.zip", "model_vecnormalize.pkl", "best_model.zip", "best_model_vecnormalize.pkl",
                 "evaluations.csv", "result.yml"):
        assert (run / name).is_file(), name
    assert list((run / "tb").rglob("events.out.tfevents.*"))
    config = yaml.safe_load((run / "config.yml").read_text())
    assert config["algo"] == algo and config["seed"] == 3 and config["hyperparams"]["env_kwargs"] == TINY_ENV
    assert config["scenario_config"]["num_users"] == 2
    if algo == "hybrid":  # warm-started from JM-MPRA by default
        warm = yaml.safe_load((run / "result.yml").read_text())["warm_start"]
        assert warm["teacher"] == "jm-mpra" and 0 <= warm["accuracy"] <= 1
    checkpoints = sorted((run / "checkpoints").glob("*_steps.zip"))
    assert checkpoints and vecnormalize_path(checkpoints[0]).is_file()

    env = MultiUserEndCloudEnv("default", **TINY_ENV)
    agent = load_agent(run / "best_model.zip", env)
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs)
    assert env.action_space.contains(action)
    assert env.action_space.contains(load_agent(checkpoints[0], env).predict(obs)[0])

    out = tmp_path / "cmp"
    rc = _evaluate_cli().main(["--agents", str(run / "best_model.zip"), "--policies", "jm-mpra", "device-only",
                               "--seeds", "0", "1", "--num-users", "2", "--episode-slots", "16", "--plots", "--out", str(out)])
    assert rc == 0
    table = (out / "comparison.md").read_text()
    assert f"{algo}/best_model" in table and "jm-mpra" in table and "±" in table
    for name in ("comparison.csv", "episodes.csv", "latency_cdf_default.png", "decisions_default.png"):
        assert (out / name).is_file(), name
    if algo == "hybrid":  # train.py --compare: the run's best model against reference policies on unseen seeds
        rows = compare_run(run, episodes=2, policies=("jm-mpra", "rap"))
        assert [r.policy for r in rows] == ["hybrid/best_model", "jm-mpra", "rap"]
        assert (run / "comparison" / "comparison.md").is_file()


@pytest.mark.parametrize("scenario", ["default", "shared-cell"])
def test_hybrid_wrapper_passes_sb3_check_env_without_warnings(scenario):
    env = make_learning_env("hybrid", scenario, num_users=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env)


def test_hybrid_shares_are_the_closed_form_allocation_of_the_offered_cloud_work():
    env = HybridAction(MultiUserEndCloudEnv("default", num_users=4))
    obs, _ = env.reset(seed=0)
    k_dev = obs["cut_mask"].sum(axis=1) - 1
    kmax = obs["cut_mask"].shape[1] - 1
    assert k_dev[2] < kmax  # user 2's model has fewer cuts than the largest: index kmax is padding
    split = np.array([0, 3, kmax, k_dev[3]])  # cloud-only, a middle cut, padded (means device-only), device-only
    bits_idx = np.array([0, 2, 1, 4])
    action = env.action(np.concatenate([split, bits_idx]))
    fps = np.asarray(env.unwrapped.config.per_user("fps"))
    work = np.array([fps[i] * obs["profile"][i, split[i], 1] if split[i] < k_dev[i] else 0.0 for i in range(4)])
    np.testing.assert_allclose(action["compute_share"], closed_form_shares(work), rtol=1e-6)
    assert action["compute_share"][2] == 0 and action["compute_share"][3] == 0
    np.testing.assert_array_equal(action["split"], split)
    np.testing.assert_array_equal(action["bits"], bits_idx)
    env.step(np.concatenate([split, bits_idx]))


@pytest.mark.parametrize(("overrides", "key"), [({"lerning_rate": 1e-3}, "lerning_rate"), ({"n_steps": 0}, "n_steps"),
                                                ({"policy_kwargs": {"net_arch": []}}, "policy_kwargs.net_arch"),
                                                ({"vec_env": "threads"}, "vec_env")])
def test_bad_hyperparameters_fail_with_a_message_naming_the_key(overrides, key):
    with pytest.raises(HyperparamsError, match=f"'{key}'"):
        load_hyperparams("ppo", "default", overrides)


def test_warm_start_with_reward_normalisation_is_refused_naming_the_keys():
    with pytest.raises(HyperparamsError, match="'pretrain_teacher' needs key 'normalize_reward' false"):
        load_hyperparams("hybrid", "default", {"normalize_reward": True})


def test_a_bad_key_in_a_yaml_file_is_named():
    with pytest.raises(HyperparamsError, match="unknown key 'gama'"):
        load_hyperparams("sac", "unstable-lte", entries={"default": {"gamma": 0.9}, "unstable-lte": {"gama": 0.9}})


def test_scenario_entry_merges_over_default_and_overrides_parse_as_yaml():
    entries = {"default": {"n_envs": 2, "env_kwargs": {"num_users": 4}}, "stable-wifi": {"env_kwargs": {"episode_slots": 9}}}
    hp = load_hyperparams("hybrid", "stable-wifi", parse_overrides(["learning_rate=1e-3", "policy_kwargs.net_arch=[8,8]"]),
                          entries=entries)
    assert hp.n_envs == 2 and hp.env_kwargs == {"num_users": 4, "episode_slots": 9}
    assert hp.learning_rate == 1e-3 and hp.policy_kwargs.net_arch == [8, 8]


@pytest.mark.parametrize(("argv", "message"), [
    (["--algo", "dqn", "--timesteps", "10"], "invalid choice: 'dqn'"),
    (["--algo", "ppo", "--timesteps", "0"], "must be a positive integer"),
    (["--algo", "ppo", "--timesteps", "10", "--seed", "1000000"], "held out"),
    (["--algo", "ppo", "--timesteps", "10", "--scenario", "moon"], "invalid choice: 'moon'"),
    (["--algo", "ppo", "--timesteps", "10", "--hyperparams", "lerning_rate=0.1"], "unknown key 'lerning_rate'"),
    (["--algo", "sac", "--timesteps", "10", "--hyperparams", "batch_size"], "must look like key=value"),
    (["--algo", "ppo"], "the following arguments are required: --timesteps"),
])
def test_bad_cli_arguments_exit_nonzero_with_an_argparse_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        train_main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
