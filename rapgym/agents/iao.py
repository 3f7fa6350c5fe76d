"""IAO (after Tang et al. 2021, joint multi-user DNN partitioning and compute allocation): fp32 cuts and the
min-max latency allocation found by bisection.

For a target latency ``L`` the least compute share user ``i`` needs at cut ``k`` is
``cloud_s / (L - device - bits/B - rtt)`` (``inf`` if ``L`` is not above the fixed part; 0 for device-only
when ``device <= L``); user ``i`` takes its cheapest cut. ``L`` is feasible when the needs, each raised to
the env's floor ``min_share`` where positive, sum to at most 1. Bisection on ``L`` (``iterations`` steps,
default 40) between the best single-user latency and the all-device-only latency, which is always
feasible. Bandwidth: option ``estimator`` (default the last sample); empty queues.
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

__all__ = ["IAO"]


class IAO(Policy):
    """IAO: fp32 partition + min-max latency compute allocation by bisection."""

    name: ClassVar[str] = "iao"
    OPTIONS: ClassVar[dict[str, Any]] = {"estimator": "last", "estimator_options": None, "iterations": 40}

    def __init__(self, ctx: PolicyContext, estimator: str = "last", estimator_options: dict[str, float] | None = None,
                 iterations: int = 40) -> None:
        super().__init__(ctx)
        if int(iterations) != iterations or iterations < 1:
            raise PolicyError(f"{self.name}: iterations must be an integer >= 1, got {iterations}")
        self.iterations = int(iterations)
        self.estimate = make_estimator(estimator, **(estimator_options or {}))
        self.cache = CandidateCache(ctx.bits, ctx.header_bits, prune=False)

    def _need(self, fixed: np.ndarray, cands: Candidates, target: float) -> np.ndarray:
        """``(N, C)`` share each candidate needs to finish within ``target`` s."""
        slack = target - fixed
        need = np.full(fixed.shape, np.inf)
        ok = slack > 0
        np.divide(cands.cloud_s, slack, out=need, where=ok)
        return np.where(cands.uploads, need, np.where(fixed <= target, 0.0, np.inf))

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cands = self.cache.get(obs["profile"], obs["cut_mask"])
        n = self.ctx.num_users
        _, w = self.planning_shares()
        fp32 = cands.valid & (cands.bits_idx == self.ctx.idx32)
        no_cloud = Candidates(**{**{f: getattr(cands, f) for f in Candidates.__dataclass_fields__},
                                 "cloud_s": np.zeros_like(cands.cloud_s), "valid": fp32})
        fixed = latency_estimate(no_cloud, self.estimate(obs["bandwidth"]), np.ones(n), w, self.ctx.rtt_s)
        full = np.where(fp32, fixed + cands.cloud_s, np.inf)  # latency with the whole cloud
        lo = float(full.min(axis=1).max())
        hi = float(np.where(fp32 & ~cands.uploads, fixed, -np.inf).max(axis=1).max())
        hi = max(hi, lo)
        for _ in range(self.iterations):
            mid = 0.5 * (lo + hi)
            need = self._need(fixed, cands, mid).min(axis=1)
            total = np.where(need > 0, np.maximum(need, self.ctx.min_share), 0.0).sum()
            lo, hi = (mid, hi) if total > 1.0 else (lo, mid)
        need = self._need(fixed, cands, hi)
        choice = np.argmin(need, axis=1)
        chosen = cands.take(choice)
        share = need[np.arange(n), choice]
        return self.ctx.action(chosen.split, chosen.bits_idx, np.where(chosen.uploads, np.minimum(share, 1.0), 0.0),
                               np.ones(n))
