"""The README's TorchRL and video examples ("Using rapgym from other projects") run as written.

The RLlib example runs in ``tests/examples/test_rllib.py`` (its own venv); the RL-Zoo commands in
``tests/examples/test_rl_zoo.py``.
"""

from __future__ import annotations

import pytest

from tests.envs.test_ecosystem_readme import readme_examples

EXAMPLES = {"TorchRL": "torchrl", "Videos": "moviepy"}
"""Bold title of each example -> the module of the optional extra it needs."""


def test_the_integration_examples_are_in_the_readme():
    assert set(EXAMPLES) | {"Ray RLlib"} <= set(readme_examples())


def test_torchrl_example_runs(capsys):
    pytest.importorskip(EXAMPLES["TorchRL"], reason="needs the torchrl extra")
    exec(compile(readme_examples()["TorchRL"], "README.md: TorchRL", "exec"), {})
    assert float(capsys.readouterr().out.strip().split("(")[1].split(")")[0]) < 0  # tensor(-x.xx): a cost


def test_video_example_writes_an_mp4(tmp_path, monkeypatch):
    pytest.importorskip(EXAMPLES["Videos"], reason="needs the video extra")
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_examples()["Videos"], "README.md: Videos", "exec"), {})
    assert (tmp_path / "videos" / "rl-video-episode-0.mp4").stat().st_size > 1000
