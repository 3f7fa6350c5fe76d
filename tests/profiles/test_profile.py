"""DNNProfile: per-cut sums, validation (each error names the profile and the field), JSON round trip, bit subsets."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import ProfileError
from rapgym.profiles.profile import DNNProfile, head_cumsum, tail_cumsum
from tests.helpers import toy_profile


def test_cumsums_put_zero_at_the_cloud_only_and_device_only_cuts() -> None:
    assert head_cumsum([1.0, 2.0, 3.0]).tolist() == [0.0, 1.0, 3.0, 6.0]
    assert tail_cumsum([1.0, 2.0, 3.0]).tolist() == [6.0, 5.0, 3.0, 0.0]


def test_json_round_trip(tmp_path) -> None:
    p = toy_profile()
    path = tmp_path / "toy.json"
    p.save_json(path)
    q = DNNProfile.load_json(path)
    assert q.to_dict() == p.to_dict() and q.K == 2 and q.num_cuts == 3


def test_arrays_are_read_only() -> None:
    with pytest.raises(ValueError, match="read-only"):
        toy_profile().device_s[1] = 1.0


@pytest.mark.parametrize(("change", "match"), [
    ({"device_s": [0.0, 0.05]}, "'cloud_s' has shape"),
    ({"cut_names": ("a", "b")}, "'cut_names' has 2 entries"),
    ({"bits": (16, 8, 4, 2, 1)}, "'bits' must be distinct widths"),
    ({"acc_loss": np.zeros((3, 2))}, "'acc_loss' has shape"),
    ({"cloud_s": [0.04, -0.02, 0.0]}, "'cloud_s' must be finite and >= 0"),
    ({"base_accuracy": 120.0}, "'base_accuracy' must be a percentage"),
    ({"device_s": [0.01, 0.05, 0.2]}, "'device_s\\[0\\]'"),
    ({"tx_bytes": [0.0, 1.0, 1.0]}, "'tx_bytes\\[0\\]'"),
    ({"device_s": ["a", "b", "c"]}, "field 'device_s' is not numeric"),
])
def test_invalid_fields_are_named(change: dict, match: str) -> None:
    fields = {**toy_profile().to_dict(), **change}
    fields.pop("provenance")
    with pytest.raises(ProfileError, match=f"profile 'toy': {match}"):
        DNNProfile(**fields)


def test_acc_loss_must_vanish_at_32_bits_and_at_the_end_cuts() -> None:
    fields = toy_profile().to_dict()
    fields["acc_loss"][0][2] = 1.0
    with pytest.raises(ProfileError, match="'acc_loss' must be 0"):
        DNNProfile.from_dict(fields)


def test_from_dict_names_missing_and_unknown_fields(tmp_path) -> None:
    data = toy_profile().to_dict()
    with pytest.raises(ProfileError, match=r"missing field\(s\) \['cloud_s'\]"):
        DNNProfile.from_dict({k: v for k, v in data.items() if k != "cloud_s"})
    with pytest.raises(ProfileError, match=r"unknown field\(s\) \['colour'\]; allowed: "):
        DNNProfile.from_dict({**data, "colour": "red"})
    with pytest.raises(ProfileError, match="must be a JSON object"):
        DNNProfile.from_dict([1, 2])
    with pytest.raises(ProfileError, match="does not exist"):
        DNNProfile.load_json(tmp_path / "missing.json")


def test_with_bits_keeps_the_columns_of_the_chosen_widths() -> None:
    p = toy_profile().with_bits((32, 2))
    assert p.bits == (32, 2) and p.acc_loss[1].tolist() == [0.0, 5.0]
    with pytest.raises(ProfileError, match=r"bit widths \[6\] not profiled; available: \[32, 16, 8, 4, 2\]"):
        toy_profile().with_bits((32, 6))
