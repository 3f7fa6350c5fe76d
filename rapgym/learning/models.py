"""The Stable-Baselines3 models: PPO (``ppo``, ``hybrid``) or SAC (``sac``), built from hyperparameters or loaded.

torch and SB3 are the optional ``train`` extra: they are imported when a model is built or loaded, and
:func:`require_train_extra` turns their absence into a message naming the extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rapgym.errors import MissingDependencyError

__all__ = ["build_model", "load_model", "require_train_extra"]

TRAIN_EXTRA_HINT = 'pip install "rapgym[train]"'
"""How to install the optional training dependencies (torch, Stable-Baselines3, TensorBoard)."""


def require_train_extra() -> None:
    """Check that torch and Stable-Baselines3 import.

    Raises:
        MissingDependencyError: one is missing (the message names the ``train`` extra).
    """
    try:
        import stable_baselines3  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"training and saved agents need the train extra ({exc.name} is missing): "
                                     f"{TRAIN_EXTRA_HINT}") from exc


def _sb3_class(algo: str) -> Any:
    from stable_baselines3 import PPO, SAC

    return SAC if algo == "sac" else PPO


def build_model(algo: str, hp: Any, venv: Any, seed: int, device: str,
                tensorboard_dir: Path) -> Any:
    """A fresh PPO (``ppo``, ``hybrid``) or SAC (``sac``) on ``venv``.

    ``hp`` are the validated hyperparameters of ``algo`` (:func:`rapgym.configs.hyperparams.load_hyperparams`).
    """
    import torch

    policy_kwargs = {"net_arch": list(hp.policy_kwargs.net_arch),
                     "activation_fn": {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[hp.policy_kwargs.activation_fn]}
    common = {"learning_rate": hp.learning_rate, "gamma": hp.gamma, "batch_size": hp.batch_size, "seed": seed,
              "device": device, "tensorboard_log": str(tensorboard_dir), "policy_kwargs": policy_kwargs, "verbose": 0}
    if algo == "sac":
        return _sb3_class(algo)("MlpPolicy", venv, buffer_size=hp.buffer_size, learning_starts=hp.learning_starts,
                                tau=hp.tau, train_freq=hp.train_freq, gradient_steps=hp.gradient_steps,
                                ent_coef=hp.ent_coef, **common)
    return _sb3_class(algo)("MlpPolicy", venv, n_steps=hp.n_steps, n_epochs=hp.n_epochs, gae_lambda=hp.gae_lambda,
                            clip_range=hp.clip_range, ent_coef=hp.ent_coef, vf_coef=hp.vf_coef,
                            max_grad_norm=hp.max_grad_norm, **common)


def load_model(algo: str, path: Path, device: str) -> Any:
    """The PPO or SAC model saved at ``path`` by a run of ``algo``."""
    return _sb3_class(algo).load(path, device=device)
