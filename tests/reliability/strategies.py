"""Hypothesis strategies of hostile input: each draws from typical values, the bounds, just beyond them, and the
values a hostile user tries (inf, NaN, 1e308, 5e-324, 10**400, wrong types, ragged lists, odd dtypes)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tests.helpers import toy_profile

INF, NAN = float("inf"), float("nan")
HOSTILE_FLOATS = [INF, -INF, NAN, 1e308, 1e39, 5e-324, 1e-320, 0.0, -1.0, 10**400, "1", None, True, [1.0]]

# field -> values worth trying (valid ones first); accepted configs stay small: N <= 4, T <= 6
FIELD_VALUES: dict[str, list[Any]] = {
    "num_users": [1, 2, 4, 0, -1, 5000, 2.5, "3", None],
    "dt_s": [0.1, 1e-3, 10.0, 9.99e-4, 10.01, *HOSTILE_FLOATS],
    "episode_slots": [1, 3, 6, 0, 1_000_001, 10**400, 2.0],
    "history": [1, 8, 256, 0, 257],
    "device_factor": [[1.0], [1e6], [1e-6], [1e39], [0.0], [INF], [NAN], [], [1.0, 2.0, 0.5], "fast"],
    "cloud_capacity": [4.0, 1e6, 1e-6, *HOSTILE_FLOATS],
    "min_share": [0.02, 1e-6, 1.0, 1.5, *HOSTILE_FLOATS],
    "bits": [[32], [32, 8, 2], [8], [32, 32], [32, 0], [32, 33], [32, 16, 8, 4, 2, 1], [], [32, 10**400]],
    "arrival": ["periodic", "poisson", "bursty", 1],
    "fps": [[10.0], [1e4], [1e-6], [1e300], [5e-324], [1e9], [0.0], [-1.0], [NAN], [10.0, 0.5]],
    "uplink_params": [{}, {"mean_mbps": 1e4, "cv": 10.0}, {"mean_mbps": 10**400}, {"outage_mean_s": 1e300},
                      {"interval_s": 1e-9}, {"mean_mbps": 1e303}, {"cv": 1e300}, {"rho": 0.999}, {"rho": 1.0},
                      {"outage_rate_per_s": 1e3, "outage_mean_s": 1e6}, {"interval_s": 1e6}, {"mean_mbps": 0.0},
                      {"colour": 1}, {"mean_mbps": "fast"}, {"mean_mbps": None}],
    "shared_uplink": [False, True],
    "rtt_s": [0.02, 0.0, 10.0, 10.5, *HOSTILE_FLOATS],
    "header_bytes": [64, 0, 10**9, 10**9 + 1, 10**400, -1, 1.5],
    "latency_ref_s": [0.1, 1e-6, 1e6, *HOSTILE_FLOATS],
    "acc_weight": [0.1, 0.0, 1e6, *HOSTILE_FLOATS],
    "deadline_s": [[0.3], [1e-6], [1e6], [INF], [0.0], [1e-320], [0.1, 5.0]],
    "miss_penalty": [1.0, 0.0, 1e9, *HOSTILE_FLOATS],
    "drop_penalty": [30.0, 0.0, 1e9, *HOSTILE_FLOATS],
    "max_backlog_s": [2.0, 1e6, 1e-9, 1e39, *HOSTILE_FLOATS],
    "models": [["resnet18"], ["alexnet", "mobilenetv2"], ["nope"], ["/nonexistent.json"], ["/tmp/"], []],
    "device": ["raspberry-pi-4", "toaster"],
    "uplink": ["gauss-markov", "stable", "calibrated:lumos5g_4g", "wifi7"],
    "trace_dir": ["/nonexistent/dir"],
    "colour": ["red"],
}


@st.composite
def scenario_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """1-4 fields, each set to a value from :data:`FIELD_VALUES`; small N and T unless an override says otherwise."""
    fields = draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), min_size=1, max_size=4, unique=True))
    overrides = {"num_users": 2, "episode_slots": 4}
    overrides.update({f: draw(st.sampled_from(FIELD_VALUES[f])) for f in fields})
    if "uplink" in fields:
        overrides.setdefault("uplink_params", {})
    return overrides


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", ">i8", ">u4", "<i2"]
FLOAT_DTYPES = ["float16", "float32", "float64", "longdouble", ">f8", ">f4", "<f2"]
ODD_DTYPES = ["bool", "complex64", "U3", "object", "datetime64[s]"]


@st.composite
def field_value(draw: st.DrawFn, n: int, is_index: bool, high: int) -> Any:
    """One action field: mostly a well-formed array of a random dtype, sometimes a hostile shape or content."""
    kind = draw(st.sampled_from(["array", "array", "array", "list", "ragged", "shape", "scalar", "odd"]))
    if kind == "ragged":
        return [[0] * (i + 1) for i in range(n)] if n > 1 else [[0], [0, 1]]
    if kind == "shape":
        return np.zeros(draw(st.sampled_from([(n + 1,), (1, n), (), (0,)])))
    if kind == "scalar":
        return draw(st.sampled_from([0, 0.5, "x", None]))
    if is_index:
        values = draw(st.lists(st.sampled_from([0, 1, high - 1, high, -1, 2**40, 0.5, NAN]), min_size=n, max_size=n))
    else:
        values = draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 1.5, -0.1, NAN, INF, 1e-30]), min_size=n, max_size=n))
    if kind == "list":
        return values
    dtype = draw(st.sampled_from(INT_DTYPES + FLOAT_DTYPES + (ODD_DTYPES if kind == "odd" else [])))
    with np.errstate(all="ignore"):
        try:
            return np.array(values, dtype=dtype)
        except (ValueError, TypeError, OverflowError):
            return np.array(values, dtype=object)


@st.composite
def valid_field(draw: st.DrawFn, n: int, is_index: bool, high: int) -> np.ndarray:
    """A field inside the action space, in any integer or float dtype and byte order (shares also 0/1 integers)."""
    if is_index:
        values = draw(st.lists(st.integers(0, high - 1), min_size=n, max_size=n))
        return np.array(values, dtype=draw(st.sampled_from([d for d in INT_DTYPES if high <= 127 or "8" not in d] + FLOAT_DTYPES)))
    if draw(st.integers(0, 4)) == 0:
        return np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=draw(st.sampled_from(INT_DTYPES + ["bool"])))
    values = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    return np.array(values, dtype=draw(st.sampled_from(FLOAT_DTYPES))).clip(0, 1)


@st.composite
def actions(draw: st.DrawFn, n: int, num_cuts: int, num_bits: int) -> dict[str, Any]:
    """A valid Dict action (every key, any dtype) with 0-2 hostile changes: a field replaced by hostile content, a
    key dropped, or an extra key added."""
    keys = ["split", "bits", "compute_share", "uplink_share"]
    high = {"split": num_cuts, "bits": num_bits, "compute_share": 2, "uplink_share": 2}
    action: dict[Any, Any] = {k: draw(valid_field(n, k in ("split", "bits"), high[k])) for k in keys}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        change = draw(st.sampled_from(["field", "field", "drop", "extra"]))
        key = draw(st.sampled_from(keys))
        if change == "field":
            action[key] = draw(field_value(n, key in ("split", "bits"), high[key]))
        elif change == "drop":
            action.pop(key, None)
        else:
            action[draw(st.sampled_from(["splitt", "extra", 3]))] = np.zeros(n)
    return action


def profile_document(draw: st.DrawFn) -> bytes:
    """A profile JSON file: the toy profile with 0-3 fields replaced, deleted or added, or a broken document."""
    shape = draw(st.sampled_from(["mutated", "mutated", "mutated", "bytes", "nested", "not an object"]))
    if shape == "bytes":
        return draw(st.binary(max_size=200))
    if shape == "nested":
        depth = draw(st.integers(1, 50_000))
        return ("[" * depth + "]" * depth).encode()
    if shape == "not an object":
        return json.dumps(draw(st.sampled_from([[1, 2], "profile", 3, None]))).encode()
    data = toy_profile().to_dict()
    hostile = [None, "x", -1, 0, 1e308, 10**400, [], [None], [1e308] * 3, [-1.0] * 3, [0.0, 1.0], {"a": 1}, True,
               [[0.0] * 5] * 3, [[0.0] * 4, [0.0] * 5, [0.0] * 5], [32], [32, 64], ["a", "b", "c"]]
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        op = draw(st.sampled_from(["set", "set", "delete", "add"]))
        key = draw(st.sampled_from(sorted(data) + ["flops"]))
        if op == "set":
            data[key] = draw(st.sampled_from(hostile))
        elif op == "delete":
            data.pop(key, None)
        else:
            data["colour"] = "red"
    text = json.dumps(data, allow_nan=True)
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode()


@st.composite
def profile_files(draw: st.DrawFn) -> bytes:
    return profile_document(draw)


TOKENS = ["0", "1", "1.5", "12", "100", "1000", "-3", "1e308", "1e18", "1e9", "inf", "nan", "²", "٣", "9" * 400,
          "99999999999999999999", "Mbits/sec", "Kbits/sec", "x", "", " ", "\t", ",", "1,Mbits/sec", "0.0 1e308",
          "2020.01.01_10.00.00"]


@st.composite
def trace_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """``(content, fmt)``: a trace file of random lines of plausible and hostile tokens, and the format to read it
    as (``auto`` or a named one)."""
    fmt = draw(st.sampled_from(["auto", "two_column", "mahimahi", "nyu_mets", "csv"]))
    lines = []
    if fmt == "csv":
        lines.append("time,rate")
    for _ in range(draw(st.integers(0, 12))):
        width = draw(st.integers(1, 3))
        sep = {"csv": ",", "nyu_mets": ","}.get(fmt, " ")
        lines.append(sep.join(draw(st.sampled_from(TOKENS)) for _ in range(width)))
    if fmt in ("mahimahi", "auto") and draw(st.booleans()):
        lines = [str(v) for v in sorted(draw(st.lists(st.integers(0, 10**13), min_size=1, max_size=12)))]
    text = "\n".join(lines) + ("\n" if draw(st.booleans()) else "")
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xff\xfe"]))
    return prefix + text.encode(), fmt


@st.composite
def reset_options(draw: st.DrawFn, n: int) -> Any:
    """Reset options: the two keys with valid, mistyped or hostile values, an unknown key, or not a dict at all."""
    from rapgym.traces.trace import BandwidthTrace

    def trace(rates: list[float], interval: float) -> Any:
        try:
            return BandwidthTrace.from_samples(rates, interval)
        except ValueError:
            return None

    samples = st.lists(st.sampled_from([0.0, 1.0, 8.0, 100.0, 1e6]), min_size=1, max_size=20)
    one = st.builds(trace, samples, st.sampled_from([0.1, 1.0, 1e-3, 1e7]))
    traces = st.one_of(st.lists(one, min_size=n, max_size=n), st.lists(one, max_size=n + 1), st.just(None),
                       one, st.just("trace"), st.builds(lambda ts: (t for t in ts), st.lists(one, min_size=n, max_size=n)))
    times = st.lists(st.floats(0.0, 5.0), max_size=8).map(sorted)
    arrivals = st.one_of(st.lists(times, min_size=n, max_size=n),
                         st.lists(st.lists(st.sampled_from([0.1, -1.0, NAN, INF, 3.0, 0.05]), max_size=4), min_size=n, max_size=n),
                         st.lists(times, max_size=n + 1), st.just("0.1 0.2"), st.just(None), st.just([["0.1"]] * n),
                         st.just(np.zeros((n, 2))))
    options = {}
    if draw(st.booleans()):
        options["traces"] = draw(traces)
    if draw(st.booleans()):
        options["arrivals"] = draw(arrivals)
    if draw(st.integers(0, 5)) == 0:
        options["seed"] = 3
    return draw(st.sampled_from([options, options, options, None, ("arrivals",), "traces"]))
