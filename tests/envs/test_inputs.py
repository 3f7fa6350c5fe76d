"""The env's input boundary (``rapgym.envs.inputs``): any integer or float dtype and byte order reaches the kernel as
int64 / float64, anything else is an ActionError naming the field, a rejected action changes nothing, and reset
options are type-checked before use (the failures of issue 14, each once)."""

from __future__ import annotations

import pickle
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from rapgym.envs.inputs import check_reset_options, parse_action
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ActionError, ScenarioError, TraceError
from rapgym.traces.trace import BandwidthTrace

SPLIT = [1, 2]
BITS = [0, 1]
SHARE = [0.25, 0.75]


def base_action(**fields: Any) -> dict[str, Any]:
    return {"split": np.array(SPLIT), "bits": np.array(BITS), "compute_share": np.array(SHARE, np.float32), **fields}


@pytest.fixture
def env() -> MultiUserEndCloudEnv:
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=20)
    env.reset(seed=3)
    env.step(base_action())
    return env


NORMALISED = {
    "uint64 split": {"split": np.array(SPLIT, np.uint64)},
    "uint8 bits": {"bits": np.array(BITS, np.uint8)},
    "big-endian split": {"split": np.array(SPLIT, ">i8")},
    "big-endian int32 bits": {"bits": np.array(BITS, ">i4")},
    "integral float split": {"split": np.array(SPLIT, np.float32)},
    "big-endian float share": {"compute_share": np.array(SHARE, ">f8")},
    "longdouble share": {"compute_share": np.array(SHARE, np.longdouble)},
    "float16 share": {"compute_share": np.array(SHARE, np.float16)},
    "python lists": {"split": SPLIT, "bits": BITS, "compute_share": SHARE},
}


@pytest.mark.parametrize("fields", NORMALISED.values(), ids=NORMALISED.keys())
def test_any_integer_or_float_dtype_steps_like_the_native_action(env: MultiUserEndCloudEnv, fields: dict[str, Any]) -> None:
    """Each of these used to reach the numba kernel and fail with TypingError / NotImplementedError."""
    twin = pickle.loads(pickle.dumps(env))
    expected = twin.step(base_action())
    got = env.step(base_action(**fields))
    assert got[1] == expected[1]
    for key in expected[0]:
        np.testing.assert_array_equal(got[0][key], expected[0][key])
    split, bits, compute, uplink = parse_action(base_action(**fields), (2,), False)
    assert (split.dtype, bits.dtype, compute.dtype, uplink) == (np.int64, np.int64, np.float64, None)
    assert split.dtype.isnative and compute.dtype.isnative


REFUSED = {
    "ragged split": ({"split": [[1], [1, 2]]}, "'split' is not a rectangular array"),
    "unknown key": ({"splitt": SPLIT}, r"unknown key\(s\) \['splitt'\]"),
    "string bits": ({"bits": np.array(["a", "b"])}, "'bits' must hold integers.*dtype <U1"),
    "complex share": ({"compute_share": np.array([1j, 0])}, "'compute_share' must hold numbers.*complex128"),
    "beyond int64": ({"split": np.array([2**64 - 1, 1], np.uint64)}, "'split' has entry 18446744073709551615"),
    "python int beyond int64": ({"split": [2**70, 1]}, "'split' must hold integers.*dtype object"),
    "non-integral split": ({"split": [1.5, 1.0]}, "'split' must hold integers, got non-integral"),
    "NaN split": ({"split": [np.nan, 1.0]}, "'split' must hold integers"),
    "wrong shape": ({"bits": [0, 1, 2]}, r"'bits' has shape \(3,\); expected \(2,\)"),
    "uplink share NaN without a shared cell": ({"uplink_share": [np.nan, np.nan]}, "'uplink_share' \\(ignored"),
    "uplink share 2 without a shared cell": ({"uplink_share": [2.0, 0.0]}, "'uplink_share' \\(ignored"),
    "uplink share of the wrong shape": ({"uplink_share": [0.5]}, "'uplink_share' has shape"),
    "NaN share": ({"compute_share": [np.nan, 0.5]}, "compute_share"),
    "split out of range": ({"split": [99, 0]}, "split"),
}


@pytest.mark.parametrize(("fields", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_action_is_an_action_error_and_changes_nothing(env: MultiUserEndCloudEnv, fields: dict[str, Any], message: str) -> None:
    before = pickle.dumps(env)
    with pytest.raises(ActionError, match=message):
        env.step(base_action(**fields))
    assert pickle.dumps(env) == before


def test_not_a_dict_and_missing_key_are_named() -> None:
    with pytest.raises(ActionError, match="action must be a dict"):
        parse_action([1, 2, 3], (2,), False)
    with pytest.raises(ActionError, match="missing key 'uplink_share'"):
        parse_action(base_action(), (2,), True)


def test_valid_uplink_share_without_a_shared_cell_is_ignored(env: MultiUserEndCloudEnv) -> None:
    twin = pickle.loads(pickle.dumps(env))
    assert env.step(base_action(uplink_share=[0.0, 1.0]))[1] == twin.step(base_action())[1]


@pytest.mark.parametrize("shape", [(2,), (3, 2)])
@pytest.mark.parametrize("shared_uplink", [False, True])
@pytest.mark.parametrize("share_dtype", [np.float32, np.float64])
def test_sampled_actions_take_the_fast_path_to_the_same_fields(shape: tuple[int, ...], shared_uplink: bool,
                                                               share_dtype: type) -> None:
    rng = np.random.default_rng(0)
    action = {"split": rng.integers(0, 3, shape), "bits": rng.integers(0, 2, shape),
              "compute_share": rng.random(shape).astype(share_dtype)}
    if shared_uplink:
        action["uplink_share"] = rng.random(shape).astype(share_dtype)
    fast = parse_action(action, shape, shared_uplink)
    full = parse_action(MappingProxyType(action), shape, shared_uplink)  # not a dict: the generic checks
    for got, expected in zip(fast, full, strict=True):
        assert (got is None) == (expected is None)
        if got is not None:
            assert got.dtype == expected.dtype and got.dtype in (np.int64, np.float64)
            np.testing.assert_array_equal(got, expected)
    with pytest.raises(ActionError, match="'split' has shape"):  # a near-miss still gets the full checks
        parse_action({**action, "split": action["split"][..., :1]}, shape, shared_uplink)


def test_batched_fields_keep_their_shape_and_dtype() -> None:
    action = {"split": np.ones((3, 2), np.uint16), "bits": np.zeros((3, 2), ">i8"),
              "compute_share": np.full((3, 2), 0.5, np.float16), "uplink_share": np.ones((3, 2), bool)}
    split, bits, compute, uplink = parse_action(action, (3, 2), True)
    assert split.shape == bits.shape == compute.shape == uplink.shape == (3, 2)
    assert (split.dtype, bits.dtype, compute.dtype, uplink.dtype) == (np.int64, np.int64, np.float64, np.float64)
    assert parse_action(action, (3, 2), False)[3] is None
    with pytest.raises(ActionError, match=r"'split' has shape \(3, 2\); expected \(2,\)"):
        parse_action(action, (2,), True)


def one_trace() -> BandwidthTrace:
    return BandwidthTrace.from_samples([5.0, 8.0], 1.0)


BAD_OPTIONS = {
    "a tuple of names": (("arrivals",), "reset options must be a dict"),
    "unknown key": ({"trace": []}, r"unknown reset option\(s\) \['trace'\]"),
    "a single trace": ({"traces": one_trace()}, "'traces' must be a list or tuple of BandwidthTrace"),
    "a generator of traces": ({"traces": (t for t in [one_trace()] * 2)}, "'traces' must be a list or tuple"),
    "a list holding None": ({"traces": [one_trace(), None]}, r"'traces'\[1\] must be a BandwidthTrace, got NoneType"),
    "string arrivals": ({"arrivals": "0.1 0.2"}, "'arrivals' must be a list or tuple"),
    "a string per user": ({"arrivals": ["0.1", "0.2"]}, r"'arrivals'\[0\] must be a 1-D array of numbers"),
    "2-D times of a user": ({"arrivals": [[[0.1]], [0.2]]}, r"'arrivals'\[0\] must be a 1-D array"),
}


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_reset_options_are_scenario_errors(options: Any, message: str) -> None:
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=5)
    with pytest.raises(ScenarioError, match=message):
        env.reset(seed=0, options=options)
    with pytest.raises(ScenarioError, match=message):
        check_reset_options(options)


def test_reset_option_counts_are_checked_by_the_simulator() -> None:
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=5)
    with pytest.raises(TraceError, match="has 1 traces; this scenario has 2 uplink"):
        env.reset(seed=0, options={"traces": [one_trace()]})
    with pytest.raises(ScenarioError, match="'arrivals' has 1 users"):
        env.reset(seed=0, options={"arrivals": [[0.1]]})


def test_none_options_mean_not_given_and_valid_ones_replay() -> None:
    env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=5)
    assert check_reset_options(None) == {} and check_reset_options({"traces": None, "arrivals": None}) == {}
    arrivals = np.array([[0.01, 0.11], [0.02, 0.12]])
    env.reset(seed=0, options={"traces": (one_trace(), one_trace()), "arrivals": arrivals})
    np.testing.assert_array_equal(env.sim.task_user, [0, 0, 1, 1])
