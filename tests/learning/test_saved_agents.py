"""Saved agents as policy specs of the evaluation: the resolver learning registers, and bad specs."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from gymnasium import spaces

from rapgym.cli import evaluate as evaluate_cli
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import PolicyError
from rapgym.evaluation.runner import resolve_policy, run_episode
from rapgym.learning.encodings import make_sb3_env
from rapgym.learning.run_folder import RunFolder
from rapgym.learning.saved_agents import (
    RL_ZOO_VECNORMALIZE,
    SB3Agent,
    find_vecnormalize,
    parse_saved_agent_spec,
    register_saved_agents,
    saved_agent_resolver,
)


def test_resolver_leaves_other_specs_to_the_other_resolvers():
    assert saved_agent_resolver("jm-mpra") is None


def test_missing_saved_agents_and_run_configs_are_policy_errors(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        saved_agent_resolver(str(tmp_path / "nowhere.zip"))
    orphan = tmp_path / "a" / "b" / "model.zip"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"")
    with pytest.raises(PolicyError, match="config.yml"):
        saved_agent_resolver(str(orphan))
    with pytest.raises(PolicyError, match="not found"):
        saved_agent_resolver(str(tmp_path / "nowhere.zip") + ":ppo")


def test_registration_makes_zip_specs_resolvable_once(tmp_path):
    register_saved_agents()
    register_saved_agents()
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    run.write_config({"algo": "ppo"})
    run.model.write_bytes(b"")
    assert callable(resolve_policy(str(run.model)))
    with pytest.raises(PolicyError, match="not found"):
        resolve_policy(str(tmp_path / "missing.zip"))


def test_an_agent_trained_on_another_scenario_size_is_refused_naming_the_shapes():
    model = SimpleNamespace(observation_space=spaces.Box(-1, 1, (3,), np.float32))
    with pytest.raises(PolicyError, match=r"shape \(3,\)"):
        SB3Agent(model, "ppo", MultiUserEndCloudEnv("default", num_users=2))


@pytest.mark.parametrize(("spec", "expected"), [
    ("runs/x/best_model.zip", ("runs/x/best_model.zip", None, None)),
    ("logs/ppo/env_1/best_model.zip:ppo", ("logs/ppo/env_1/best_model.zip", "ppo", None)),
    ("a:b/model.zip:ppo,share_levels=3", ("a:b/model.zip", "ppo", 3)),
    ("logs/sac/env_1/best_model.zip:sac", ("logs/sac/env_1/best_model.zip", "sac", None)),
    ("jm-mpra", None),
    ("rap:b0_mbps=4", None),
])
def test_saved_agent_specs_name_the_path_and_optionally_the_encoding(spec, expected):
    parsed = parse_saved_agent_spec(spec)
    assert (parsed if parsed is None else (str(parsed[0]), parsed[1], parsed[2])) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("m.zip:dqn", "encoding 'dqn' unknown; allowed: ppo, sac, hybrid"),
    ("m.zip:ppo,levels=3", "option 'levels' unknown; allowed: share_levels"),
    ("m.zip:ppo,share_levels=0", "share_levels must be an integer >= 1, got 0"),
    ("m.zip:ppo,share_levels", "must look like key=value"),
])
def test_malformed_encoded_specs_are_policy_errors_naming_the_part(spec, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse_saved_agent_spec(spec)


def _zoo_layout(tmp_path: Path, num_users: int = 2, normalize: bool = True) -> Path:
    """A PPO saved the way RL-Zoo saves it: ``<log>/ppo/<env>_1/best_model.zip`` and ``<env>/vecnormalize.pkl``,
    no ``config.yml``; trained on the env RL-Zoo builds from ``rapgym/configs/rl_zoo/ppo.yml``'s wrappers."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    folder = tmp_path / "logs" / "ppo" / "rapgym-MultiUserEndCloud-v0_1"
    (folder / "rapgym-MultiUserEndCloud-v0").mkdir(parents=True)
    venv = DummyVecEnv([lambda: make_sb3_env("ppo", "default", num_users=num_users, episode_slots=8)])
    if normalize:
        venv = VecNormalize(venv)
    model = PPO("MlpPolicy", venv, n_steps=16, batch_size=16, n_epochs=1, policy_kwargs={"net_arch": [8]}, seed=0)
    model.learn(16)
    model.save(folder / "best_model.zip")
    if normalize:
        venv.save(str(folder / "rapgym-MultiUserEndCloud-v0" / RL_ZOO_VECNORMALIZE))
    return folder / "best_model.zip"


def test_an_agent_saved_without_config_yml_is_evaluated_given_its_encoding(tmp_path, capsys):
    pytest.importorskip("stable_baselines3", reason="saved agents need the train extra")
    model = _zoo_layout(tmp_path)
    register_saved_agents()
    with pytest.raises(PolicyError, match=re.escape(f"{model}:ENCODING with ENCODING one of ppo, sac, hybrid")):
        resolve_policy(str(model))
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=8)
    agent = resolve_policy(f"{model}:ppo")(env)
    assert agent._normalizer is not None  # RL-Zoo's statistics were found beside the model
    obs, _ = env.reset(seed=1)
    assert env.action_space.contains(agent.predict(obs)[0])
    with pytest.raises(PolicyError, match="does not load as the 'sac' encoding's model"):
        resolve_policy(f"{model}:sac")(env)
    with pytest.raises(PolicyError, match="the 'hybrid' encoding of this env is MultiDiscrete"):
        resolve_policy(f"{model}:hybrid")(env)
    with pytest.raises(PolicyError, match="another encoding, share_levels or scenario"):
        resolve_policy(f"{model}:ppo,share_levels=3")(env)

    out = tmp_path / "cmp"
    rc = evaluate_cli.main(["--agents", str(model), "--agent-encoding", "ppo", "--policies", "device-only", "--seeds", "0",
                            "--num-users", "2", "--episode-slots", "8", "--out", str(out), "--plot-policy", str(model),
                            "--video", str(out / "agent.gif")])
    assert rc == 0 and (out / "agent.gif").is_file()
    rows = {r["policy"]: r for r in csv.DictReader(open(out / "comparison.csv"))}
    label = "rapgym-MultiUserEndCloud-v0_1/best_model:ppo"
    assert set(rows) == {label, "device-only"}
    direct = run_episode(MultiUserEndCloudEnv("default", num_users=2, episode_slots=8), agent, seed=0)
    assert float(rows[label]["mean_reward"]) == pytest.approx(direct["mean_reward"])


def test_two_rl_zoo_statistics_beside_a_model_are_ambiguous(tmp_path):
    pytest.importorskip("stable_baselines3", reason="saved agents need the train extra")
    model = _zoo_layout(tmp_path, normalize=False)
    assert find_vecnormalize(model) is None
    for sub in ("a", "b"):
        (model.parent / sub).mkdir()
        (model.parent / sub / RL_ZOO_VECNORMALIZE).write_bytes(b"")
    with pytest.raises(PolicyError, match="several vecnormalize.pkl"):
        saved_agent_resolver(f"{model}:ppo")


def test_agent_encoding_flag_needs_agents_and_a_known_encoding(capsys):
    for argv, message in ((["--policies", "rap", "--agent-encoding", "ppo"], "--agent-encoding needs --agents"),
                          (["--agents", "m.zip", "--agent-encoding", "dqn"], "invalid choice: 'dqn'")):
        with pytest.raises(SystemExit):
            evaluate_cli.parse_args(argv)
        assert message in capsys.readouterr().err
