"""RAP (our formulation after the TMC 2024 abstract): per-user weighted (cut, bits) choice.

Offline, the ``(cut, bits)`` candidates of each user that are dominated in (device s, cloud s, uploaded
bits, accuracy loss) are pruned. Online, per slot and vectorised over users and candidates:

1. ``B`` = bandwidth estimate from ``obs["bandwidth"]`` (``rapgym.agents.estimators``; default harmonic mean
   of the last 5 samples);
2. ``omega(B) = B / (B + B0)`` (or ``1 - exp(-B/B0)``, or a constant);
3. pick ``argmin omega * acc_loss / acc_ref + (1 - omega) * T / T_ref`` with ``T`` from
   :func:`rapgym.agents.objective.latency_estimate` (queue-aware by default: the observed backlogs delay
   each stage and the slot's ``fps * dt`` tasks queue behind each other at the bottleneck stage;
   ``queue_aware=False`` gives ``device + bits/B + rtt + cloud/f``), planning with equal shares.

The defaults ``acc_ref = 1 / acc_weight`` pp and ``T_ref = latency_ref_s`` make the objective at
``B = B0`` proportional to the env's cost without the deadline term. Shares: ``closed-form`` (default)
gives the chosen splits the allocation of :mod:`rapgym.agents.allocation` over the weighted cloud work
(and uplink work in a shared cell) once; ``equal`` is the ablation ``rap-equal``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.base import Policy
from rapgym.agents.candidates import CandidateCache, Candidates
from rapgym.agents.context import PolicyContext
from rapgym.agents.estimators import FLOOR_MBPS, make_estimator
from rapgym.agents.objective import OMEGA_FORMS, latency_estimate, omega
from rapgym.errors import PolicyError

__all__ = ["RAP", "rap_objective"]


def rap_objective(cands: Candidates, latency_s: np.ndarray, weight: np.ndarray, acc_ref_pp: float, t_ref_s: float) -> np.ndarray:
    """``(N, C)`` RAP objective ``omega * acc/acc_ref + (1 - omega) * T/T_ref`` (``inf`` where invalid)."""
    w = weight[:, None]
    acc_term = w * cands.acc_loss / acc_ref_pp if np.isfinite(acc_ref_pp) else 0.0
    return acc_term + (1.0 - w) * latency_s / t_ref_s


class RAP(Policy):
    """RAP with options (all validated):

    - ``estimator``: ``last``, ``ewma``, ``harmonic`` (default) or ``robust_mpc``; ``estimator_options``: dict
      of that estimator's options (e.g. ``{"n": 5}``, ``{"alpha": 0.5}``).
    - ``omega_form``: ``rational`` (default), ``exponential``, ``constant``; ``b0_mbps`` (default 8.0 Mbit/s);
      ``omega_const`` (default 0.5, for ``constant``).
    - ``acc_ref_pp`` (default ``1 / acc_weight``, pp), ``t_ref_s`` (default ``latency_ref_s``, s).
    - ``queue_aware`` (default True); ``shares``: ``closed-form`` (default) or ``equal``.
    """

    name: ClassVar[str] = "rap"
    OPTIONS: ClassVar[dict[str, Any]] = {
        "estimator": "harmonic", "estimator_options": None, "omega_form": "rational", "b0_mbps": 8.0,
        "omega_const": 0.5, "acc_ref_pp": None, "t_ref_s": None, "queue_aware": True, "shares": "closed-form"}
    SHARES = ("closed-form", "equal")

    def __init__(self, ctx: PolicyContext, estimator: str = "harmonic", estimator_options: dict[str, float] | None = None,
                 omega_form: str = "rational", b0_mbps: float = 8.0, omega_const: float = 0.5,
                 acc_ref_pp: float | None = None, t_ref_s: float | None = None, queue_aware: bool = True,
                 shares: str = "closed-form") -> None:
        super().__init__(ctx)
        self.estimate = make_estimator(estimator, **(estimator_options or {}))
        if omega_form not in OMEGA_FORMS:
            raise PolicyError(f"{self.name}: omega_form {omega_form!r} unknown; allowed: {list(OMEGA_FORMS)}")
        if not (np.isfinite(b0_mbps) and b0_mbps > 0):
            raise PolicyError(f"{self.name}: b0_mbps must be finite and > 0, got {b0_mbps}")
        if not 0.0 <= omega_const <= 1.0:
            raise PolicyError(f"{self.name}: omega_const must be in [0, 1], got {omega_const}")
        if shares not in self.SHARES:
            raise PolicyError(f"{self.name}: shares {shares!r} unknown; allowed: {list(self.SHARES)}")
        if acc_ref_pp is None:
            acc_ref_pp = 1.0 / ctx.acc_weight if ctx.acc_weight > 0 else np.inf
        t_ref_s = ctx.latency_ref_s if t_ref_s is None else t_ref_s
        for label, value in (("acc_ref_pp", acc_ref_pp), ("t_ref_s", t_ref_s)):
            if not value > 0:
                raise PolicyError(f"{self.name}: {label} must be > 0, got {value}")
        self.omega_form, self.b0_mbps, self.omega_const = omega_form, float(b0_mbps), float(omega_const)
        self.acc_ref_pp, self.t_ref_s = float(acc_ref_pp), float(t_ref_s)
        self.queue_aware = bool(queue_aware)
        self.shares = shares
        self.cache = CandidateCache(ctx.bits, ctx.header_bits)

    # ---------------------------------------------------------------- building blocks (reused by JM-MPRA)
    def observe(self, obs: dict[str, np.ndarray]) -> tuple[Candidates, np.ndarray, np.ndarray, np.ndarray | None]:
        """Pruned candidates, bandwidth estimate (Mbit/s, floored), omega and the queue used for planning."""
        cands = self.cache.get(obs["profile"], obs["cut_mask"])
        bw = np.maximum(self.estimate(obs["bandwidth"]), FLOOR_MBPS)
        weight = omega(bw, self.omega_form, self.b0_mbps, self.omega_const)
        queue = obs["queue"] if self.queue_aware else None
        return cands, bw, weight, queue

    def objective(self, cands: Candidates, bw: np.ndarray, weight: np.ndarray, queue: np.ndarray | None,
                  compute_share: np.ndarray, uplink_share: np.ndarray) -> np.ndarray:
        """``(N, C)`` RAP objective of every candidate for the given planning shares."""
        stream = (self.ctx.fps, self.ctx.fps * self.ctx.dt_s) if self.queue_aware else None
        lat = latency_estimate(cands, bw, compute_share, uplink_share, self.ctx.rtt_s, queue, stream)
        return rap_objective(cands, lat, weight, self.acc_ref_pp, self.t_ref_s)

    def work(self, chosen: Candidates, bw: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted cloud and uplink work per slot of the chosen candidates (``a_i`` of the allocation)."""
        rate = self.ctx.fps * (1.0 - weight) / self.t_ref_s
        cloud = np.where(chosen.uploads, rate * chosen.cloud_s, 0.0)
        uplink = np.where(chosen.uploads, rate * chosen.tx_bits / (bw * 1e6), 0.0)
        return cloud, uplink

    def to_action(self, chosen: Candidates, compute_share: np.ndarray, uplink_share: np.ndarray | None) -> dict[str, np.ndarray]:
        """The env action of the chosen candidates with raw shares."""
        return self.ctx.action(chosen.split, chosen.bits_idx, compute_share, uplink_share)

    # ---------------------------------------------------------------- policy
    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cands, bw, weight, queue = self.observe(obs)
        f, w = self.planning_shares()
        chosen = cands.take(np.argmin(self.objective(cands, bw, weight, queue, f, w), axis=1))
        if self.shares == "equal":
            return self.to_action(chosen, self.equal_shares(), self.equal_shares())
        cloud, uplink = self.work(chosen, bw, weight)
        return self.to_action(chosen, closed_form_shares(cloud), closed_form_shares(uplink))
