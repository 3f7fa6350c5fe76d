"""The hyperparameter search spaces of ``rapgym-tune``, one table per algorithm, and their Ray Tune form.

A space maps a hyperparameter key (dotted for nested keys, e.g. ``policy_kwargs.net_arch``) to a
:class:`Dimension`: a log-uniform or uniform range of floats, or a choice among values. Floats drawn from a
range are rounded to :data:`SIGNIFICANT_DIGITS` significant digits before a trial trains, so the configuration
written back to the YAML is the one that was trained. The network's kind (``policy_kwargs.network``) joins
the space when :class:`rapgym.configs.hyperparams.NetArch` has that key; a value that needs other keys
(the set network reads raw observations) brings them (:data:`IMPLIED`). Ray is imported only by
:func:`to_param_space`.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rapgym.configs.hyperparams import ALGOS, NetArch
from rapgym.errors import HyperparamsError

__all__ = ["IMPLIED", "SIGNIFICANT_DIGITS", "Dimension", "from_ray_sample", "nest", "resolve_config",
           "search_space", "to_param_space", "to_ray_value"]

SIGNIFICANT_DIGITS = 3
"""Significant digits kept of a float drawn from a range (``learning_rate`` 0.000123, not 0.00012345678)."""


@dataclass(frozen=True)
class Dimension:
    """One searched hyperparameter: ``loguniform`` / ``uniform`` over ``[low, high]``, or ``choice`` among ``values``."""

    kind: Literal["loguniform", "uniform", "choice"]
    low: float = 0.0
    high: float = 0.0
    values: tuple[Any, ...] = ()

    def candidates(self) -> tuple[Any, ...]:
        """The values to validate before a search: the choices, or both ends of the range."""
        return self.values if self.kind == "choice" else (self.low, self.high)


def _choice(*values: Any) -> Dimension:
    return Dimension("choice", values=values)


_NET_WIDTHS = _choice([64, 64], [128, 128], [256, 256])
"""Two hidden layers of one width, shared by actor and critic."""

_PPO_SPACE: dict[str, Dimension] = {
    "learning_rate": Dimension("loguniform", 3e-5, 1e-3),
    "n_steps": _choice(64, 128, 256),
    "batch_size": _choice(64, 128, 256),
    "n_epochs": _choice(3, 5, 10),
    "gamma": _choice(0.8, 0.9, 0.95, 0.99),
    "gae_lambda": Dimension("uniform", 0.8, 0.99),
    "clip_range": _choice(0.1, 0.2, 0.3),
    "ent_coef": _choice(0.0, 0.001, 0.01),
    "policy_kwargs.net_arch": _NET_WIDTHS,
}

SPACES: dict[str, dict[str, Dimension]] = {
    "ppo": {**_PPO_SPACE, "share_levels": _choice(3, 5, 8)},
    "hybrid": dict(_PPO_SPACE),
    "sac": {
        "learning_rate": Dimension("loguniform", 1e-4, 1e-3),
        "batch_size": _choice(64, 128, 256),
        "gamma": _choice(0.8, 0.9, 0.95, 0.99),
        "tau": _choice(0.005, 0.01, 0.02),
        "train_freq": _choice(1, 4, 8),
        "ent_coef": _choice("auto", "auto_0.1", 0.01),
        "policy_kwargs.net_arch": _NET_WIDTHS,
    },
}
"""The full space of each algorithm (keys of :mod:`rapgym.configs.hyperparams`)."""


IMPLIED: dict[str, dict[Any, dict[str, Any]]] = {"policy_kwargs.network": {"set": {"normalize_obs": False}}}
"""Keys a sampled value needs, by key and value: the set network reads the raw observation (no VecNormalize)."""


def _network_dimension() -> dict[str, Dimension]:
    """``policy_kwargs.network`` over its allowed values, if the network key exists."""
    field = NetArch.model_fields.get("network")
    if field is None:
        return {}
    return {"policy_kwargs.network": _choice(*typing.get_args(field.annotation))}


def search_space(algo: str, keys: Sequence[str] | None = None) -> dict[str, Dimension]:
    """The space of ``algo``, restricted to ``keys`` (default: every key of its table).

    Raises:
        HyperparamsError: unknown algo, or a key outside the algorithm's table (the message lists the allowed keys).
    """
    if algo not in SPACES:
        raise HyperparamsError(f"algo {algo!r} unknown; allowed: {', '.join(ALGOS)}")
    space = {**SPACES[algo], **_network_dimension()}
    if keys is None:
        return space
    unknown = [key for key in keys if key not in space]
    if unknown:
        raise HyperparamsError(f"search-space key {unknown[0]!r} unknown for {algo}; allowed: {', '.join(space)}")
    if not keys:
        raise HyperparamsError(f"search-space keys: give at least one; allowed: {', '.join(space)}")
    return {key: space[key] for key in keys}


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"policy_kwargs.net_arch": v}`` to ``{"policy_kwargs": {"net_arch": v}}`` (the overrides' shape)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _round(value: Any) -> Any:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if isinstance(value, float) else value


def resolve_config(space: dict[str, Dimension], flat: dict[str, Any]) -> dict[str, Any]:
    """A sampled flat configuration as trained: range-drawn floats rounded to :data:`SIGNIFICANT_DIGITS` digits,
    plus the keys its values need (:data:`IMPLIED`)."""
    out = {key: _round(value) if space[key].kind != "choice" else value for key, value in flat.items()}
    for key, value in flat.items():
        if key in IMPLIED and value in IMPLIED[key]:
            out.update(IMPLIED[key][value])
    return out


def to_ray_value(value: Any) -> Any:
    """A value as Ray Tune carries it: a list as JSON text (Tune's variant generator walks into lists, so a list
    preset such as ``net_arch: [128, 128]`` would be taken for a path); anything else unchanged."""
    return json.dumps(value) if isinstance(value, list) else value


def from_ray_sample(space: dict[str, Dimension], config: dict[str, Any]) -> dict[str, Any]:
    """The searched keys of a Tune ``config`` with :func:`to_ray_value`'s JSON text turned back into lists."""
    return {key: json.loads(config[key]) if isinstance(config[key], str) and config[key].startswith("[") else config[key]
            for key in space}


def to_param_space(space: dict[str, Dimension]) -> dict[str, Any]:
    """Ray Tune's flat ``param_space`` of ``space`` (keys stay dotted; :func:`nest` reshapes a sample; lists travel
    as :func:`to_ray_value` text)."""
    from ray import tune

    def domain(dim: Dimension) -> Any:
        if dim.kind == "loguniform":
            return tune.loguniform(dim.low, dim.high)
        if dim.kind == "uniform":
            return tune.uniform(dim.low, dim.high)
        return tune.choice([to_ray_value(value) for value in dim.values])

    return {key: domain(dim) for key, dim in space.items()}
