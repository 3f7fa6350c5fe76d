"""Profile JSON schema: a wrong-typed, null, huge or out-of-range field, a non-UTF-8 file, a directory or deeply
nested JSON is a ProfileError naming the file and the field (each was a raw exception, issue 14), and a scenario
naming such a file is a ScenarioError for the field 'models'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rapgym.configs.scenario import load_scenario
from rapgym.errors import ProfileError, ScenarioError
from rapgym.profiles.profile import DNNProfile
from tests.helpers import toy_profile

BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"provenance": None}, r"field 'provenance': Input should be a valid dictionary"),
    ({"provenance": {"a": 1}}, r"field 'provenance.a': Input should be a valid string"),
    ({"cut_names": None}, r"field 'cut_names': Input should be a valid list"),
    ({"cut_names": [1, 2, 3]}, r"field 'cut_names.0': Input should be a valid string"),
    ({"bits": None}, r"field 'bits': Input should be a valid list"),
    ({"bits": [32, 10**30]}, r"field 'bits.1': Input should be less than or equal to 32"),
    ({"base_accuracy": None}, r"field 'base_accuracy': Input should be a valid number"),
    ({"base_accuracy": "high"}, r"field 'base_accuracy': Input should be a valid number"),
    ({"device_s": None}, r"field 'device_s': Input should be a valid list"),
    ({"device_s": [0.0, "x", 0.2]}, r"field 'device_s.1': Input should be a valid number"),
    ({"device_s": [0.0, 10**400, 0.2]}, r"field 'device_s.1'"),
    ({"tx_bytes": [1e308, 1.0, 1.0]}, r"field 'tx_bytes.0': Input should be less than or equal to 1000000000000"),
    ({"cloud_s": [float("nan"), 0.0, 0.0]}, r"field 'cloud_s.0': Input should be a finite number"),
    ({"acc_loss": [[0.0] * 5, [0.0] * 4, [0.0] * 5]}, r"'acc_loss' rows have different lengths \[4, 5\]"),
    ({"acc_loss": [[0.0] * 5, [0, 0, 0, 0, 150], [0.0] * 5]}, r"field 'acc_loss.1.4': Input should be less than or equal to 100"),
    ({"flops": [0, -1, 2]}, r"field 'flops.1': Input should be greater than or equal to 0"),
]


def write_profile(tmp_path: Path, change: dict[str, Any]) -> Path:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**toy_profile().to_dict(), **change}))
    return path


@pytest.mark.parametrize(("change", "match"), BAD_FIELDS, ids=[next(iter(c)) + str(i) for i, (c, _) in enumerate(BAD_FIELDS)])
def test_bad_field_is_named_by_the_reader_and_by_the_scenario(tmp_path: Path, change: dict[str, Any], match: str) -> None:
    path = write_profile(tmp_path, change)
    with pytest.raises(ProfileError, match=f"profile file '{path}'.*{match}"):
        DNNProfile.load_json(path)
    with pytest.raises(ScenarioError, match=f"field 'models'.*{match}"):
        load_scenario("default", models=[str(path)])


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps(toy_profile().to_dict()).encode().replace(b'"toy"', b'"t\xf6y"'))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    huge_int = tmp_path / "int.json"
    huge_int.write_text('{"name": ' + "9" * 5000 + "}")
    cases = [(tmp_path, "cannot read .*IsADirectoryError"), (latin, "is not UTF-8 text"),
             (deep, "is not valid JSON: RecursionError"), (huge_int, "is not valid JSON: ValueError")]
    for path, match in cases:
        with pytest.raises(ProfileError, match=match):
            DNNProfile.load_json(path)
    with pytest.raises(ScenarioError, match="field 'models'.*IsADirectoryError"):
        load_scenario("default", models=[str(tmp_path) + "/"])


def test_a_profile_file_with_a_byte_order_mark_loads_like_the_profile(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(toy_profile().to_dict()).encode())
    loaded = DNNProfile.load_json(path)
    np.testing.assert_array_equal(loaded.tx_bytes, toy_profile().tx_bytes)


def test_bounds_also_hold_for_profiles_built_in_code() -> None:
    fields = toy_profile().to_dict()
    fields.pop("provenance")
    with pytest.raises(ProfileError, match=r"'tx_bytes' has entry 1e\+308; at most 1e\+12"):
        DNNProfile(**{**fields, "tx_bytes": [1e308, 1.0, 1.0]})
