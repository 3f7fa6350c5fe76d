"""Validated hyperparameters of the learned agents (pydantic), read from ``configs/hyperparams/<algo>.yml``.

One YAML file per algorithm, RL-Zoo style: a ``default`` entry plus optional entries named after a
scenario. The scenario's entry is merged over ``default`` (dict values such as ``env_kwargs`` merge one level
deep), then ``key=value`` overrides from the command line are applied, then the result
is validated. An unknown key or a bad value fails with a :class:`HyperparamsError` naming the key.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rapgym.agents.registry import POLICIES
from rapgym.errors import HyperparamsError

__all__ = ["ALGOS", "DEFAULT_SHARE_LEVELS", "NETWORKS", "HybridHyperparams", "PPOHyperparams", "SACHyperparams", "load_hyperparams", "read_file"]

ALGOS = ("ppo", "sac", "hybrid")
"""``ppo``: flat MultiDiscrete actions; ``sac``: Box actions; ``hybrid``: PPO picks cut and bits, the closed-form allocation the shares."""

DEFAULT_SHARE_LEVELS = 5
"""Levels of a discretised share in ``ppo``'s flat action (level ``l`` is the share ``(l + 1) / levels``)."""


TEACHER_CANDIDATES = ("rap", "jm-mpra", "accuracy-budget", "neurosurgeon", "iao", "device-only", "cloud-only")
"""The deterministic reference policies ``pretrain_teacher: best`` chooses among by default (``rap-equal`` decides
RAP's cuts and widths, so it is left out: the hybrid clones cuts and widths only)."""

UNTEACHABLE = ("random", "oracle")
"""Reference policies that cannot be a warm start's teacher: ``random`` is no decision rule, ``oracle`` reads the
future uplink."""

NETWORKS = ("mlp", "set")
"""``mlp``: SB3's flat MLP; ``set``: one encoder shared by the users, pooled context, per-user heads
(:mod:`rapgym.learning.set_policy`; its parameter count does not depend on the number of users)."""


class NetArch(BaseModel):
    """Policy network: the flat MLP (``mlp``) or the per-user set network (``set``) and their widths."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    network: Literal["mlp", "set"] = Field("mlp", description="mlp: flat MLP; set: per-user encoder with pooled "
                                                              "context and per-user heads (N-independent)")
    net_arch: list[int] = Field([128, 128], min_length=1,
                                description="hidden layer widths: of actor and critic (mlp); of the per-user encoder (set)")
    activation_fn: Literal["tanh", "relu"] = "tanh"
    embed_dim: int = Field(64, ge=1, le=4096, description="set: width of each user's embedding and latent")
    pooling: Literal["mean", "max", "mean+max"] = Field("mean+max", description="set: pooling of the embeddings over users")
    max_cuts: int | None = Field(None, ge=1, le=1024,
                                 description="set: cut rows of the per-user input (largest Kmax + 1 it will run on); "
                                             "null: the training scenario's")


class _Common(BaseModel):
    """Keys shared by every algorithm: environment, normalisation, logging and evaluation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_timesteps: int = Field(100_000, ge=1, le=10**9, description="training budget: environment steps in total, summed "
                             "over envs (train.py --timesteps overrides it)")
    n_envs: int = Field(1, ge=1, le=256, description="parallel environments")
    vec_env: Literal["native", "dummy", "subproc"] = Field(
        "native", description="vector env: native (rapgym.learning.vec_env.NativeVecEnv, every copy in one kernel call; "
                              "not for hybrid), dummy (SB3's DummyVecEnv) or subproc (one process per env)")
    normalize_obs: bool = Field(True, description="VecNormalize running mean/std of observations (saved with the model)")
    normalize_reward: bool = Field(False, description="VecNormalize scaling of rewards (training only)")
    env_kwargs: dict[str, Any] = Field(default_factory=dict, description="scenario field overrides, e.g. num_users")
    policy_kwargs: NetArch = Field(default_factory=NetArch)
    learning_rate: float = Field(3e-4, gt=0, le=1)
    gamma: float = Field(0.9, gt=0, le=1, description="discount per slot")
    eval_freq: int = Field(5000, ge=1, description="environment steps between evaluations (summed over envs)")
    eval_episodes: int = Field(4, ge=1, description="held-out episodes per evaluation")
    checkpoint_freq: int = Field(20000, ge=1, description="environment steps between checkpoints (summed over envs)")
    log_interval_steps: int = Field(1000, ge=1, description="environment steps between TensorBoard env-metric points")

    @model_validator(mode="after")
    def _set_network_raw_obs(self) -> _Common:
        if self.policy_kwargs.network == "set" and self.normalize_obs:
            raise ValueError("key 'policy_kwargs.network' set needs key 'normalize_obs' false (VecNormalize keeps one "
                             "mean per flat entry, which ties the model to the number of users; the flat observation "
                             "is already O(1))")
        return self


class _PPOKeys(_Common):
    """PPO's keys, shared by the ``ppo`` and ``hybrid`` agents."""

    n_steps: int = Field(256, ge=2, description="rollout length per env")
    batch_size: int = Field(64, ge=2)
    n_epochs: int = Field(10, ge=1)
    gae_lambda: float = Field(0.9, ge=0, le=1)
    clip_range: float = Field(0.2, gt=0, le=1)
    ent_coef: float = Field(0.0, ge=0)
    vf_coef: float = Field(0.5, ge=0)
    max_grad_norm: float = Field(0.5, gt=0)


class PPOHyperparams(_PPOKeys):
    """PPO on the flat MultiDiscrete action, whose shares are discretised into ``share_levels`` levels."""

    share_levels: int = Field(DEFAULT_SHARE_LEVELS, ge=1, le=100, description="levels of a discretised share")


class HybridHyperparams(_PPOKeys):
    """The hybrid agent (PPO over cut and bits), optionally warm-started by behaviour cloning a reference
    policy (:mod:`rapgym.learning.imitation`)."""

    pretrain_teacher: str | None = Field(None, description="reference policy to clone before PPO (e.g. jm-mpra), "
                                         "'best' (the best of pretrain_candidates on the held-out episodes), or null")
    pretrain_candidates: list[str] = Field(list(TEACHER_CANDIDATES), min_length=1,
                                           description="reference policies among which pretrain_teacher 'best' chooses")
    pretrain_steps: int = Field(20000, ge=1, description="teacher slots collected for the warm start")
    pretrain_epochs: int = Field(10, ge=1, description="passes of the warm-start fit over the teacher data")

    @model_validator(mode="after")
    def _raw_returns(self) -> HybridHyperparams:
        if self.pretrain_teacher is not None and self.normalize_reward:
            raise ValueError("key 'pretrain_teacher' needs key 'normalize_reward' false (the critic is fitted to raw returns)")
        return self

    @model_validator(mode="after")
    def _known_teachers(self) -> HybridHyperparams:
        teachers = [name for name in POLICIES if name not in UNTEACHABLE]
        for key, names in (("pretrain_teacher", [] if self.pretrain_teacher in (None, "best") else [self.pretrain_teacher]),
                           ("pretrain_candidates", self.pretrain_candidates)):
            unknown = [name for name in names if name not in teachers]
            if unknown:
                allowed = ", ".join(teachers) + (", best or null" if key == "pretrain_teacher" else "")
                raise ValueError(f"key {key!r}: unknown teacher {', '.join(map(repr, unknown))}; allowed: {allowed}")
        return self


class SACHyperparams(_Common):
    """SAC on the ``[-1, 1]`` Box action wrapper."""

    buffer_size: int = Field(100_000, ge=100)
    learning_starts: int = Field(1000, ge=0)
    batch_size: int = Field(256, ge=2)
    tau: float = Field(0.005, gt=0, le=1)
    train_freq: int = Field(1, ge=1, description="environment steps (per env) between updates")
    gradient_steps: int = Field(1, ge=-1)
    ent_coef: str | float = Field("auto", description="'auto', 'auto_0.1' or a fixed float")


SCHEMAS: dict[str, type[_Common]] = {"ppo": PPOHyperparams, "sac": SACHyperparams, "hybrid": HybridHyperparams}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``; dict values merge one level deep."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _format(algo: str, scenario: str, exc: ValidationError, schema: type[_Common]) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(hyperparameters)"
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key {where!r}; allowed keys: {', '.join(schema.model_fields)}")
        else:
            lines.append(f"key {where!r}: {err['msg']} (got {err.get('input')!r})")
    return f"invalid {algo} hyperparameters for scenario {scenario!r}: " + "; ".join(lines)


def read_file(algo: str) -> dict[str, dict[str, Any]]:
    """The raw entries of ``configs/hyperparams/<algo>.yml`` (``default`` plus scenario names)."""
    if algo not in ALGOS:
        raise HyperparamsError(f"algo {algo!r} unknown; allowed: {', '.join(ALGOS)}")
    text = (resources.files("rapgym.configs") / "hyperparams" / f"{algo}.yml").read_text()
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise HyperparamsError(f"hyperparams/{algo}.yml must map entry names to dicts of keys")
    return data


def load_hyperparams(algo: str, scenario: str, overrides: dict[str, Any] | None = None,
                     entries: dict[str, dict[str, Any]] | None = None) -> _Common:
    """Validated hyperparameters of ``algo`` on ``scenario``: ``default``, then the scenario's entry, then overrides.

    Args:
        algo: one of :data:`ALGOS`.
        scenario: scenario name; its entry (if any) is merged over ``default``.
        overrides: e.g. from :func:`rapgym.configs.overrides.parse_overrides`.
        entries: the file's entries (default: the packaged ``<algo>.yml``); for tests and custom files.

    Raises:
        HyperparamsError: unknown algo, unknown key or invalid value (the message names the key).
    """
    entries = read_file(algo) if entries is None else entries
    data = _merge(entries.get("default", {}), entries.get(scenario, {}))
    data = _merge(data, overrides or {})
    schema = SCHEMAS[algo]
    try:
        return schema(**data)
    except ValidationError as exc:
        raise HyperparamsError(_format(algo, scenario, exc, schema)) from None
