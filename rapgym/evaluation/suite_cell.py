"""One benchmark cell, played in whichever process runs it: :func:`run_cell` is a plain function of the cell
(picklable in and out), so local worker processes and Ray tasks give the same numbers.

A policy that fails — raises, or returns an action outside the action space — makes a *failed* cell whose
``reason`` says why; the suite goes on with the other cells.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.evaluation.runner import resolve_policy
from rapgym.evaluation.suite_metrics import aggregate, episode_record
from rapgym.evaluation.suite_protocol import Cell

__all__ = ["CDF_POINTS", "action_violation", "load_plugins", "run_cell", "uplink_cv"]

CDF_POINTS = 101
"""Quantiles (0 %, 1 %, ..., 100 %) of the completed tasks' latencies kept per cell for the CDF plots."""


def load_plugins(plugins: Sequence[str]) -> None:
    """Call every ``"module:function"`` hook (e.g. ``rapgym.learning.saved_agents:register_saved_agents``)."""
    for plugin in plugins:
        module, _, func = plugin.partition(":")
        getattr(importlib.import_module(module), func)()


def action_violation(space: gym.spaces.Dict, action: Any) -> str | None:
    """Why ``action`` is outside the env's Dict action space (key, shape or bounds), or ``None`` when it is inside.

    Integer-valued floats are accepted for the discrete keys and any float width for the Box keys (the env
    parses dtypes itself); shapes, finiteness and bounds are checked exactly.
    """
    if not isinstance(action, Mapping):
        return f"action is a {type(action).__name__}, not a dict with keys {sorted(space.spaces)}"
    missing = sorted(set(space.spaces) - set(action) - {"uplink_share"})
    if missing:
        return f"action lacks key(s) {missing}"
    for key, sub in space.spaces.items():
        if key not in action:
            continue
        try:
            value = np.asarray(action[key], dtype=np.float64)
        except (TypeError, ValueError):
            return f"action[{key!r}] is not numeric"
        if value.shape != sub.shape:
            return f"action[{key!r}] has shape {value.shape}, the space wants {sub.shape}"
        if not np.isfinite(value).all():
            return f"action[{key!r}] is not finite"
        if isinstance(sub, gym.spaces.MultiDiscrete):
            if (value != np.round(value)).any() or (value < 0).any() or (value >= sub.nvec).any():
                return f"action[{key!r}] = {value.tolist()} outside 0..{(sub.nvec - 1).tolist()}"
        elif (value < sub.low).any() or (value > sub.high).any():
            return f"action[{key!r}] = {np.round(value, 4).tolist()} outside [{sub.low.min()}, {sub.high.max()}]"
    return None


class _PolicyFailedError(Exception):
    """The policy broke the protocol (the message is the failed cell's reason)."""


def _play(env: MultiUserEndCloudEnv, policy: Any, seed: int) -> tuple[dict[str, float], np.ndarray]:
    """One episode from ``env.reset(seed=seed)``: its record and its completed tasks' latencies (s)."""
    obs, _ = env.reset(seed=seed)
    if hasattr(policy, "reset"):
        policy.reset()
    reward_sum, decision = 0.0, 0.0
    space = env.action_space
    slot = 0
    while True:
        t0 = time.perf_counter()
        try:
            action, _ = policy.predict(obs, deterministic=True)
        except Exception as exc:  # any error of outside code fails the cell, not the suite
            raise _PolicyFailedError(f"predict raised {type(exc).__name__} at seed {seed}, slot {slot}: {exc}") from exc
        decision += time.perf_counter() - t0
        why = action_violation(space, action)
        if why is not None:
            raise _PolicyFailedError(f"{why} (seed {seed}, slot {slot})")
        obs, reward, terminated, truncated, _ = env.step(action)
        reward_sum += float(reward)
        slot += 1
        if terminated or truncated:
            break
    sim = env.unwrapped.sim
    _, latency, _ = sim.dispatched_tasks()
    config = env.unwrapped.config
    record = episode_record(sim, config.max_backlog_s, reward_sum, decision)
    record["uplink_cv"] = uplink_cv(sim.slot_rate_mbps[:, config.history:config.history + slot])
    return record, latency[latency >= 0]


def uplink_cv(rates_mbps: np.ndarray) -> float:
    """Mean over users of the coefficient of variation (std / mean) of the per-slot uplink rate ``(N, T)``;
    a user whose rate is 0 throughout counts as CV 0."""
    mean = rates_mbps.mean(axis=1)
    std = rates_mbps.std(axis=1)
    return float(np.where(mean > 0, std / np.where(mean > 0, mean, 1.0), 0.0).mean())


def run_cell(cell: Cell, plugins: Sequence[str] = ()) -> dict[str, Any]:
    """Play ``cell``: one episode per seed on a fresh env of the cell's scenario variant.

    Returns:
        ``{"key", "cell", "status": "ok" | "failed", "reason", "metrics", "episodes", "latency_quantiles",
        "wall_s"}``: ``metrics`` from :func:`rapgym.evaluation.suite_metrics.aggregate`, ``episodes`` the per-episode
        records, ``latency_quantiles`` :data:`CDF_POINTS` quantiles of the completed tasks' latencies (s), ``uplink_cv``
        the mean over episodes of :func:`uplink_cv` (the same for every policy of a scenario variant).
        A failed cell has ``reason`` and no metrics.
    """
    start = time.perf_counter()
    out: dict[str, Any] = {"key": cell.key, "cell": _describe(cell), "status": "ok", "reason": "", "metrics": {},
                           "episodes": [], "latency_quantiles": []}
    try:
        load_plugins(plugins)
        env = MultiUserEndCloudEnv(cell.preset, **cell.overrides())
        try:
            policy = resolve_policy(cell.policy)(env)
        except Exception as exc:  # a user policy's constructor may raise anything
            raise _PolicyFailedError(f"building the policy raised {type(exc).__name__}: {exc}") from exc
        if not callable(getattr(policy, "predict", None)):
            raise _PolicyFailedError(f"policy {cell.policy!r} has no predict(observation, ...) method")
        records, latencies = [], []
        for seed in cell.seeds:
            record, lat = _play(env, policy, seed)
            records.append(record)
            latencies.append(lat)
    except _PolicyFailedError as exc:
        out.update(status="failed", reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - reported as a failed cell with its traceback's last line
        where = traceback.extract_tb(exc.__traceback__)[-1]
        out.update(status="failed", reason=f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})")
    else:
        pooled = np.concatenate(latencies)
        p95 = float(np.percentile(pooled, 95)) if pooled.size else float("nan")
        out["metrics"] = aggregate(records, p95)
        out["episodes"] = records
        out["uplink_cv"] = float(np.mean([r["uplink_cv"] for r in records]))
        out["latency_quantiles"] = (np.quantile(pooled, np.linspace(0, 1, CDF_POINTS)).tolist() if pooled.size else [])
    out["wall_s"] = time.perf_counter() - start
    return out


def _describe(cell: Cell) -> dict[str, Any]:
    """The cell as JSON-able data (the seeds as first seed and count)."""
    return {"preset": cell.preset, "traces": cell.traces, "scenario": cell.scenario, "num_users": cell.num_users,
            "policy": cell.policy, "first_seed": cell.seeds[0], "episodes": len(cell.seeds),
            "episode_slots": cell.episode_slots}
