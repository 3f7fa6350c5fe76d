"""Construct reference policies by name with validated options: ``make_policy("rap", env, b0_mbps=4.0)``."""

from __future__ import annotations

from typing import Any

from rapgym.agents.base import Policy
from rapgym.agents.baselines import AccuracyBudget, CloudOnly, DeviceOnly, Neurosurgeon, RandomPolicy
from rapgym.agents.context import PolicyContext
from rapgym.agents.iao import IAO
from rapgym.agents.jm_mpra import JMMPRA
from rapgym.agents.oracle import Oracle
from rapgym.agents.rap import RAP
from rapgym.errors import PolicyError

__all__ = ["POLICIES", "available_policies", "make_policy"]

POLICIES: dict[str, tuple[type[Policy], dict[str, Any]]] = {
    "rap": (RAP, {}),
    "rap-equal": (RAP, {"shares": "equal"}),
    "jm-mpra": (JMMPRA, {}),
    "neurosurgeon": (Neurosurgeon, {}),
    "accuracy-budget": (AccuracyBudget, {}),
    "iao": (IAO, {}),
    "device-only": (DeviceOnly, {}),
    "cloud-only": (CloudOnly, {}),
    "random": (RandomPolicy, {}),
    "oracle": (Oracle, {}),
}
"""Policy name -> (class, fixed options)."""


def available_policies() -> list[str]:
    """Names accepted by :func:`make_policy`."""
    return list(POLICIES)


def make_policy(name: str, env: Any, **options: Any) -> Policy:
    """The policy ``name`` for ``env`` (a ``MultiUserEndCloudEnv``, possibly wrapped, or a :class:`PolicyContext`
    for the observation-only policies).

    Raises:
        PolicyError: unknown name or option (the message lists the allowed ones), an invalid option value,
            or the oracle without an env.
    """
    if name not in POLICIES:
        raise PolicyError(f"unknown policy {name!r}; allowed: {', '.join(POLICIES)}")
    cls, fixed = POLICIES[name]
    allowed = sorted(set(cls.OPTIONS) - set(fixed))
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise PolicyError(f"policy {name!r}: unknown option(s) {unknown}; allowed: {allowed or 'none'}")
    ctx = env if isinstance(env, PolicyContext) else PolicyContext.from_env(env)
    if cls.clairvoyant:
        if isinstance(env, PolicyContext):
            raise PolicyError(f"policy {name!r} is clairvoyant and needs the env itself, not a PolicyContext")
        return cls(ctx, env, **fixed, **options)
    return cls(ctx, **fixed, **options)
