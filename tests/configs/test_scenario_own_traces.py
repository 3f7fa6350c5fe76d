"""The ``traces`` uplink source as scenario fields (issue 13, "your own traces"): ``trace_dir`` alone selects it,
its ``uplink_params`` say how to read the files, bad options name the field and the allowed values, and each
link starts at a random offset in its trace while the ``traces`` reset option still replays from t = 0."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapgym.configs.scenario import load_scenario
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import ScenarioError
from rapgym.traces.sources import TRACE_OPTIONS, make_uplink_traces
from rapgym.traces.tabular import RATE_UNITS_MBPS
from rapgym.traces.trace import BandwidthTrace


def one_csv(folder: Path) -> Path:
    """A CSV whose throughput column no name rule finds (``kb`` is no rate word or unit; ``sec`` is a time word)."""
    (folder / "drive.csv").write_text("sec,kb,extra\n0,2000,x\n1,6000,y\n")
    return folder


def test_trace_dir_alone_selects_the_traces_source_and_drops_the_generator_parameters(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("0 4.0\n1 4.0\n")
    config = load_scenario("default", trace_dir=str(tmp_path), trace_split="all")  # default: gauss-markov + params
    assert config.uplink == "traces" and config.uplink_params == {}
    switched = load_scenario("lte-uplink", uplink="traces", trace_dir=str(tmp_path), trace_split="all")
    assert switched.uplink_params == {}  # the preset's {interval_s: 1.0} belonged to its calibrated source
    kept = load_scenario("lte-uplink", trace_dir=str(tmp_path), trace_split="all")
    assert kept.uplink == "calibrated:mahimahi_uplink"  # a calibrated preset keeps its source (same traces)


def test_reading_options_as_uplink_params(tmp_path: Path) -> None:
    params = {"format": "csv", "time_col": "sec", "rate_col": "kb", "unit": "kbps", "scale_to": 8.0}
    config = load_scenario("default", uplink="traces", uplink_params=params, trace_dir=str(one_csv(tmp_path)),
                           trace_split="all")
    (trace,) = make_uplink_traces("traces", np.random.default_rng(0), 1, 10.0, dict(config.uplink_params),
                                  config.trace_dir, config.trace_split)
    # 2000 and 6000 kbit/s = 2 and 6 Mbit/s, mean 4; scaled to a mean of 8: x 2
    np.testing.assert_allclose(trace.rates_mbps, [4.0, 12.0])
    np.testing.assert_allclose(trace.edges, [0.0, 1.0, 2.0])


@pytest.mark.parametrize(("overrides", "match", "allowed"), [
    ({"uplink": "traces"}, "field 'trace_dir': uplink 'traces' needs trace_dir", []),
    ({"uplink_params": {"unit": "kbit"}}, "field 'uplink_params'.*unit 'kbit' unknown", list(RATE_UNITS_MBPS)),
    ({"uplink_params": {"format": "xls"}}, "field 'uplink_params'.*format 'xls' unknown", ["auto", "csv", "json"]),
    ({"uplink_params": {"scale_to": 0}}, r"field 'uplink_params'.*scale_to must be in \(0, 10000\]", []),
    ({"uplink_params": {"colour": "red"}}, "field 'uplink_params'.*unknown parameter", list(TRACE_OPTIONS)),
    ({"uplink_params": {"time_col": 3}}, "field 'uplink_params'.*time_col must be a non-empty string", []),
    ({"uplink_params": {"time_col": "sec", "rate_col": "mbit"}}, r"field 'trace_dir'.*missing column 'mbit' \(rate_col\); columns found",
     ["sec", "kb", "extra"]),
])
def test_bad_trace_options_name_the_field_and_the_allowed_values(tmp_path: Path, overrides, match, allowed) -> None:
    fields = {"uplink": "traces", "trace_dir": str(one_csv(tmp_path)), "trace_split": "all",
              "uplink_params": {"time_col": "sec", "rate_col": "kb"}}
    fields.update(overrides)
    if overrides.get("uplink") == "traces":
        del fields["trace_dir"]
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario("default", **fields)
    assert all(str(value) in str(info.value) for value in allowed), str(info.value)


def test_an_empty_folder_after_skipping_non_trace_files_is_a_scenario_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my traces")
    with pytest.raises(ScenarioError, match=r"field 'trace_dir': .*no trace files found \(skipped non-trace files: \['README.md'\]\)"):
        load_scenario("default", trace_dir=str(tmp_path))


def test_own_traces_start_at_a_random_offset_per_link_and_seed_and_replay_starts_at_zero(tmp_path: Path) -> None:
    (tmp_path / "ramp.txt").write_text("".join(f"{t} {1 + t}\n" for t in range(60)))  # 60 s, rate 1 + t Mbit/s
    env = MultiUserEndCloudEnv("default", trace_dir=str(tmp_path), trace_split="all", num_users=3, episode_slots=5)
    history_s = env.config.history * env.config.dt_s

    def offsets(seed: int) -> np.ndarray:
        env.reset(seed=seed)
        return env.sim.draw.trace_offset.copy()

    first, again, other = offsets(0), offsets(0), offsets(1)
    np.testing.assert_array_equal(first, again)  # reproducible for one seed
    assert not np.allclose(first, other)  # another seed, other offsets
    assert len(set(first.tolist())) == 3  # one offset per link
    assert np.all((first >= history_s) & (first < 60.0 + history_s))  # uniform in the period, after H slots
    ramp = BandwidthTrace(np.arange(61.0), 1.0 + np.arange(60.0), "ramp")
    env.reset(seed=0, options={"traces": [ramp] * 3})  # the runtime's exact replay
    np.testing.assert_array_equal(env.sim.draw.trace_offset, np.zeros(3))
    np.testing.assert_allclose(env.sim.slot_rate_mbps[:, env.config.history], 1.0)  # slot 0 reads t = 0 of the trace
