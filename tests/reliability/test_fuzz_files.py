"""Property suite, part 2 (issue 14): random trace files and profile files.

Invariant: a file loads into a trace or profile that the env runs cleanly with, or its loader raises a TraceError /
ProfileError whose message names the file (and, for traces, the line where one is at fault).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ProfileError, RapgymError, TraceError
from rapgym.profiles.profile import DNNProfile
from rapgym.traces.loaders import load_trace
from rapgym.traces.trace import MAX_PERIOD_S, MAX_RATE_MBPS
from tests.reliability.outcome import assert_clean_rollout
from tests.reliability.strategies import profile_files, trace_files

TRACE_EXAMPLES = 400
PROFILE_EXAMPLES = 300

BUDGET = {"deadline": None, "derandomize": True, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=TRACE_EXAMPLES, **BUDGET)
@given(file=trace_files())
def test_any_trace_file_loads_into_a_trace_the_env_runs_with_or_names_the_file(file: tuple[bytes, str]) -> None:
    content, fmt = file
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trace.log"
        path.write_bytes(content)
        try:
            trace = load_trace(path, fmt) if fmt != "csv" else load_trace(path, fmt, time_col="time", rate_col="rate")
        except TraceError as exc:
            event("refused: TraceError")
            assert str(exc).startswith(str(path)), str(exc)
            return
    event("accepted: clean run")
    assert np.all(trace.rates_mbps >= 0) and np.all(trace.rates_mbps <= MAX_RATE_MBPS) and trace.period_s <= MAX_PERIOD_S
    env = MultiUserEndCloudEnv("default", num_users=1, episode_slots=20, dt_s=0.5)
    assert_clean_rollout(env, steps=20, options={"traces": [trace]})


@settings(max_examples=PROFILE_EXAMPLES, **BUDGET)
@given(content=profile_files())
def test_any_profile_file_loads_into_a_profile_the_env_runs_with_or_names_the_file(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.json"
        path.write_bytes(content)
        try:
            profile = DNNProfile.load_json(path)
        except ProfileError as exc:
            event("refused: ProfileError")
            assert str(exc).startswith(f"profile file '{path}'"), str(exc)
            return
    event("accepted: clean run")
    try:
        env = MultiUserEndCloudEnv("default", num_users=2, episode_slots=6, bits=list(profile.bits), profiles=[profile] * 2)
    except RapgymError as exc:  # e.g. bit widths the scenario cannot take
        assert "'bits'" in str(exc) or "bit" in str(exc), str(exc)
        return
    assert_clean_rollout(env, steps=6)
