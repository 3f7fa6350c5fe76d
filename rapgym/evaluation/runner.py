"""Policy specs and the one episode loop of rapgym's evaluation (used by :func:`~rapgym.evaluation.comparison.compare`
and by training's held-out evaluation).

A *policy spec* is a string resolved by :func:`resolve_policy` into a factory ``env -> policy`` (anything
with an SB3-style ``predict``). Reference policies are resolved by name, with options written
``name:key=value,key=value`` (values parsed as YAML by :func:`rapgym.configs.overrides.parse_overrides`, e.g.
``rap:b0_mbps=4,estimator=ewma``). Other sources plug in with :func:`register_resolver`: saved agents
(specs ending in ``.zip``) are registered by :func:`rapgym.learning.saved_agents.register_saved_agents`, so
evaluation does not import learning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.agents.registry import available_policies, make_policy
from rapgym.configs.overrides import parse_overrides
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.step_info import EPISODE_KEY
from rapgym.errors import PolicyError

__all__ = ["SAVED_AGENT_SUFFIX", "PolicyFactory", "Resolver", "completed_latencies", "policy_label", "register_resolver", "resolve_policy",
           "run_episode"]

PolicyFactory = Callable[[Any], Any]
"""``env -> policy``: builds a policy (an object with SB3-style ``predict``) for one env."""
Resolver = Callable[[str], "PolicyFactory | None"]
"""``spec -> factory``, or ``None`` when the spec is not the resolver's kind."""

SAVED_AGENT_SUFFIX = ".zip"
"""Specs ending in this are saved agents (resolved by the resolver that rapgym.learning registers)."""


def _reference_resolver(spec: str) -> PolicyFactory | None:
    """A reference policy ``name[:key=value,...]`` of :mod:`rapgym.agents.registry`, else ``None``."""
    name, _, opts = spec.partition(":")
    if name not in available_policies():
        return None
    options = parse_overrides(filter(None, opts.split(",")), PolicyError, what=f"policy spec {spec!r}: option")
    return lambda env: make_policy(name, env, **options)


_RESOLVERS: list[Resolver] = [_reference_resolver]


def register_resolver(resolver: Resolver) -> None:
    """Add a resolver ``spec -> factory or None`` (tried before the ones registered earlier)."""
    _RESOLVERS.insert(0, resolver)


def resolve_policy(spec: str) -> PolicyFactory:
    """The factory of a policy spec.

    Raises:
        PolicyError: no resolver knows the spec (the message lists the reference policies), or an option is
            malformed.
    """
    for resolver in _RESOLVERS:
        factory = resolver(spec)
        if factory is not None:
            return factory
    if spec.endswith(SAVED_AGENT_SUFFIX):
        raise PolicyError(f"policy spec {spec!r} is a saved agent, but no resolver for saved agents is registered "
                          "(call rapgym.learning.saved_agents.register_saved_agents(); needs the rapgym[train] extra)")
    raise PolicyError(f"unknown policy {spec.partition(':')[0]!r}; allowed: {', '.join(available_policies())} "
                      f"or a saved agent ending in {SAVED_AGENT_SUFFIX}")


def policy_label(spec: str) -> str:
    """Name of a policy spec in tables and plots: the spec itself, or ``<run folder>/<model stem>`` for a saved agent
    (``<run folder>/<model stem>:<encoding...>`` for one given as ``PATH.zip:ENCODING``)."""
    path, encoded, encoding = spec.partition(SAVED_AGENT_SUFFIX + ":")
    if encoded or spec.endswith(SAVED_AGENT_SUFFIX):
        model = Path(path if encoded else spec)
        return f"{model.parent.name}/{model.stem}" + (f":{encoding}" if encoded else "")
    return spec


def run_episode(env: MultiUserEndCloudEnv, policy: Any, seed: int) -> dict[str, float]:
    """One episode of ``policy`` from ``env.reset(seed=seed)``.

    Returns:
        The env's episode summary (``info["rapgym_episode"]``: return, latencies in s, accuracy in %, miss and drop
        rates as fractions) plus ``drops`` (tasks), ``cloud_util`` (mean offered cloud load, 1 = the whole
        cloud busy), ``decision_us`` (µs per ``predict`` call, after one untimed warm-up call on the first
        observation) and ``mean_reward`` (return per slot).
    """
    obs, _ = env.reset(seed=seed)
    policy.predict(obs, deterministic=True)  # warm-up outside the timing (JIT caches, candidate pruning)
    if hasattr(policy, "reset"):
        policy.reset()
    decide = 0.0
    drops = 0
    load = []
    steps = 0
    while True:
        t0 = time.perf_counter()
        action, _ = policy.predict(obs, deterministic=True)
        decide += time.perf_counter() - t0
        obs, _, terminated, truncated, info = env.step(action)
        drops += info["dropped"]
        load.append(info["cloud_load"])
        steps += 1
        if terminated or truncated:
            break
    summary = dict(info[EPISODE_KEY])
    summary.update(drops=drops, cloud_util=float(np.mean(load)), decision_us=decide / steps * 1e6,
                   mean_reward=summary["return"] / steps)
    return summary


def completed_latencies(env: MultiUserEndCloudEnv) -> np.ndarray:
    """Latency (s) of every task of the episode so far that completed (dropped tasks excluded)."""
    _, latency, _ = env.unwrapped.sim.dispatched_tasks()
    return latency[latency >= 0]
