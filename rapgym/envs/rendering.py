"""Text and image renderings of the multi-user env's current state (no plotting library needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rapgym.sim.cost import dispatched_cut
from rapgym.sim.layout import NUM_STAGES, STAGE_CLOUD, STAGE_DEVICE, STAGE_UPLINK

if TYPE_CHECKING:
    from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

__all__ = ["render_ansi", "render_rgb"]

MAX_ROWS = 16
"""Users shown by the text rendering; the rest are summarised."""

_COLOURS = np.array([[66, 133, 244], [244, 160, 0], [219, 68, 55]], dtype=np.uint8)
"""Bar colours of the device, uplink and cloud backlogs (rows in ``STAGE_*`` order)."""


def render_ansi(env: MultiUserEndCloudEnv) -> str:
    """A table of each user's last decision, backlog and latest bandwidth sample."""
    sim = env.sim
    t = sim.slot
    backlog = sim.backlog
    bw = sim.slot_rate_mbps[:, t + env.config.history - 1]
    lines = [f"slot {t}/{env.config.episode_slots}  t={sim.now_s:.2f}s  cloud load {env.cloud_load:.2f}",
             "user  cut/K   bits   bw[Mbit/s]  dev[s]  up[s]  cloud[s]"]
    last = env.last_action
    for i in range(min(env.num_users, MAX_ROWS)):
        k_dev = int(sim.num_cuts[i]) - 1
        cut = "-" if last is None else str(dispatched_cut(int(last[0][i]), k_dev))
        bits = "-" if last is None else str(int(sim.bits[int(last[1][i])]))
        lines.append(f"{i:>4}  {cut:>3}/{k_dev:<3} {bits:>4}   {bw[i]:>10.2f}  {backlog[i, STAGE_DEVICE]:>6.3f}  "
                     f"{backlog[i, STAGE_UPLINK]:>5.3f}  {backlog[i, STAGE_CLOUD]:>8.3f}")
    if env.num_users > MAX_ROWS:
        lines.append(f"... {env.num_users - MAX_ROWS} more users")
    return "\n".join(lines) + "\n"


def render_rgb(env: MultiUserEndCloudEnv, height: int = 200, bar_width: int = 12) -> np.ndarray:
    """Stacked bars of each user's device / uplink / cloud backlog (full height = ``max_backlog_s``)."""
    backlog = env.sim.backlog
    n = env.num_users
    image = np.full((height, max(n * bar_width, 64), 3), 255, dtype=np.uint8)
    scale = height / env.config.max_backlog_s
    for i in range(n):
        bottom = height
        for stage in range(NUM_STAGES):
            size = int(min(backlog[i, stage] * scale, bottom))
            image[bottom - size:bottom, i * bar_width:(i + 1) * bar_width - 2] = _COLOURS[stage]
            bottom -= size
    return image
