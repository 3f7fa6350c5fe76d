"""Make an evaluation-only copy of a model saved by ``train.py``: same weights, fresh optimizer state.

SB3 saves Adam's moment estimates with the model (two thirds of the zip); they matter only to resume
training. This copies the model, its ``VecNormalize`` statistics and the run's ``config.yml`` into ``DEST``
and checks that the copy decides exactly like the original on 50 observations.

    .venv/bin/python leaderboard/hybrid-warmstart/slim_model.py runs/hybrid-default-s0/best_model.zip leaderboard/hybrid-warmstart/s0
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.learning.models import load_model
from rapgym.learning.run_folder import read_run_config, vecnormalize_path
from rapgym.learning.saved_agents import load_agent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    config = read_run_config(args.model)
    args.dest.mkdir(parents=True, exist_ok=True)
    model = load_model(config["algo"], args.model, "cpu")
    optimizer = model.policy.optimizer
    model.policy.optimizer = type(optimizer)(model.policy.parameters(), **optimizer.defaults)
    target = args.dest / args.model.name
    model.save(target)
    shutil.copy(vecnormalize_path(args.model), vecnormalize_path(target))
    shutil.copy(args.model.parent / "config.yml", args.dest / "config.yml")
    env = MultiUserEndCloudEnv(config["scenario"])
    original, slim = load_agent(args.model, env), load_agent(target, env)
    obs, _ = env.reset(seed=0)
    for _ in range(50):
        a, _ = original.predict(obs)
        b, _ = slim.predict(obs)
        assert all(np.array_equal(a[k], b[k]) for k in a), "the slim copy decides differently"
        obs, *_ = env.step(a)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB (was {args.model.stat().st_size / 1e6:.1f} MB), same decisions")


if __name__ == "__main__":
    main()
