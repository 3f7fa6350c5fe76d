"""Text and image renderings of the multi-user env's current state.

``render_ansi`` needs nothing beyond numpy. ``render_rgb`` draws a fixed-size frame with matplotlib
(imported on the first frame; a missing matplotlib raises :class:`~rapgym.errors.MissingDependencyError`
naming the ``video`` extra), one row per user (the first :data:`MAX_ROWS`):

- **cut**: the model's blocks from input (left) to output (right), the part run on the device in blue and
  the part run in the cloud in red, with the model name, the cut ``k/K`` and the uploaded bit width;
- **queues**: the remaining device / uplink / cloud work, s, stacked, on a fixed axis up to ``max_backlog_s``;
- **uplink**: the measured bandwidth of the last ``history`` slots, Mbit/s, each row scaled to its own
  maximum, with the latest value written out;
- **cloud share**: the normalised compute share (and uplink share in a shared cell) used in the last slot;

and a header with the scenario, the slot, the time and the cloud's load (offered work / slot length). At 1x in a video (960 x 540 px by default) the labels are 9-10 pt.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from rapgym.errors import MissingDependencyError
from rapgym.sim.cost import dispatched_cut
from rapgym.sim.layout import NUM_STAGES, STAGE_CLOUD, STAGE_DEVICE, STAGE_UPLINK

if TYPE_CHECKING:
    from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

__all__ = ["FRAME_SIZE", "MAX_ROWS", "render_ansi", "render_rgb"]

MAX_ROWS = 16
"""Users shown by either rendering; the rest are summarised in one line."""

FRAME_SIZE = (540, 960)
"""``(height, width)`` of every ``rgb_array`` frame, px (whatever the number of users)."""

_DPI = 100
_STAGE_COLOURS = ("#4285f4", "#f4a000", "#db4437")
"""Colours of the device, uplink and cloud stages (``STAGE_*`` order); device and cloud also colour the cut."""
_STAGE_NAMES = ("device", "uplink", "cloud")
_BAR_LEFT, _BAR_WIDTH = 0.5, 0.48
"""Where the cut bar lies in its panel (the user's label is left of it), axes fraction."""
VIDEO_EXTRA_HINT = 'pip install "rapgym[video]"'
"""How to install what ``rgb_array`` frames and videos need."""


def _last_decision(env: MultiUserEndCloudEnv) -> tuple[np.ndarray, np.ndarray] | None:
    """``(dispatched cut, bit width)`` per user of the last step, or ``None`` after ``reset``."""
    last = env.last_action
    if last is None:
        return None
    k_dev = env.sim.num_cuts - 1
    cuts = np.array([dispatched_cut(int(last[0][i]), int(k_dev[i])) for i in range(env.num_users)])
    return cuts, env.sim.bits[np.asarray(last[1], dtype=np.int64)]


def render_ansi(env: MultiUserEndCloudEnv) -> str:
    """A table of each user's last decision, backlog and latest bandwidth sample."""
    sim = env.sim
    t = sim.slot
    backlog = sim.backlog
    bw = sim.slot_rate_mbps[:, t + env.config.history - 1]
    lines = [f"slot {t}/{env.config.episode_slots}  t={sim.now_s:.2f}s  cloud load {env.cloud_load:.2f}",
             "user  cut/K   bits   bw[Mbit/s]  dev[s]  up[s]  cloud[s]"]
    decision = _last_decision(env)
    for i in range(min(env.num_users, MAX_ROWS)):
        k_dev = int(sim.num_cuts[i]) - 1
        cut = "-" if decision is None else str(decision[0][i])
        bits = "-" if decision is None else str(int(decision[1][i]))
        lines.append(f"{i:>4}  {cut:>3}/{k_dev:<3} {bits:>4}   {bw[i]:>10.2f}  {backlog[i, STAGE_DEVICE]:>6.3f}  "
                     f"{backlog[i, STAGE_UPLINK]:>5.3f}  {backlog[i, STAGE_CLOUD]:>8.3f}")
    if env.num_users > MAX_ROWS:
        lines.append(f"... {env.num_users - MAX_ROWS} more users")
    return "\n".join(lines) + "\n"


class _Frame:
    """The figure of one env, built once with every artist; each frame only updates their data (bar widths,
    line data, texts), which costs about a third of redrawing the axes."""

    def __init__(self, env: MultiUserEndCloudEnv) -> None:
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise MissingDependencyError(f"rgb_array frames need matplotlib: {VIDEO_EXTRA_HINT}") from exc
        cfg = env.config
        self.rows = rows = min(env.num_users, MAX_ROWS)
        self.shared = cfg.shared_uplink
        height, width = FRAME_SIZE
        self.figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(1, 4, width_ratios=[2.6, 1.5, 1.5, 1.0], left=0.02, right=0.985,
                                        top=0.84, bottom=0.1, wspace=0.1)
        titles = ("cut (input -> output): device | cloud", "queue, s: dev / up / cloud",
                  f"uplink Mbit/s, last {cfg.history} slots", "cloud" + (" / uplink" if self.shared else "") + " share")
        cut_ax, queue_ax, bw_ax, share_ax = axes = [self.figure.add_subplot(grid[0, j]) for j in range(4)]
        for ax, title, xmax in zip(axes, titles, (1.0, cfg.max_backlog_s, 1.0, 1.0), strict=True):
            ax.set_ylim(rows - 0.5, -0.5)
            ax.set_xlim(0.0, xmax)
            ax.set_yticks([])
            ax.set_title(title, fontsize=9.5, loc="left")
            for side in ("top", "right", "left"):
                ax.spines[side].set_visible(False)
            ax.tick_params(axis="x", labelsize=8)
        for ax in (cut_ax, bw_ax):
            ax.set_xticks([])
        cut_ax.spines["bottom"].set_visible(False)
        y = np.arange(rows)
        zeros = np.zeros(rows)
        self.cut_device = cut_ax.barh(y, zeros, left=_BAR_LEFT, height=0.5, color=_STAGE_COLOURS[STAGE_DEVICE]).patches
        self.cut_cloud = cut_ax.barh(y, zeros, left=_BAR_LEFT, height=0.5).patches
        self.cut_text = [cut_ax.text(0.0, i, "", fontsize=9, va="center", ha="left") for i in y]
        self.queue = [queue_ax.barh(y, zeros, height=0.6, color=_STAGE_COLOURS[stage]).patches for stage in range(NUM_STAGES)]
        self.queue_text = [queue_ax.text(cfg.max_backlog_s * 0.98, i, "", fontsize=8, va="center", ha="right") for i in y]
        x = np.linspace(0.0, 0.7, cfg.history)
        for i in y:
            bw_ax.axhline(i + 0.35, xmax=0.7, color="#cccccc", lw=0.5)
        self.bw_line = [bw_ax.plot(x, np.full(cfg.history, i + 0.35), color=_STAGE_COLOURS[STAGE_UPLINK], lw=1.2)[0]
                        for i in y]
        self.bw_text = [bw_ax.text(0.99, i, "", fontsize=9, va="center", ha="right") for i in y]
        offset, bar = (0.15, 0.3) if self.shared else (0.0, 0.6)
        self.share = [share_ax.barh(y - offset, zeros, height=bar, color=_STAGE_COLOURS[STAGE_CLOUD]).patches]
        if self.shared:
            self.share.append(share_ax.barh(y + offset, zeros, height=bar, color=_STAGE_COLOURS[STAGE_UPLINK]).patches)
        self.share_text = [share_ax.text(0.98, i, "", fontsize=8, va="center", ha="right") for i in y]
        self.header = self.figure.text(0.02, 0.95, "", fontsize=12, weight="bold", va="center")
        more = f"   (+{env.num_users - rows} more users not shown)" if env.num_users > rows else ""
        self.figure.text(0.02, 0.035, f"{env.num_users} users, {'shared' if self.shared else 'own'} uplinks, "
                         f"queue axis up to max_backlog_s = {cfg.max_backlog_s:g} s{more}", fontsize=9, va="center")

    def update(self, env: MultiUserEndCloudEnv) -> None:
        """Set every artist to the env's current state."""
        cfg, sim, rows = env.config, env.sim, self.rows
        decision = _last_decision(env)
        for i in range(rows):
            k_dev = int(sim.num_cuts[i]) - 1
            name = sim.profiles[i].name
            if decision is None:
                pos, label, cloud_colour = _BAR_LEFT, f"u{i} {name}", "#dddddd"
            else:
                cut, bits = int(decision[0][i]), int(decision[1][i])
                pos, cloud_colour = _BAR_LEFT + _BAR_WIDTH * cut / k_dev, _STAGE_COLOURS[STAGE_CLOUD]
                where = "cloud" if cut == 0 else "device" if cut == k_dev else f"{cut}/{k_dev} {bits}b"
                label = f"u{i} {name} {where}"
            self.cut_device[i].set_width(pos - _BAR_LEFT)
            self.cut_cloud[i].set_x(pos)
            self.cut_cloud[i].set_width(_BAR_LEFT + _BAR_WIDTH - pos)
            self.cut_cloud[i].set_facecolor(cloud_colour)
            self.cut_text[i].set_text(label)
        backlog = sim.backlog[:rows].astype(np.float64)
        left = np.zeros(rows)
        for stage in range(NUM_STAGES):
            for i, patch in enumerate(self.queue[stage]):
                patch.set_x(left[i])
                patch.set_width(backlog[i, stage])
            left += backlog[:, stage]
        window = np.asarray(sim.slot_rate_mbps[:rows, sim.slot:sim.slot + cfg.history], dtype=np.float64)
        for i in range(rows):
            self.queue_text[i].set_text(f"{left[i]:.2f}")
            top = max(float(window[i].max()), 1e-9)
            self.bw_line[i].set_ydata(i + 0.35 - 0.7 * window[i] / top)
            self.bw_text[i].set_text(f"{window[i, -1]:.1f}")
        shares = sim.shares[:, :rows] if decision is not None else np.zeros((2, rows))
        for field, patches in enumerate(self.share):
            for i, patch in enumerate(patches):
                patch.set_width(shares[field, i])
        for i in range(rows):
            self.share_text[i].set_text("" if decision is None else f"{shares[0, i]:.2f}")
        self.header.set_text(f"{cfg.name}   slot {sim.slot}/{cfg.episode_slots}   t = {sim.now_s:.1f} s   "
                             f"cloud load {env.cloud_load:.2f}")

    def to_array(self) -> np.ndarray:
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()


_FRAMES: weakref.WeakKeyDictionary[Any, _Frame] = weakref.WeakKeyDictionary()


def render_rgb(env: MultiUserEndCloudEnv) -> np.ndarray:
    """The env's state as a ``FRAME_SIZE + (3,)`` uint8 image (see the module docstring for what it shows).

    Raises:
        MissingDependencyError: matplotlib is not installed (the ``video`` extra).
    """
    frame = _FRAMES.get(env)
    if frame is None:
        frame = _FRAMES[env] = _Frame(env)
    frame.update(env)
    return frame.to_array()
