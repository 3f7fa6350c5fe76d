"""A scripted policy: cycle through a list of per-user decisions, for sweeping cuts and bit widths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CycleSchedule"]


class CycleSchedule:
    """``predict`` returns ``combos[(call // hold + i) % len(combos)]`` for user ``i``: ``(cut, bits index)``,
    with equal raw compute shares (the env normalises them). Has the SB3 ``predict`` signature."""

    def __init__(self, combos: Sequence[tuple[int, int]], num_users: int, hold: int = 1) -> None:
        if not combos or hold < 1:
            raise ValueError("need at least one (cut, bits index) combo and hold >= 1")
        self.combos = [tuple(map(int, c)) for c in combos]
        self.num_users, self.hold, self.calls = num_users, hold, 0

    def predict(self, obs: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
                ) -> tuple[dict[str, np.ndarray], None]:
        step = self.calls // self.hold
        self.calls += 1
        picks = [self.combos[(step + i) % len(self.combos)] for i in range(self.num_users)]
        return {"split": np.array([p[0] for p in picks], dtype=np.int64),
                "bits": np.array([p[1] for p in picks], dtype=np.int64),
                "compute_share": np.ones(self.num_users, dtype=np.float32)}, None
