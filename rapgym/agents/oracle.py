"""The clairvoyant per-slot oracle: exhaustive search scored by the simulator's own slot kernel.

For the current slot it enumerates every combination of the users' non-dominated ``(cut, bits)``
candidates (:func:`rapgym.agents.candidates.prune_dominated`: a dominated candidate is never needed by a
cost non-decreasing in device s, cloud s, bits and accuracy loss), gives each combination the closed-form
shares of its cloud work ``fps_i * cloud_s_i`` (and uplink bits ``fps_i * bits_i`` in a shared cell), and
scores them all with :meth:`rapgym.sim.simulator.Simulator.score_actions` (the simulator's own slot kernel
on copies of the queue state and arrival cursors, with the true uplink trace). It returns the combination with the least env cost of the slot (myopic: later slots are not
looked at). **Clairvoyant**: it reads the simulator (true bandwidth, arrivals), which no deployable policy can.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.base import Policy
from rapgym.agents.candidates import Candidates, enumerate_candidates, prune_dominated
from rapgym.agents.context import PolicyContext
from rapgym.errors import PolicyError

__all__ = ["Oracle"]


class Oracle(Policy):
    """Exhaustive clairvoyant per-slot search; option ``max_combinations`` (default 200 000) bounds the search.

    Raises:
        PolicyError: at construction, when the product of the users' candidate counts exceeds
            ``max_combinations`` (the message gives the counts).
    """

    name: ClassVar[str] = "oracle"
    OPTIONS: ClassVar[dict[str, Any]] = {"max_combinations": 200_000}
    clairvoyant: ClassVar[bool] = True

    def __init__(self, ctx: PolicyContext, env: Any, max_combinations: int = 200_000) -> None:
        super().__init__(ctx)
        self.sim = env.unwrapped.sim
        cands = prune_dominated(enumerate_candidates(self.sim.features, self.sim.cut_mask, ctx.bits, ctx.header_bits))
        counts = cands.valid.sum(axis=1)
        total = int(np.prod(counts.astype(np.float64)))
        if total > max_combinations:
            raise PolicyError(f"oracle: {ctx.num_users} users with {counts.tolist()} non-dominated candidates give {total} "
                             f"combinations > max_combinations={max_combinations}; use fewer users (N <= 4 with typical "
                             f"profiles) or raise max_combinations")
        idx = np.stack(np.meshgrid(*[np.arange(c) for c in counts], indexing="ij"), axis=-1).reshape(-1, ctx.num_users)
        rows = np.arange(ctx.num_users)[None, :]
        self.combos: Candidates = Candidates(*(getattr(cands, f)[rows, idx] for f in Candidates.__dataclass_fields__))
        fps = ctx.fps[None, :]  # cloud_s and tx_bits are 0 for the candidates that do not upload
        self.compute_share = closed_form_shares(fps * self.combos.cloud_s)
        self.uplink_share = (closed_form_shares(fps * self.combos.tx_bits) if ctx.shared_uplink
                             else np.ones(self.combos.split.shape))
        self.last_cost = np.nan

    def act(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        c = self.combos
        costs = self.sim.score_actions(c.split, c.bits_idx, self.compute_share, self.uplink_share)
        best = int(np.argmin(costs))
        self.last_cost = float(costs[best])
        return self.ctx.action(c.split[best], c.bits_idx[best], self.compute_share[best], self.uplink_share[best])
