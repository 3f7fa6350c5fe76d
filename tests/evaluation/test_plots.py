"""``rapgym.evaluation.plots``: each plot writes a PNG; matplotlib stays out of the core imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import REPO

plots = pytest.importorskip("rapgym.evaluation.plots")
pytest.importorskip("matplotlib")


def test_learning_curves_png_from_plain_arrays(tmp_path):
    curves = [plots.LearningCurve("hybrid", ([100, 200, 300], [-50.0, -40.0, -35.0]), ([150, 300], [-45.0, -30.0])),
              plots.LearningCurve("ppo", None, ([150, 300], [-60.0, -55.0])),
              plots.LearningCurve("sac", ([100, 200], [-70.0, -65.0]))]
    path = tmp_path / "figures" / "learning.png"
    plots.plot_learning_curves(curves, path, "default: episode return", reference_return=-38.0)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_latency_cdf_and_decisions_png(tmp_path):
    rng = np.random.default_rng(0)
    plots.plot_latency_cdf({"rap": rng.uniform(0.05, 1.0, 50), "none": np.array([])}, tmp_path / "cdf.png", "t", 0.5)
    split, bits = rng.integers(0, 4, (20, 3)), rng.choice([8, 32], (20, 3))
    plots.plot_decisions(split, bits, rng.uniform(1, 20, (20, 3)), 0.1, tmp_path / "dec.png", "t", max_users=2)
    assert (tmp_path / "cdf.png").stat().st_size > 0 and (tmp_path / "dec.png").stat().st_size > 0


def test_evaluation_and_its_cli_import_neither_matplotlib_nor_learning():
    code = ("import sys, rapgym.cli.evaluate, rapgym.evaluation.comparison; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib' or m.startswith('rapgym.learning')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == "[]"
