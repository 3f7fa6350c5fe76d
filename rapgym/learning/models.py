"""The Stable-Baselines3 models: PPO (``ppo``, ``hybrid``) or SAC (``sac``), built from hyperparameters or loaded.

torch and SB3 are the optional ``train`` extra: they are imported when a model is built or loaded, and
:func:`require_train_extra` turns their absence into a message naming the extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rapgym.errors import HyperparamsError, MissingDependencyError

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


def _set_network_kwargs(algo: str, hp: Any, venv: Any) -> dict[str, Any]:
    """The set network's policy keywords for ``venv`` (its scenario read from the envs' ``config``).

    Raises:
        HyperparamsError: ``max_cuts`` is below the scenario's ``Kmax + 1``.
    """
    from rapgym.learning.set_policy import head_widths, num_cuts_of

    config = venv.get_attr("config", [0])[0]
    num_bits = len(config.bits)
    cuts = num_cuts_of(int(venv.observation_space.shape[0]), config.num_users, config.history, num_bits)
    net = hp.policy_kwargs
    max_cuts = cuts if net.max_cuts is None else net.max_cuts
    if max_cuts < cuts:
        raise HyperparamsError(f"key 'policy_kwargs.max_cuts' is {max_cuts}; the scenario's models have up to {cuts} "
                               f"cut points (Kmax + 1); allowed: >= {cuts} or null")
    return {"history": config.history, "features_per_cut": 3 + num_bits, "max_cuts": max_cuts,
            "head_widths": head_widths(algo, max_cuts, num_bits, getattr(hp, "share_levels", 1), config.shared_uplink),
            "embed_dim": net.embed_dim, "pooling": net.pooling}


def _policy(algo: str, hp: Any, venv: Any) -> tuple[Any, dict[str, Any]]:
    """The SB3 policy (class or name) of ``hp.policy_kwargs.network`` and its keywords."""
    import torch

    net = hp.policy_kwargs
    kwargs: dict[str, Any] = {"net_arch": list(net.net_arch),
                              "activation_fn": {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[net.activation_fn]}
    if net.network == "mlp":
        return "MlpPolicy", kwargs
    from rapgym.learning.set_policy import SetActorCriticPolicy, SetSACPolicy

    return SetSACPolicy if algo == "sac" else SetActorCriticPolicy, {**kwargs, **_set_network_kwargs(algo, hp, venv)}


def build_model(algo: str, hp: Any, venv: Any, seed: int, device: str,
                tensorboard_dir: Path) -> Any:
    """A fresh PPO (``ppo``, ``hybrid``) or SAC (``sac``) on ``venv``, with the network of ``hp.policy_kwargs``.

    ``hp`` are the validated hyperparameters of ``algo`` (:func:`rapgym.configs.hyperparams.load_hyperparams`).

    Raises:
        HyperparamsError: the set network's ``max_cuts`` is below the scenario's cut count.
    """
    policy, policy_kwargs = _policy(algo, hp, venv)
    common = {"learning_rate": hp.learning_rate, "gamma": hp.gamma, "batch_size": hp.batch_size, "seed": seed,
              "device": device, "tensorboard_log": str(tensorboard_dir), "policy_kwargs": policy_kwargs, "verbose": 0}
    if algo == "sac":
        return _sb3_class(algo)(policy, venv, buffer_size=hp.buffer_size, learning_starts=hp.learning_starts,
                                tau=hp.tau, train_freq=hp.train_freq, gradient_steps=hp.gradient_steps,
                                ent_coef=hp.ent_coef, **common)
    return _sb3_class(algo)(policy, venv, n_steps=hp.n_steps, n_epochs=hp.n_epochs, gae_lambda=hp.gae_lambda,
                            clip_range=hp.clip_range, ent_coef=hp.ent_coef, vf_coef=hp.vf_coef,
                            max_grad_norm=hp.max_grad_norm, **common)


def load_model(algo: str, path: Path, device: str, observation_space: Any = None, action_space: Any = None) -> Any:
    """The PPO or SAC model saved at ``path`` by a run of ``algo``.

    ``observation_space`` and ``action_space``, when given, replace the saved ones: the model is rebuilt on them
    and its weights loaded, which is how a set network (:mod:`rapgym.learning.set_policy`) trained at one
    number of users runs at another.
    """
    custom = {}
    if observation_space is not None:
        custom["observation_space"] = observation_space
    if action_space is not None:
        custom["action_space"] = action_space
    return _sb3_class(algo).load(path, device=device, custom_objects=custom or None)
