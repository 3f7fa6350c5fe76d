"""The benchmark protocol: its cells, seeds, real-trace variants and settings."""

from __future__ import annotations

import pytest

from rapgym.configs.scenario import available_scenarios
from rapgym.errors import BenchmarkError
from rapgym.evaluation.suite_protocol import (
    GENERATOR,
    REAL_TEST,
    SUITE_POLICIES,
    SUITE_SEED_BASE,
    Protocol,
    real_trace_glob,
    settings_difference,
)
from tests.helpers import shared_data_dir


def test_default_protocol_covers_every_preset_n_and_policy():
    protocol = Protocol()
    cells = protocol.cells()
    generator = [c for c in cells if c.traces == GENERATOR]
    assert len(generator) == len(available_scenarios()) * 4 * len(SUITE_POLICIES)
    assert {c.num_users for c in cells} == {1, 4, 8, 16}
    assert "oracle" not in {c.policy for c in cells}
    assert len({c.key for c in cells}) == len(cells)  # keys are unique file names
    assert protocol.seeds == tuple(range(SUITE_SEED_BASE, SUITE_SEED_BASE + 12))


def test_real_test_cells_use_the_test_split_of_the_calibrated_set():
    shared_data_dir("traces")  # skips, or fails in CI, without the shared data
    cells = Protocol(presets=("lte-uplink", "default"), users=(1,), policies=("rap",)).cells()
    assert [(c.preset, c.traces) for c in cells] == [("lte-uplink", GENERATOR), ("lte-uplink", REAL_TEST),
                                                     ("default", GENERATOR)]
    real = cells[1]
    assert real.overrides()["trace_split"] == "test" and real.overrides()["trace_dir"] == real_trace_glob("lte-uplink")
    assert real.scenario == "lte-uplink@real-test"
    assert real_trace_glob("default") is None  # no calibrated set behind the default preset


def test_missing_shared_data_skips_the_real_cells_with_a_note(monkeypatch, tmp_path):
    monkeypatch.setenv("RAPGYM_SHARED_DATA", str(tmp_path))
    protocol = Protocol(presets=("lte-uplink", "default"), users=(1,), policies=("rap",))
    assert [c.traces for c in protocol.cells()] == [GENERATOR, GENERATOR]
    assert protocol.missing_real_sets() == ["lte-uplink"]


def test_agents_play_only_on_their_preset_and_n():
    protocol = Protocol(presets=("default", "stable-wifi"), users=(1, 8), policies=("rap",), real_traces=False,
                        agents={"runs/a/best_model.zip": ("default", 8)})
    agent_cells = [c for c in protocol.cells() if c.policy.endswith(".zip")]
    assert [(c.preset, c.num_users) for c in agent_cells] == [("default", 8)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"presets": ("moon",)}, "unknown preset"),
    ({"episodes": 0}, "episodes must be >= 1"),
    ({"users": (0,)}, "users must be"),
    ({"policies": ()}, "at least one policy"),
])
def test_bad_protocols_are_refused(kwargs, message):
    with pytest.raises(BenchmarkError, match=message):
        Protocol(**kwargs)


def test_settings_difference_names_each_key():
    a = Protocol(presets=("default",), episodes=10).settings()
    b = Protocol(presets=("default",), episodes=12).settings()
    assert settings_difference(a, a) == []
    assert settings_difference(a, b) == ["episodes: stored 10, now 12"]
