"""Scenario config: every name field (uplink source and parameters, models, device, cloud, trace_dir) is
validated when the config is built, so a bad value is a :class:`ScenarioError` naming the field and the
allowed values, whether it comes from ``load_scenario``, ``gymnasium.make`` or a preset override."""

from __future__ import annotations

from pathlib import Path

import gymnasium
import pytest

import rapgym  # noqa: F401 - registers the env
from rapgym.configs.scenario import ScenarioConfig, available_scenarios, load_scenario
from rapgym.errors import ScenarioError
from rapgym.profiles.library import available_clouds, available_devices, available_models
from rapgym.traces.sources import source_names
from tests.helpers import toy_profile

BAD_NAMES = [
    ({"uplink": "wifi7"}, "uplink", source_names()),
    ({"uplink_params": {"speed": 3.0}}, "uplink_params", ["mean_mbps", "rho", "outage_rate_per_s"]),
    ({"uplink": "stable", "uplink_params": {"rho": 0.5}}, "uplink_params", ["mean_mbps", "noise_cv", "interval_s"]),
    ({"models": ["resnet18", "lenet"]}, "models", available_models()),
    ({"device": "toaster"}, "device", available_devices()),
    ({"cloud": "mainframe"}, "cloud", available_clouds()),
    ({"uplink": "stable", "uplink_params": {}, "trace_dir": "/data/traces"}, "trace_dir",
     [s for s in source_names() if s == "traces" or s.startswith("calibrated:")]),
]


@pytest.mark.parametrize(("overrides", "field", "allowed"), BAD_NAMES)
def test_load_scenario_names_the_field_and_the_allowed_values(overrides: dict, field: str, allowed: list[str]) -> None:
    with pytest.raises(ScenarioError, match=f"field '{field}'") as info:
        load_scenario("default", **overrides)
    assert all(value in str(info.value) for value in allowed), str(info.value)


@pytest.mark.parametrize(("overrides", "field", "allowed"), BAD_NAMES)
def test_gymnasium_make_refuses_before_building_the_simulator(overrides: dict, field: str, allowed: list[str]) -> None:
    with pytest.raises(ScenarioError, match=f"field '{field}'") as info:
        gymnasium.make(rapgym.ENV_ID, **overrides)
    assert all(value in str(info.value) for value in allowed), str(info.value)


def test_bad_uplink_parameter_value_is_named() -> None:
    with pytest.raises(ScenarioError, match="field 'uplink_params'.*rho must be in"):
        load_scenario("default", uplink_params={"rho": 1.5})
    with pytest.raises(ScenarioError, match="field 'uplink_params'.*mean_mbps must be a finite number"):
        load_scenario("default", uplink="stable", uplink_params={"mean_mbps": "fast"})


def test_a_bad_source_name_is_reported_once_not_with_its_parameters() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("default", uplink="wifi7", uplink_params={"speed": 1.0})
    assert "field 'uplink'" in str(info.value) and "uplink_params" not in str(info.value)


def test_profile_file_models_must_exist_and_load(tmp_path) -> None:
    path = tmp_path / "toy.json"
    toy_profile().save_json(path)
    assert load_scenario("default", models=[str(path), "alexnet"]).models == [str(path), "alexnet"]
    with pytest.raises(ScenarioError, match="field 'models'.*does not exist"):
        load_scenario("default", models=[str(tmp_path / "missing.json")])
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ScenarioError, match="field 'models'.*not valid JSON"):
        load_scenario("default", models=[str(tmp_path / "broken.json")])


def test_trace_dir_is_accepted_with_a_calibrated_source(tmp_path: Path) -> None:
    for i in range(2):  # file 0 is the test split, file 1 the train split
        (tmp_path / f"{i}.txt").write_text("0 1.0\n1 2.0\n")
    calibrated = next(s for s in source_names() if s.startswith("calibrated:"))
    config = load_scenario("default", uplink=calibrated, uplink_params={}, trace_dir=str(tmp_path))
    assert config.trace_dir == str(tmp_path)


def test_every_preset_validates_and_keeps_its_parameters_as_written() -> None:
    for name in available_scenarios():
        config = load_scenario(name)
        assert config.uplink in source_names() and config.device in available_devices()
    assert load_scenario("default").uplink_params == {"mean_mbps": 8.0, "cv": 0.5, "rho": 0.9, "outage_rate_per_s": 0.02,
                                                      "outage_mean_s": 2.0, "interval_s": 0.1}


def test_direct_construction_validates_too() -> None:
    with pytest.raises(ValueError, match="unknown uplink source 'wifi7'"):
        ScenarioConfig(uplink="wifi7")


@pytest.mark.parametrize(("overrides", "field"), [({"bits": [8, 4]}, "bits"), ({"fps": [0.0]}, "fps"),
                                                  ({"device_factor": [float("inf")]}, "device_factor"),
                                                  ({"deadline_s": [-1.0]}, "deadline_s")])
def test_list_fields_name_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ScenarioError, match=f"field '{field}'"):
        load_scenario("default", **overrides)
