"""JM-MPRA (our formulation): joint multi-user partition and resource allocation by alternation, then a polish.

The *value* of a split (one ``(cut, bits)`` per user) is ``sum_i fps_i * objective_i`` (RAP's objective) under
the split's own shares: the closed-form allocation (:func:`rapgym.agents.allocation.closed_form_shares`) of
the weighted cloud work ``a_i = fps_i (1 - omega_i) cloud_s_i / T_ref`` (and, in a shared cell, of the
weighted uplink work ``fps_i (1 - omega_i) bits_i / (B_i T_ref)``), made effective exactly as the env applies
them (floor ``min_share``, normalised over the uploading users). A user that does not upload plans its cloud
candidates with the share it would get as one more equal user, ``1 / (n_uploading + 1)``.

1. Rounds. Starting from equal planning shares, in round ``r = 1, 2, ...``:

   (a) every user takes its RAP argmin (:class:`rapgym.agents.rap.RAP`) with the planning shares;
   (b) the split is scored (its value) and the planning shares become its own shares, damped from round 2
       on: ``plan <- (1 - 1/r) plan + (1/r) shares_r`` (best-response rounds can cycle).

   The rounds stop when no user's choice changes, when the best value seen has not improved for
   ``patience`` rounds (default 2: damped best responses that keep flipping a few users), or at
   ``max_rounds`` (default 20). The best split seen is kept; the rounds taken are :attr:`JMMPRA.last_rounds`.
2. Polish, for ``2 <= N <= polish_max_users`` (default 4): the best single-user move -- one user switches to
   another of its candidates, the others fixed, the shares recomputed -- is applied while it lowers the value,
   at most ``N`` moves (every move of every user scored at once, vectorised). A single user needs none: its
   planning share is its own share, 1, so round 1 already takes the split of least value. The value is a
   per-slot objective: in the benchmark's episodes the polish lowered the reward per slot at N = 8 and 16
   (``benchmarks/policies.md``), so by default it polishes only small instances (N <= 4).

The action is the final split with its raw closed-form shares.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.candidates import Candidates
from rapgym.agents.objective import latency_estimate
from rapgym.agents.rap import RAP, rap_objective
from rapgym.errors import PolicyError

__all__ = ["JMMPRA"]

_FIELDS = tuple(Candidates.__dataclass_fields__)


class JMMPRA(RAP):
    """JM-MPRA; the options of :class:`RAP` (except ``shares``) plus ``max_rounds`` (default 20, >= 1),
    ``patience`` (default 2, >= 1) and ``polish_max_users`` (default 4, >= 0; below 2 it never polishes)."""

    name: ClassVar[str] = "jm-mpra"
    OPTIONS: ClassVar[dict[str, Any]] = {**{k: v for k, v in RAP.OPTIONS.items() if k != "shares"},
                                         "max_rounds": 20, "patience": 2, "polish_max_users": 4}

    def __init__(self, ctx: Any, max_rounds: int = 20, patience: int = 2, polish_max_users: int = 4,
                 **rap_options: Any) -> None:
        super().__init__(ctx, **rap_options)
        self.max_rounds = self._integer("max_rounds", max_rounds, 1)
        self.patience = self._integer("patience", patience, 1)
        self.polish_max_users = self._integer("polish_max_users", polish_max_users, 0)
        self.last_rounds = 0

    def _integer(self, label: str, value: Any, low: int) -> int:
        """``value`` as an int, or a :class:`PolicyError` naming the option ``label`` unless it is an integer ``>= low``."""
        if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
                and float(value).is_integer() and value >= low):
            raise PolicyError(f"{self.name}: option {label!r} must be an integer >= {low}, got {value!r}")
        return int(value)

    # ---------------------------------------------------------------- shares and values of splits
    def split_shares(self, chosen: Candidates, bw: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Effective ``(compute, uplink)`` shares of ``(..., N)`` chosen candidates (module docstring), each ``(..., N)``.

        Uploading users get ``max(raw, min_share)`` normalised over the uploading users; the others
        ``1 / (n_uploading + 1)``. Without a shared cell the uplink share is 1.
        """
        active = chosen.uploads
        n_up = active.sum(axis=-1, keepdims=True)

        def effective(raw: np.ndarray) -> np.ndarray:
            kept = np.where(active, np.maximum(raw, self.ctx.min_share), 0.0)
            total = kept.sum(axis=-1, keepdims=True)
            return np.where(active, kept / np.where(total > 0, total, 1.0), 1.0 / (n_up + 1.0))

        cloud, uplink = self.work(chosen, bw, weight)
        f = effective(closed_form_shares(cloud))
        w = effective(closed_form_shares(uplink)) if self.ctx.shared_uplink else np.ones(f.shape)
        return f, w

    def split_values(self, cands: Candidates, choices: np.ndarray, bw: np.ndarray, weight: np.ndarray,
                     queue: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Value ``sum_i fps_i * objective_i`` of each split ``choices[s]`` (``(S, N)`` candidate columns) under its
        own effective shares: ``(S,)`` values and the ``(S, N)`` compute and uplink shares."""
        s, n = choices.shape
        chosen = Candidates(*(getattr(cands, f)[np.arange(n), choices] for f in _FIELDS))  # (S, N)
        f, w = self.split_shares(chosen, bw, weight)
        flat = Candidates(*(getattr(chosen, f).reshape(-1, 1) for f in _FIELDS))  # (S * N, 1): one row per (split, user)
        fps = np.tile(self.ctx.fps, s)
        stream = (fps, fps * self.ctx.dt_s) if self.queue_aware else None
        lat = latency_estimate(flat, np.tile(bw, s), f.ravel(), w.ravel(), self.ctx.rtt_s,
                               None if queue is None else np.tile(queue, (s, 1)), stream)
        obj = rap_objective(flat, lat, np.tile(weight, s), self.acc_ref_pp, self.t_ref_s).reshape(s, n)
        return (self.ctx.fps * obj).sum(axis=1), f, w

    # ---------------------------------------------------------------- the two stages
    def rounds(self, cands: Candidates, bw: np.ndarray, weight: np.ndarray, queue: np.ndarray | None) -> np.ndarray:
        """Stage 1 (module docstring): the ``(N,)`` candidate columns of the best split seen; sets :attr:`last_rounds`."""
        plan_f, plan_w = self.planning_shares()
        choice = np.argmin(self.objective(cands, bw, weight, queue, plan_f, plan_w), axis=1)
        best_value, best, stall = np.inf, choice, 0
        for r in range(1, self.max_rounds + 1):
            self.last_rounds = r
            values, f, w = self.split_values(cands, choice[None, :], bw, weight, queue)
            value, f, w = float(values[0]), f[0], w[0]
            if value < best_value:
                best_value, best, stall = value, choice, 0
            else:
                stall += 1
                if stall >= self.patience:
                    break
            # damped planning shares from round 2 on: step 1/r, so that best responses settle
            plan_f, plan_w = (f, w) if r == 1 else ((1 - 1 / r) * plan_f + f / r, (1 - 1 / r) * plan_w + w / r)
            new = np.argmin(self.objective(cands, bw, weight, queue, plan_f, plan_w), axis=1)
            if np.array_equal(new, choice):
                break
            choice = new
        return best

    def polish(self, cands: Candidates, choice: np.ndarray, bw: np.ndarray, weight: np.ndarray,
               queue: np.ndarray | None) -> np.ndarray:
        """Stage 2 (module docstring): ``choice`` after at most ``N`` value-lowering best single-user moves."""
        n = choice.shape[0]
        users, cols = np.nonzero(cands.valid)  # every move: user users[m] takes column cols[m]
        choice = choice.copy()
        for _ in range(n):
            trials = np.repeat(choice[None, :], users.size, axis=0)
            trials[np.arange(users.size), users] = cols
            values = self.split_values(cands, trials, bw, weight, queue)[0]
            current = values[np.flatnonzero(cols == choice[users])[0]]  # a "move" to the user's own choice
            m = int(np.argmin(values))
            if not values[m] < current:
                break
            choice[users[m]] = cols[m]
        return choice

    # ---------------------------------------------------------------- policy
    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cands, bw, weight, queue = self.observe(obs)
        choice = self.rounds(cands, bw, weight, queue)
        if 2 <= self.ctx.num_users <= self.polish_max_users:
            choice = self.polish(cands, choice, bw, weight, queue)
        chosen = cands.take(choice)
        cloud, uplink = self.work(chosen, bw, weight)
        return self.to_action(chosen, closed_form_shares(cloud), closed_form_shares(uplink))
