"""``rgb_array`` frames (``rapgym.envs.rendering``): fixed size, they follow the state, and Gymnasium's ``RecordVideo``."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest

import rapgym
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.rendering import FRAME_SIZE, render_ansi, render_rgb
from rapgym.errors import MissingDependencyError
from rapgym.evaluation.video import write_video
from tests.envs.test_ecosystem_extras import _block

pytest.importorskip("matplotlib", reason="rgb_array frames need matplotlib (the video extra)")


def _step(env: MultiUserEndCloudEnv, split: int, bits: int = 0) -> np.ndarray:
    n = env.num_users
    action = {"split": np.full(n, split), "bits": np.full(n, bits), "compute_share": np.ones(n, np.float32)}
    if env.config.shared_uplink:
        action["uplink_share"] = np.ones(n, np.float32)
    env.step(action)
    return env.render()


@pytest.mark.parametrize(("scenario", "num_users"), [("default", 2), ("default", 8), ("shared-cell", 24)])
def test_frames_have_one_fixed_size_whatever_the_scenario(scenario, num_users):
    env = MultiUserEndCloudEnv(scenario, render_mode="rgb_array", num_users=num_users, episode_slots=4)
    env.reset(seed=0)
    frames = [env.render(), _step(env, 1), _step(env, 2)]
    assert all(f.shape == (*FRAME_SIZE, 3) and f.dtype == np.uint8 for f in frames)


def test_a_frame_changes_with_the_state_and_only_with_it():
    def frames(split: int) -> tuple[np.ndarray, np.ndarray]:
        env = MultiUserEndCloudEnv("default", render_mode="rgb_array", num_users=3, episode_slots=10)
        env.reset(seed=4)
        return env.render(), _step(env, split, bits=2)

    reset_a, cloud_only = frames(0)
    reset_b, device_only = frames(20)  # the largest index, above every K: device-only
    np.testing.assert_array_equal(reset_a, reset_b)  # same state, same frame
    assert not np.array_equal(reset_a, cloud_only)
    assert not np.array_equal(cloud_only, device_only)
    env = MultiUserEndCloudEnv("default", render_mode="rgb_array", num_users=3, episode_slots=10)
    env.reset(seed=4)
    _step(env, 0)
    np.testing.assert_array_equal(render_rgb(env), env.render())  # rendering twice changes nothing


def test_record_video_writes_an_mp4_of_the_episode(tmp_path):
    pytest.importorskip("moviepy", reason="RecordVideo needs moviepy (the video extra)")
    env = gym.make(rapgym.ENV_ID, render_mode="rgb_array", num_users=2, episode_slots=5)
    env = gym.wrappers.RecordVideo(env, str(tmp_path / "videos"), episode_trigger=lambda _: True, name_prefix="ep",
                                   disable_logger=True)
    env.reset(seed=0)
    truncated = False
    while not truncated:
        _, _, _, truncated, _ = env.step(env.action_space.sample())
    env.close()
    videos = list((tmp_path / "videos").glob("ep-episode-0.mp4"))
    assert videos and videos[0].stat().st_size > 1000


def test_without_matplotlib_rgb_frames_name_the_video_extra_and_text_still_renders(monkeypatch):
    _block(monkeypatch, "matplotlib")
    env = MultiUserEndCloudEnv("default", render_mode="rgb_array", num_users=2, episode_slots=4)
    env.reset(seed=0)
    with pytest.raises(MissingDependencyError, match=re.escape('pip install "rapgym[video]"')):
        env.render()
    assert "slot 0/4" in render_ansi(env)


def test_without_moviepy_an_mp4_names_the_video_extra(monkeypatch, tmp_path):
    _block(monkeypatch, "moviepy")
    with pytest.raises(MissingDependencyError, match=re.escape('pip install "rapgym[video]" (or write a .gif)')):
        write_video([np.zeros((*FRAME_SIZE, 3), np.uint8)], tmp_path / "a.mp4", fps=10)
