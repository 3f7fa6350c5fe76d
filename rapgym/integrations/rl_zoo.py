"""RL Baselines3 Zoo: the shipped hyperparameter files (``rapgym/configs/rl_zoo/<algo>.yml``).

Each file's ``env_wrapper`` applies the wrappers of :mod:`rapgym.envs.wrappers` in the order of
:func:`rapgym.learning.encodings.make_sb3_env`, so a model RL-Zoo saves is evaluated by
``rapgym-evaluate --agents PATH.zip --agent-encoding <algo>`` (:mod:`rapgym.learning.saved_agents`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rapgym.errors import HyperparamsError

__all__ = ["RL_ZOO_ALGOS", "conf_file"]

RL_ZOO_ALGOS = ("ppo", "sac")
"""Algorithms with a shipped RL-Zoo hyperparameter file."""


def conf_file(algo: str = "ppo") -> Path:
    """Path of the shipped RL-Zoo hyperparameter file of ``algo`` (for ``rl_zoo3.train --conf-file``).

    Raises:
        HyperparamsError: no file for ``algo`` (the message lists the algorithms that have one).
    """
    if algo not in RL_ZOO_ALGOS:
        raise HyperparamsError(f"no RL-Zoo hyperparameters for algo {algo!r}; allowed: {', '.join(RL_ZOO_ALGOS)}")
    return Path(str(resources.files("rapgym") / "configs" / "rl_zoo" / f"{algo}.yml"))
