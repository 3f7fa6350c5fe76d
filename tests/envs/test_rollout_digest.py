"""Behaviour is pinned: a 2,000-step seeded rollout of every preset hashes to the recorded digest.

The digests in ``rollout_digests.json`` were recorded before the package was restructured (issue 9).
A change that alters any observation, reward or info of a seeded rollout changes a digest; such a change
must be deliberate, say so in its commit, and re-record the file with
``python -m tests.envs.test_rollout_digest --record``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rapgym
from rapgym.configs.scenario import available_scenarios

DIGESTS = Path(__file__).with_name("rollout_digests.json")
STEPS = 2000


def _update(digest: Any, value: Any) -> None:
    """Feed ``value`` (nested dicts of arrays and scalars) into ``digest`` in a canonical byte form."""
    if isinstance(value, dict):
        for key in sorted(value):
            digest.update(str(key).encode())
            _update(digest, value[key])
    elif isinstance(value, np.ndarray):
        digest.update(f"{value.dtype}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, bool | int | np.integer):
        digest.update(b"i" + str(int(value)).encode())
    elif isinstance(value, float | np.floating):
        digest.update(b"f" + float(value).hex().encode())
    else:
        raise TypeError(f"cannot digest {type(value).__name__}")


def rollout_digest(scenario: str, steps: int = STEPS, seed: int = 0) -> str:
    """SHA-256 of every observation, reward and info of ``steps`` random-action steps, resetting with ``seed + e``."""
    env = gym.make(rapgym.ENV_ID, scenario=scenario).unwrapped
    rng = np.random.default_rng(seed)
    space = env.action_space.spaces
    digest = hashlib.sha256()
    obs, _ = env.reset(seed=seed)
    _update(digest, obs)
    episode = 0
    for _ in range(steps):
        action = {key: (rng.integers(0, s.nvec) if hasattr(s, "nvec") else rng.random(s.shape).astype(np.float32))
                  for key, s in space.items()}
        obs, reward, terminated, truncated, info = env.step(action)
        for value in (obs, float(reward), info):
            _update(digest, value)
        if terminated or truncated:
            episode += 1
            obs, _ = env.reset(seed=seed + episode)
            _update(digest, obs)
    return digest.hexdigest()


@pytest.mark.parametrize("scenario", available_scenarios())
def test_seeded_rollout_matches_the_recorded_digest(scenario):
    recorded = json.loads(DIGESTS.read_text())
    assert rollout_digest(scenario) == recorded[scenario]


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    DIGESTS.write_text(json.dumps({s: rollout_digest(s) for s in available_scenarios()}, indent=1) + "\n")
