"""Every calibrated preset also runs on its real trace set with one option (``trace_dir``)."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.configs.scenario import load_scenario
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.traces.sets import TRACE_SETS
from tests.helpers import shared_data_dir

CALIBRATED_PRESETS = ["3g-hsdpa", "lte-commute", "lte-uplink", "5g-mmwave", "5g-handover"]


@pytest.mark.parametrize("preset", CALIBRATED_PRESETS)
def test_preset_runs_on_its_real_set(preset):
    source = load_scenario(preset).uplink
    set_name = source.split(":", 1)[1]
    trace_dir = str(shared_data_dir("traces") / TRACE_SETS[set_name].glob)
    env = MultiUserEndCloudEnv(preset, num_users=2, episode_slots=30, trace_dir=trace_dir, trace_split="test")
    obs, _ = env.reset(seed=0)
    # real traces keep their file names; the generator's do not
    assert all(not t.name.startswith("calibrated") for t in env.sim.traces)
    for _ in range(30):
        obs, reward, _, _, _ = env.step(env.action_space.sample())
        assert np.isfinite(reward) and np.all(np.isfinite(obs["bandwidth"]))


@pytest.mark.parametrize("preset", CALIBRATED_PRESETS)
def test_preset_uses_its_calibrated_generator_by_default(preset):
    env = MultiUserEndCloudEnv(preset, num_users=2, episode_slots=10)
    env.reset(seed=0)
    assert load_scenario(preset).uplink.startswith("calibrated:")
    assert env.sim.traces[0].period_s >= env.sim.horizon_s
