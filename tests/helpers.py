"""Helpers shared by the tests: hand-made profiles and the location of the real shared data.

``RAPGYM_SHARED_DATA`` names the shared data directory (default ``<repo>/../shared/data``). When it is
missing, tests that need it are skipped with the reason, unless ``RAPGYM_REQUIRE_SHARED_DATA=1``, in
which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import rapgym.shared_data
from rapgym.profiles.profile import DNNProfile

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir(*parts: str) -> Path:
    """The shared data directory (:func:`rapgym.shared_data.shared_data_dir`); skips or fails the calling test when absent."""
    path = rapgym.shared_data.shared_data_dir(*parts)
    if not path.exists():
        reason = f"shared data {path} not found (set RAPGYM_SHARED_DATA to the shared data directory)"
        if os.environ.get("RAPGYM_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + " and RAPGYM_REQUIRE_SHARED_DATA=1")
        pytest.skip(reason)
    return path


def toy_profile(name: str = "toy") -> DNNProfile:
    """Three cuts: cloud-only (150 kB raw input), one split after block 1, device-only.

    device_s = [0, 0.05, 0.2] s, cloud_s = [0.04, 0.02, 0] s on the whole cloud, tx = [150000, 100000, 4] B,
    accuracy loss 1.0 pp at 8 bits and 5.0 pp at 2 bits at the middle cut.
    """
    acc = np.zeros((3, 5))
    acc[1] = [0.0, 0.1, 1.0, 2.0, 5.0]
    return DNNProfile(name=name, cut_names=("input", "block1", "output"), device_s=[0.0, 0.05, 0.2],
                      cloud_s=[0.04, 0.02, 0.0], tx_bytes=[150000.0, 100000.0, 4.0], acc_loss=acc,
                      base_accuracy=70.0)


def random_profile(rng: np.random.Generator, num_blocks: int) -> DNNProfile:
    """A profile with random but valid per-cut figures."""
    k1 = num_blocks + 1
    acc = np.zeros((k1, 5))
    acc[1:-1, 1:] = np.sort(rng.uniform(0, 8, (k1 - 2, 4)), axis=1)
    return DNNProfile(
        name=f"random{num_blocks}", cut_names=tuple(f"c{k}" for k in range(k1)),
        device_s=np.r_[0.0, np.cumsum(rng.uniform(0.001, 0.05, num_blocks))],
        cloud_s=np.r_[np.cumsum(rng.uniform(0.001, 0.01, num_blocks))[::-1], 0.0],
        tx_bytes=rng.uniform(1e3, 3e5, k1), acc_loss=acc, base_accuracy=float(rng.uniform(50, 90)))
