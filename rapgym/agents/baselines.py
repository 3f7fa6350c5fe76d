"""Classic baselines: device-only, cloud-only, Neurosurgeon, accuracy-budget (JALAD / Auto-Split style), random.

The latency-driven ones plan on empty queues with equal shares (``1/N`` of the cloud, and of the cell in a
shared-uplink scenario) and emit equal shares; their latency is ``device + bits/B + rtt + cloud/f``
(:func:`rapgym.agents.objective.latency_estimate` with ``queue_s=None``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rapgym.agents.base import Policy
from rapgym.agents.candidates import CandidateCache, Candidates
from rapgym.agents.context import PolicyContext
from rapgym.agents.estimators import make_estimator
from rapgym.agents.objective import latency_estimate
from rapgym.errors import PolicyError

__all__ = ["AccuracyBudget", "CloudOnly", "DeviceOnly", "Neurosurgeon", "RandomPolicy"]


class DeviceOnly(Policy):
    """Every user runs the whole model on the device (cut = its device-only cut ``K_i``)."""

    name: ClassVar[str] = "device-only"

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        mask = np.asarray(obs["cut_mask"]) > 0
        k_dev = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
        n = self.ctx.num_users
        return self.ctx.action(k_dev, np.full(n, self.ctx.idx32), self.equal_shares(), self.equal_shares())


class CloudOnly(Policy):
    """Every user uploads its raw input (cut 0) and the cloud is shared equally."""

    name: ClassVar[str] = "cloud-only"

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = self.ctx.num_users
        return self.ctx.action(np.zeros(n), np.full(n, self.ctx.idx32), self.equal_shares(), self.equal_shares())


class _LatencyArgmin(Policy):
    """Latency-optimal candidate among an admissible subset, with a bandwidth estimator (option ``estimator``)."""

    def __init__(self, ctx: PolicyContext, estimator: str = "last", estimator_options: dict[str, float] | None = None) -> None:
        super().__init__(ctx)
        self.estimate = make_estimator(estimator, **(estimator_options or {}))
        self.cache = CandidateCache(ctx.bits, ctx.header_bits, prune=False)

    def admissible(self, cands: Candidates) -> np.ndarray:
        """``(N, C)`` mask of the candidates the baseline may pick."""
        raise NotImplementedError

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cands = self.cache.get(obs["profile"], obs["cut_mask"])
        f, w = self.planning_shares()
        lat = latency_estimate(cands, self.estimate(obs["bandwidth"]), f, w, self.ctx.rtt_s)
        chosen = cands.take(np.argmin(np.where(self.admissible(cands), lat, np.inf), axis=1))
        return self.ctx.action(chosen.split, chosen.bits_idx, self.equal_shares(), self.equal_shares())


class Neurosurgeon(_LatencyArgmin):
    """Neurosurgeon (Kang et al. 2017): latency-optimal cut with fp32 features, last bandwidth sample, equal shares."""

    name: ClassVar[str] = "neurosurgeon"
    OPTIONS: ClassVar[dict[str, Any]] = {"estimator": "last", "estimator_options": None}

    def admissible(self, cands: Candidates) -> np.ndarray:
        return cands.bits_idx == self.ctx.idx32


class AccuracyBudget(_LatencyArgmin):
    """JALAD / Auto-Split style: latency-optimal ``(cut, bits)`` with ``acc_loss <= budget_pp`` (default 1.0 pp)."""

    name: ClassVar[str] = "accuracy-budget"
    OPTIONS: ClassVar[dict[str, Any]] = {"budget_pp": 1.0, "estimator": "last", "estimator_options": None}

    def __init__(self, ctx: PolicyContext, budget_pp: float = 1.0, **options: Any) -> None:
        super().__init__(ctx, **options)
        if not (np.isfinite(budget_pp) and budget_pp >= 0):
            raise PolicyError(f"{self.name}: budget_pp must be finite and >= 0, got {budget_pp}")
        self.budget_pp = float(budget_pp)

    def admissible(self, cands: Candidates) -> np.ndarray:
        return cands.acc_loss <= self.budget_pp  # fp32 always qualifies (loss 0)


class RandomPolicy(Policy):
    """Uniformly random legal cut, bit width and raw shares from its own generator (option ``seed``, default 0;
    ``None`` draws fresh entropy)."""

    name: ClassVar[str] = "random"
    OPTIONS: ClassVar[dict[str, Any]] = {"seed": 0}

    def __init__(self, ctx: PolicyContext, seed: int | None = 0) -> None:
        super().__init__(ctx)
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Restart the generator from ``seed`` (fresh entropy when ``seed`` is None)."""
        self.rng = np.random.default_rng(self.seed)

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        mask = np.asarray(obs["cut_mask"]) > 0
        n = self.ctx.num_users
        num_legal = np.maximum(mask.shape[1] - np.argmax(mask[:, ::-1], axis=1), 1)
        split = np.floor(self.rng.random(n) * num_legal).astype(np.int64)
        bits = self.rng.integers(0, self.ctx.bits.shape[0], n)
        return self.ctx.action(split, bits, self.rng.random(n), self.rng.random(n))
