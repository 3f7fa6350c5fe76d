"""A researcher's own trace folder: the frictions of issue 13 ("your own traces, one command"), one test each,
on small hand-made files whose rates and times are computed by hand."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rapgym.configs.scenario import load_scenario
from rapgym.errors import TraceError
from rapgym.traces.loaders import detect_format, load_trace, load_traces
from rapgym.traces.sets import TraceFilesSkipped, TraceSet
from rapgym.traces.sources import make_uplink_traces


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_trace_split_all_draws_from_every_file(tmp_path: Path) -> None:
    # one file only: it is the test split, so "train" is empty, but "all" holds it
    (tmp_path / "only.txt").write_text("0 3.0\n1 3.0\n")
    config = load_scenario("default", uplink="calibrated:lumos5g_4g", uplink_params={}, trace_dir=str(tmp_path),
                           trace_split="all")
    traces = make_uplink_traces(config.uplink, np.random.default_rng(0), 2, 1.0, {}, config.trace_dir,
                                config.trace_split)
    assert len(traces) == 2 and all(t.mean_mbps == 3.0 for t in traces)  # the file says 3.0 Mbit/s throughout


@pytest.mark.parametrize("shape", [
    [{"t": 0, "rate": 5.0}, {"t": 1, "rate": 4.0}, {"t": 3, "rate": 2.0}],  # a list of records
    {"t": [0, 1, 3], "rate": [5.0, 4.0, 2.0]},  # a dict of arrays
])
def test_json_records_and_column_arrays_load(tmp_path: Path, shape: object) -> None:
    path = write(tmp_path, "run.json", json.dumps(shape))
    assert detect_format(path) == "json"
    trace = load_trace(path)
    # samples at 0, 1, 3 s; the last holds for the median gap (1 and 2 s -> 1.5 s)
    np.testing.assert_allclose(trace.edges, [0.0, 1.0, 3.0, 4.5])
    np.testing.assert_allclose(trace.rates_mbps, [5.0, 4.0, 2.0])


def test_json_list_of_runs_is_one_trace_per_run(tmp_path: Path) -> None:
    runs = [{"time": [0, 2], "bandwidth_kbps": [1000, 3000]}, [{"time": 0, "bandwidth_kbps": 500}]]
    traces = load_traces(write(tmp_path, "runs.json", json.dumps(runs)))
    assert [t.name for t in traces] == ["runs.json#0", "runs.json#1"]
    np.testing.assert_allclose(traces[0].rates_mbps, [1.0, 3.0])  # kbit/s named in the header
    np.testing.assert_allclose(traces[0].edges, [0.0, 2.0, 4.0])
    np.testing.assert_allclose(traces[1].rates_mbps, [0.5])


def test_stacked_runs_in_one_csv_split_into_traces(tmp_path: Path) -> None:
    # two runs interleaved, told apart by the run_id column; each run's times start at 0 again
    text = "run_id,time,throughput\nA,10,1.0\nB,0,7.0\nA,11,2.0\nB,4,9.0\nA,12,3.0\n"
    traces = load_traces(write(tmp_path, "stacked.csv", text))
    assert [t.name for t in traces] == ["stacked.csv#A", "stacked.csv#B"]
    np.testing.assert_allclose(traces[0].edges, [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(traces[0].rates_mbps, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(traces[1].edges, [0.0, 4.0, 8.0])
    np.testing.assert_allclose(traces[1].rates_mbps, [7.0, 9.0])
    with pytest.raises(TraceError, match="stacked.csv: holds 2 runs"):
        load_trace(tmp_path / "stacked.csv")
    # an explicit run column of another name
    other = load_traces(write(tmp_path, "drives.csv", "leg,t,rate\n1,0,2\n2,0,4\n"), run_col="leg")
    assert [t.name for t in other] == ["drives.csv#1", "drives.csv#2"]


@pytest.mark.parametrize(("header", "rows", "edges", "rates"), [
    ("Time (ms),Throughput (kbps)", ["0,1000", "500,3000"], [0.0, 0.5, 1.0], [1.0, 3.0]),
    ("timestamp,bandwidth_MBps", ["0,1", "2,0.5"], [0.0, 2.0, 4.0], [8.0, 4.0]),  # megabytes/s: x 8
    ("t,uplink_mbps,rssi", ["0,12", "1,6"], [0.0, 1.0, 2.0], [12.0, 6.0]),
])
def test_generic_csv_is_detected_with_columns_and_units_from_the_header(tmp_path: Path, header, rows, edges, rates) -> None:
    path = write(tmp_path, "g.csv", "\n".join([header, *rows]) + "\n")
    assert detect_format(path) == "csv"
    trace = load_trace(path)
    np.testing.assert_allclose(trace.edges, edges)
    np.testing.assert_allclose(trace.rates_mbps, rates)


def test_iso_date_time_columns_become_seconds_from_the_first_row(tmp_path: Path) -> None:
    text = ("timestamp,throughput\n2024-05-01T12:00:00Z,2\n2024-05-01T12:00:01.5Z,4\n"
            "2024-05-01 14:00:03+02:00,6\n")  # 14:00:03 at +02:00 is 12:00:03 UTC
    trace = load_trace(write(tmp_path, "dt.csv", text))
    np.testing.assert_allclose(trace.edges, [0.0, 1.5, 3.0, 4.5])
    np.testing.assert_allclose(trace.rates_mbps, [2.0, 4.0, 6.0])
    records = [{"time": "2024-05-01T00:00:00", "rate": 1}, {"time": "2024-05-01T00:00:10", "rate": 3}]
    np.testing.assert_allclose(load_trace(write(tmp_path, "dt.json", json.dumps(records))).edges, [0.0, 10.0, 20.0])


def test_non_trace_files_are_skipped_and_listed_in_one_warning(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "0 1.0\n1 2.0\n")
    write(tmp_path, "b.txt", "0 3.0\n")
    for name in ("LICENSE", "README.md", ".DS_Store", "notes.PDF"):
        write(tmp_path, name, "not a trace")
    with pytest.warns(TraceFilesSkipped) as caught:
        traces = TraceSet(tmp_path).traces()
    assert len(caught) == 1
    assert all(name in str(caught[0].message) for name in ("LICENSE", "README.md", ".DS_Store", "notes.PDF"))
    assert [t.name for t in traces] == ["a.txt", "b.txt"]


def test_a_folder_of_only_non_trace_files_is_refused_naming_them(tmp_path: Path) -> None:
    write(tmp_path, "LICENSE", "MIT")
    with pytest.raises(TraceError, match=r"no trace files found \(skipped non-trace files: \['LICENSE'\]\)"):
        TraceSet(tmp_path)


def test_the_split_is_by_trace_so_one_stacked_file_has_train_traces(tmp_path: Path) -> None:
    runs = "\n".join(f"{r},0,{r + 1}" for r in range(6))
    ts = TraceSet(write(tmp_path, "six.csv", "run,t,rate\n" + runs + "\n"))
    assert [t.name for t in ts.traces("test")] == ["six.csv#0", "six.csv#5"]
    assert [t.name for t in ts.traces("train")] == [f"six.csv#{r}" for r in (1, 2, 3, 4)]


def test_scale_to_sets_the_mean_of_the_set(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "0 1.0\n1 3.0\n")  # mean 2
    write(tmp_path, "b.txt", "0 6.0\n")  # mean 6; the set's mean is (2 + 6) / 2 = 4
    traces = TraceSet(tmp_path, scale_to=10.0).traces()
    np.testing.assert_allclose(traces[0].rates_mbps, [2.5, 7.5])  # x 10 / 4
    np.testing.assert_allclose(traces[1].rates_mbps, [15.0])
    np.testing.assert_allclose(TraceSet(tmp_path, scale_to=10.0).traces("train")[0].rates_mbps, [15.0])  # same factor


@pytest.mark.parametrize(("text", "options", "match"), [
    ("t,rate\n0,1\n", {"time_col": "secs"}, r"x.csv:1: missing column 'secs' \(time_col\); columns found: \['t', 'rate'\]"),
    ("t,foo\n0,1\n", {}, r"x.csv:1: no throughput column found in \['t', 'foo'\]; name it with rate_col="),
    ("t,rate,bw\n0,1,2\n", {}, r"several candidate columns for rate_col: \['rate', 'bw'\]"),
    ("time,rate\n2024-05-01T00:00:00,1\nyesterday,2\n", {},
     r"x.csv:3: time column 'time': 'yesterday' is not an ISO 8601 date-time like the first row's"),
    ("time,rate\nnoon,1\n", {}, r"x.csv:2: time column 'time' holds 'noon': neither a number nor an ISO 8601 date-time"),
    ("t,rate\n0,1\n", {"rate_unit": "furlongs"}, r"unknown rate unit 'furlongs'; allowed: \['bps', 'kbps', 'Mbps'"),
    ("t,rate\n0,1\n", {"fmt": "xml"}, r"format 'xml' unknown; allowed: \['auto', "),
    ("t,rate\n0,1\n", {"fmt": "mahimahi", "rate_unit": "kbps"}, r"format 'mahimahi' takes no option \['rate_unit'\]"),
])
def test_bad_table_input_names_the_file_the_field_and_what_is_allowed(tmp_path: Path, text, options, match) -> None:
    with pytest.raises(TraceError, match=match):
        load_traces(write(tmp_path, "x.csv", text), **options)


def test_bad_json_is_named(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"j.json:1: not valid JSON"):
        load_traces(write(tmp_path, "j.json", '[{"t": 0,'))
    with pytest.raises(TraceError, match=r"j.json: JSON shape not understood"):
        load_traces(write(tmp_path, "j.json", "[1, 2, 3]"))
    with pytest.raises(TraceError, match=r"j.json: arrays of different lengths \[1, 2\]"):
        load_traces(write(tmp_path, "j.json", '{"t": [0, 1], "rate": [1]}'))
    with pytest.raises(TraceError, match=r"j.json:record 1: rate is not a finite number: 'None'"):
        load_traces(write(tmp_path, "j.json", '[{"t": 0, "rate": 1}, {"t": 1}]'))
