"""Property suite, part 3 (issue 14): what already worked is kept. A seeded rollout of a hostile-but-valid scenario
is identical in a fresh process; an env copied by pickle or deepcopy mid-episode continues exactly like the
original."""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from tests.envs.test_rollout_digest import _update
from tests.helpers import REPO

COPY_EXAMPLES = 25

# valid scenarios at the edges of the bounds, each rolled out in this process and in a fresh one
EDGE_SCENARIOS: list[dict[str, Any]] = [
    {"num_users": 3, "shared_uplink": True, "arrival": "poisson", "fps": [1e4, 1e-6, 30.0], "dt_s": 1e-3},
    {"num_users": 2, "device_factor": [1e6], "cloud_capacity": 1e-6, "min_share": 1e-6, "latency_ref_s": 1e-6,
     "acc_weight": 1e6, "miss_penalty": 1e9, "drop_penalty": 1e9, "max_backlog_s": 1e6},
    {"num_users": 4, "uplink": "stable", "uplink_params": {"mean_mbps": 1e4, "noise_cv": 10.0, "interval_s": 1e-3},
     "dt_s": 10.0, "history": 256},
]


def rollout_digest(overrides: dict[str, Any], steps: int = 60, seed: int = 7) -> str:
    """SHA-256 of every observation, reward and info of a seeded random-action rollout (resets included)."""
    env = MultiUserEndCloudEnv("default", episode_slots=25, **overrides)
    env.action_space.seed(seed)
    digest = hashlib.sha256()
    obs, _ = env.reset(seed=seed)
    _update(digest, obs)
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        for value in (obs, float(reward), info):
            _update(digest, value)
        if terminated or truncated:
            obs, _ = env.reset()
            _update(digest, obs)
    return digest.hexdigest()


def test_rollouts_at_the_bounds_are_identical_in_a_fresh_process() -> None:
    here = [rollout_digest(o) for o in EDGE_SCENARIOS]
    code = ("import json, sys; from tests.reliability.test_determinism import EDGE_SCENARIOS, rollout_digest; "
            "print(json.dumps([rollout_digest(o) for o in EDGE_SCENARIOS]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == here


def _steps(env: MultiUserEndCloudEnv, actions: list[dict[str, np.ndarray]]) -> list[Any]:
    out = []
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, reward, truncated, info))
    return out


@settings(max_examples=COPY_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), before=st.integers(0, 10), shared=st.booleans(), arrival=st.sampled_from(["periodic", "poisson"]))
def test_pickle_and_deepcopy_mid_episode_continue_like_the_original(seed: int, before: int, shared: bool, arrival: str) -> None:
    env = MultiUserEndCloudEnv("default", num_users=3, episode_slots=20, shared_uplink=shared, arrival=arrival)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(before):
        env.step(env.action_space.sample())
    actions = [env.action_space.sample() for _ in range(20 - before)]
    copies = [pickle.loads(pickle.dumps(env)), copy.deepcopy(env)]
    expected = _steps(env, actions)
    for twin in copies:
        got = _steps(twin, actions)
        for (obs_a, r_a, t_a, info_a), (obs_b, r_b, t_b, info_b) in zip(got, expected, strict=True):
            assert r_a == r_b and t_a == t_b
            for key in obs_b:
                np.testing.assert_array_equal(obs_a[key], obs_b[key])
            digest_a, digest_b = hashlib.sha256(), hashlib.sha256()
            _update(digest_a, info_a)
            _update(digest_b, info_b)
            assert digest_a.digest() == digest_b.digest()
