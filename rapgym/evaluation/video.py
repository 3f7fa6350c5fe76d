"""A video of one episode of any policy: the env's ``rgb_array`` frames written as MP4 or GIF.

MP4 needs moviepy (its ``imageio-ffmpeg`` dependency ships the encoder); GIF needs Pillow (a matplotlib
dependency). Both are in the ``video`` extra; a missing one raises
:class:`~rapgym.errors.MissingDependencyError` naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.rendering import VIDEO_EXTRA_HINT
from rapgym.errors import MissingDependencyError, RapgymError

__all__ = ["VIDEO_SUFFIXES", "record_episode", "write_video"]

VIDEO_SUFFIXES = (".mp4", ".gif")
"""File types :func:`write_video` writes."""


def record_episode(scenario: str, policy_factory: Any, seed: int, **overrides: Any) -> tuple[list[np.ndarray], float]:
    """The frames of one episode of ``policy_factory(env)`` from ``reset(seed=seed)``: the reset state, then one
    frame after every step; and the frame rate at which the video plays in real time (``1 / dt_s``), frames/s.

    Raises:
        ScenarioError: unknown scenario or invalid override.
        MissingDependencyError: matplotlib is missing (the ``video`` extra).
    """
    env = MultiUserEndCloudEnv(scenario, render_mode="rgb_array", **overrides)
    policy = policy_factory(env)
    obs, _ = env.reset(seed=seed)
    if hasattr(policy, "reset"):
        policy.reset()
    frames = [env.render()]
    while True:
        action, _ = policy.predict(obs, deterministic=True)
        obs, _, terminated, truncated, _ = env.step(action)
        frames.append(env.render())
        if terminated or truncated:
            return frames, 1.0 / env.config.dt_s


def write_video(frames: Sequence[np.ndarray], path: str | Path, fps: float) -> Path:
    """Write ``(H, W, 3)`` uint8 frames to ``path`` (``.mp4`` with moviepy, ``.gif`` with Pillow) at ``fps``.

    Raises:
        RapgymError: ``path`` ends in neither ``.mp4`` nor ``.gif``, or there is no frame.
        MissingDependencyError: moviepy (MP4) or Pillow (GIF) is missing (the ``video`` extra).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise RapgymError(f"video {str(path)!r}: the file type must be one of {', '.join(VIDEO_SUFFIXES)}")
    if not frames:
        raise RapgymError(f"video {str(path)!r}: no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".mp4":
        try:
            from moviepy import ImageSequenceClip
        except ImportError as exc:
            raise MissingDependencyError(f"MP4 videos need moviepy: {VIDEO_EXTRA_HINT} (or write a .gif)") from exc
        ImageSequenceClip(list(frames), fps=fps).write_videofile(str(path), fps=fps, logger=None)
        return path
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingDependencyError(f"GIF videos need Pillow: {VIDEO_EXTRA_HINT}") from exc
    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000.0 / fps), loop=0)
    return path
