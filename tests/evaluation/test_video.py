"""``evaluate.py --video`` and :mod:`rapgym.evaluation.video`: an episode of any policy as MP4 or GIF."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.cli import evaluate as cli
from rapgym.envs.rendering import FRAME_SIZE
from rapgym.errors import RapgymError
from rapgym.evaluation.runner import resolve_policy
from rapgym.evaluation.video import record_episode, write_video

pytest.importorskip("matplotlib", reason="videos need matplotlib (the video extra)")


def test_an_episode_has_one_frame_per_step_plus_the_reset_at_real_time_rate():
    frames, fps = record_episode("default", resolve_policy("jm-mpra"), 0, num_users=2, episode_slots=3, dt_s=0.2)
    assert len(frames) == 4 and fps == pytest.approx(5.0)
    assert {f.shape for f in frames} == {(*FRAME_SIZE, 3)}


def test_gif_holds_every_frame(tmp_path):
    image = pytest.importorskip("PIL.Image", reason="GIFs need Pillow")
    frames = [np.full((*FRAME_SIZE, 3), v, np.uint8) for v in (0, 120, 255)]
    path = write_video(frames, tmp_path / "a.gif", fps=10)
    with image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (FRAME_SIZE[1], FRAME_SIZE[0])


def test_evaluate_writes_a_video_of_the_chosen_policy(tmp_path, capsys):
    pytest.importorskip("moviepy", reason="MP4 videos need moviepy (the video extra)")
    video = tmp_path / "v" / "rap.mp4"
    rc = cli.main(["--policies", "device-only", "rap", "--plot-policy", "rap", "--seeds", "1", "--num-users", "2",
                   "--episode-slots", "3", "--video", str(video)])
    assert rc == 0 and video.stat().st_size > 1000
    assert f"wrote 4 frames of rap on default (seed 1) to {video}" in capsys.readouterr().out.replace("\n", "")


def test_unknown_video_types_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["--policies", "rap", "--video", "x.avi"])
    assert "--video 'x.avi': the file type must be one of .mp4, .gif" in capsys.readouterr().err
    with pytest.raises(RapgymError, match="no frames"):
        write_video([], tmp_path / "a.gif", fps=10)
