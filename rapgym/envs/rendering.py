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


class _Canvas:
    """One matplotlib figure per env, redrawn for every frame (building a figure costs more than drawing it)."""

    def __init__(self) -> None:
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise MissingDependencyError(f"rgb_array frames need matplotlib: {VIDEO_EXTRA_HINT}") from exc
        height, width = FRAME_SIZE
        self.figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(1, 4, width_ratios=[2.6, 1.5, 1.5, 1.0], left=0.02, right=0.985,
                                        top=0.84, bottom=0.1, wspace=0.1)
        self.axes = [self.figure.add_subplot(grid[0, j]) for j in range(4)]

    def to_array(self) -> np.ndarray:
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()


_CANVASES: weakref.WeakKeyDictionary[Any, _Canvas] = weakref.WeakKeyDictionary()


def _rows_axis(ax: Any, rows: int, title: str) -> None:
    ax.clear()
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_yticks([])
    ax.set_title(title, fontsize=9.5, loc="left")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)


def _draw_cuts(ax: Any, env: MultiUserEndCloudEnv, rows: int, decision: tuple[np.ndarray, np.ndarray] | None) -> None:
    _rows_axis(ax, rows, "cut (input -> output): device | cloud")
    ax.set_xlim(0.0, 1.0)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    for i in range(rows):
        k_dev = int(env.sim.num_cuts[i]) - 1
        name = env.sim.profiles[i].name
        if decision is None:
            ax.barh(i, _BAR_WIDTH, left=_BAR_LEFT, height=0.5, color="#dddddd")
            label = f"u{i} {name}"
        else:
            cut, bits = int(decision[0][i]), int(decision[1][i])
            pos = _BAR_LEFT + _BAR_WIDTH * cut / k_dev
            ax.barh(i, pos - _BAR_LEFT, left=_BAR_LEFT, height=0.5, color=_STAGE_COLOURS[STAGE_DEVICE])
            ax.barh(i, _BAR_LEFT + _BAR_WIDTH - pos, left=pos, height=0.5, color=_STAGE_COLOURS[STAGE_CLOUD])
            bits_text = "" if cut in (0, k_dev) else f" {bits}b"
            where = "cloud" if cut == 0 else "device" if cut == k_dev else f"{cut}/{k_dev}"
            label = f"u{i} {name} {where}{bits_text}"
        ax.text(0.0, i, label, fontsize=9, va="center", ha="left")


def _draw_queues(ax: Any, env: MultiUserEndCloudEnv, rows: int) -> None:
    _rows_axis(ax, rows, "queue, s: dev / up / cloud")
    backlog = env.sim.backlog[:rows].astype(np.float64)
    left = np.zeros(rows)
    for stage in range(NUM_STAGES):
        ax.barh(np.arange(rows), backlog[:, stage], left=left, height=0.6, color=_STAGE_COLOURS[stage],
                label=_STAGE_NAMES[stage])
        left += backlog[:, stage]
    ax.set_xlim(0.0, env.config.max_backlog_s)
    for i in range(rows):
        ax.text(env.config.max_backlog_s * 0.98, i, f"{left[i]:.2f}", fontsize=8, va="center", ha="right")


def _draw_bandwidth(ax: Any, env: MultiUserEndCloudEnv, rows: int) -> None:
    hist = env.config.history
    _rows_axis(ax, rows, f"uplink Mbit/s, last {hist} slots")
    t = env.sim.slot
    window = np.asarray(env.sim.slot_rate_mbps[:rows, t:t + hist], dtype=np.float64)
    x = np.linspace(0.0, 0.7, hist)
    ax.set_xlim(0.0, 1.0)
    ax.set_xticks([])
    for i in range(rows):
        top = max(float(window[i].max()), 1e-9)
        ax.plot(x, i + 0.35 - 0.7 * window[i] / top, color=_STAGE_COLOURS[STAGE_UPLINK], lw=1.2)
        ax.axhline(i + 0.35, xmax=0.7, color="#cccccc", lw=0.5)
        ax.text(0.99, i, f"{window[i, -1]:.1f}", fontsize=9, va="center", ha="right")


def _draw_shares(ax: Any, env: MultiUserEndCloudEnv, rows: int, decided: bool) -> None:
    shared = env.config.shared_uplink
    _rows_axis(ax, rows, "cloud" + (" / uplink" if shared else "") + " share")
    ax.set_xlim(0.0, 1.0)
    if not decided:
        return
    shares = env.sim.shares[:, :rows]
    ax.barh(np.arange(rows) - (0.15 if shared else 0.0), shares[0], height=0.3 if shared else 0.6,
            color=_STAGE_COLOURS[STAGE_CLOUD])
    if shared:
        ax.barh(np.arange(rows) + 0.15, shares[1], height=0.3, color=_STAGE_COLOURS[STAGE_UPLINK])
    for i in range(rows):
        ax.text(0.98, i, f"{shares[0, i]:.2f}", fontsize=8, va="center", ha="right")


def render_rgb(env: MultiUserEndCloudEnv) -> np.ndarray:
    """The env's state as a ``FRAME_SIZE + (3,)`` uint8 image (see the module docstring for what it shows).

    Raises:
        MissingDependencyError: matplotlib is not installed (the ``video`` extra).
    """
    canvas = _CANVASES.get(env)
    if canvas is None:
        canvas = _CANVASES[env] = _Canvas()
    cfg, sim = env.config, env.sim
    rows = min(env.num_users, MAX_ROWS)
    decision = _last_decision(env)
    cut_ax, queue_ax, bw_ax, share_ax = canvas.axes
    _draw_cuts(cut_ax, env, rows, decision)
    _draw_queues(queue_ax, env, rows)
    _draw_bandwidth(bw_ax, env, rows)
    _draw_shares(share_ax, env, rows, decision is not None)
    figure = canvas.figure
    for text in list(figure.texts):
        text.remove()
    figure.text(0.02, 0.95, f"{cfg.name}   slot {sim.slot}/{cfg.episode_slots}   t = {sim.now_s:.1f} s   "
                f"cloud load {env.cloud_load:.2f}", fontsize=12, weight="bold", va="center")
    more = f"   (+{env.num_users - rows} more users not shown)" if env.num_users > rows else ""
    figure.text(0.02, 0.035, f"{env.num_users} users, {'shared' if cfg.shared_uplink else 'own'} uplinks, "
                f"queue axis up to max_backlog_s = {cfg.max_backlog_s:g} s{more}", fontsize=9, va="center")
    return canvas.to_array()
