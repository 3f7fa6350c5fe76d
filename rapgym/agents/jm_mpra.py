"""JM-MPRA (our formulation): joint multi-user partition and resource allocation by alternation.

Starting from equal shares, repeat until no user's ``(cut, bits)`` changes (or ``max_rounds``):

(a) every user takes its RAP argmin (:class:`rapgym.agents.rap.RAP`) with the current shares;
(b) the shares become the closed-form allocation (:func:`rapgym.agents.allocation.closed_form_shares`)
    of the weighted cloud work ``a_i = fps_i (1 - omega_i) cloud_s_i / T_ref`` (and, in a shared cell,
    of the weighted uplink work ``fps_i (1 - omega_i) bits_i / (B_i T_ref)``), normalised with the env's
    floor over the uploading users, exactly as the env will apply them.

A user that does not upload plans its cloud candidates with the share it would get as one more equal
user, ``1 / (n_uploading + 1)``. Best-response rounds can cycle, so from round 2 on the shares that (a)
plans with are damped: ``plan <- (1 - 1/r) plan + (1/r) shares_r`` in round ``r``. The guard keeps the
best split seen, scored by ``sum_i fps_i * objective_i`` under its own (undamped) shares. The rounds taken
by the last decision are in :attr:`JMMPRA.last_rounds`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.rap import RAP
from rapgym.errors import PolicyError
from rapgym.sim.pipeline import normalise_shares

__all__ = ["JMMPRA"]


class JMMPRA(RAP):
    """JM-MPRA; the options of :class:`RAP` (except ``shares``) plus ``max_rounds`` (default 20)."""

    name: ClassVar[str] = "jm-mpra"
    OPTIONS: ClassVar[dict[str, Any]] = {**{k: v for k, v in RAP.OPTIONS.items() if k != "shares"}, "max_rounds": 20}

    def __init__(self, ctx: Any, max_rounds: int = 20, **rap_options: Any) -> None:
        super().__init__(ctx, **rap_options)
        if int(max_rounds) != max_rounds or max_rounds < 1:
            raise PolicyError(f"{self.name}: max_rounds must be an integer >= 1, got {max_rounds}")
        self.max_rounds = int(max_rounds)
        self.last_rounds = 0

    def _effective(self, raw: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Shares as the env applies them (floor, normalised over the uploading users); non-uploaders plan
        with ``1 / (n_uploading + 1)``."""
        out = np.empty(raw.shape[0])
        normalise_shares(raw, active, self.ctx.min_share, out)
        return np.where(active, out, 1.0 / (active.sum() + 1.0))

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cands, bw, weight, queue = self.observe(obs)
        rows = np.arange(self.ctx.num_users)
        plan_f, plan_w = self.planning_shares()
        choice = np.argmin(self.objective(cands, bw, weight, queue, plan_f, plan_w), axis=1)
        best_value, best = np.inf, None
        for rounds in range(1, self.max_rounds + 1):
            self.last_rounds = rounds
            chosen = cands.take(choice)
            cloud, uplink = self.work(chosen, bw, weight)
            raw_f, raw_w = closed_form_shares(cloud), closed_form_shares(uplink)
            f = self._effective(raw_f, chosen.uploads)
            w = self._effective(raw_w, chosen.uploads) if self.ctx.shared_uplink else plan_w
            obj = self.objective(cands, bw, weight, queue, f, w)
            value = float(np.sum(self.ctx.fps * obj[rows, choice]))  # this split under its own shares
            if value < best_value or best is None:
                best_value, best = value, (chosen, raw_f, raw_w)
            if rounds > 1:  # damped planning shares: step 1/rounds, so that best responses settle
                step = 1.0 / rounds
                plan_f, plan_w = (1 - step) * plan_f + step * f, (1 - step) * plan_w + step * w
                obj = self.objective(cands, bw, weight, queue, plan_f, plan_w)
            else:
                plan_f, plan_w = f, w
            new = np.argmin(obj, axis=1)
            if np.array_equal(new, choice):
                break
            choice = new
        return self.to_action(*best)
