"""Trace loaders: hand-made files (good and bad) and every real file against the data README tables."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import TraceError
from rapgym.traces.loaders import (
    detect_format,
    load_csv,
    load_gnettrack,
    load_mahimahi,
    load_nyu_mets,
    load_trace,
    load_two_column,
)
from rapgym.traces.trace_file import MAX_FILE_BYTES
from tests.helpers import shared_data_dir

GNET_HEADER = "Timestamp,NetworkMode,DL_bitrate,UL_bitrate,State\n"


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_two_column_irregular_times_hold_until_next_and_last_for_median(tmp_path):
    path = write(tmp_path, "irr", "1.0\t2.0\n1.5\t4.0\n2.5\t0.0\n3.0\t6.0\n")
    trace = load_trace(path)
    # gaps 0.5, 1.0, 0.5 -> median 0.5 holds the last sample; time shifted to start at 0
    np.testing.assert_allclose(trace.edges, [0.0, 0.5, 1.5, 2.0, 2.5])
    np.testing.assert_allclose(trace.rates_mbps, [2.0, 4.0, 0.0, 6.0])
    assert trace.name == "irr"


def test_two_column_duplicate_times_are_averaged(tmp_path):
    trace = load_trace(write(tmp_path, "dup", "0 10.0\n1 20.0\n1 40.0\n2 5.0\n"))
    np.testing.assert_allclose(trace.rates_mbps, [10.0, 30.0, 5.0])
    np.testing.assert_allclose(trace.edges, [0, 1, 2, 3])


def test_all_zero_trace_is_legal(tmp_path):
    assert load_trace(write(tmp_path, "z", "0 0\n1 0\n")).mean_mbps == 0.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("0 1.0\n1 2.0\n0.5 3.0\n", r"bad:3: timestamp 0.5 goes backwards"),
        ("0 1.0\n1 -2.0\n", r"bad:2: negative throughput"),
        ("0 1.0\n1 2.0 3.0\n", r"bad:2: expected 2 columns"),
        ("0 1.0\nx 2.0\n", r"bad:2: not numbers"),
        ("\n  \n", r"bad: empty file"),
    ],
)
def test_two_column_bad_input(tmp_path, text, match):
    with pytest.raises(TraceError, match=match):
        load_trace(write(tmp_path, "bad", text), fmt="two_column")


def test_mahimahi_bins_whole_intervals(tmp_path):
    # bin 0: 3 packets, bin 1: 1 packet, bin 2 (ms 2000..2003) is partial and dropped
    path = write(tmp_path, "l.up", "0\n0\n999\n1500\n2003\n")
    trace = load_trace(path)
    np.testing.assert_allclose(trace.rates_mbps, [3 * 12000 / 1e6, 1 * 12000 / 1e6])
    half = load_mahimahi(path, interval_s=0.5)
    np.testing.assert_allclose(half.rates_mbps, np.array([2, 1, 0, 1]) * 12000 / 0.5 / 1e6)


@pytest.mark.parametrize(
    ("text", "match"),
    [("5\n3\n", r"m:2: timestamp 3 goes backwards"), ("0\n-4\n", r"m:2: negative timestamp"), ("0\n1.5\n", "m:2: not a non-negative"), ("", "m: empty")],
)
def test_mahimahi_bad_input(tmp_path, text, match):
    with pytest.raises(TraceError, match=match):
        load_mahimahi(write(tmp_path, "m", text))


def test_nyu_mets_skips_junk_and_converts_units(tmp_path):
    text = "Value,Unit\r\n4.0,Mbits/sec\r\nthe,connection\r\n,,,,\r\n500,Kbits/sec,,,\r\nconnected,to,1.2.3.4\r\n2000,bits/sec\r\n"
    path = write(tmp_path, "n.csv", text)
    assert detect_format(path) == "nyu_mets"
    np.testing.assert_allclose(load_trace(path).rates_mbps, [4.0, 0.5, 0.002])


@pytest.mark.parametrize(
    ("text", "match"),
    [("1,Mbits/sec\n2,Gbits/sec\n", r"n.csv:2: unknown unit 'Gbits/sec'"), ("1,Mbits/sec\n-2,Mbits/sec\n", "n.csv:2: negative"), ("Value,Unit\n", "n.csv: empty")],
)
def test_nyu_mets_bad_input(tmp_path, text, match):
    with pytest.raises(TraceError, match=match):
        load_nyu_mets(write(tmp_path, "n.csv", text))


def test_gnettrack_averages_duplicate_seconds_holds_gaps_and_keeps_modes(tmp_path):
    rows = [
        "2020.01.01_10.00.00,LTE,1000,10,D",
        "2020.01.01_10.00.00,LTE,3000,30,D",
        "2020.01.01_10.00.01,5G,100000,40,D",
        "2020.01.01_10.00.04,HSPA+,500,50,D",
    ]
    path = write(tmp_path, "g.csv", GNET_HEADER + "\n".join(rows) + "\n")
    assert detect_format(path) == "gnettrack"
    out = load_gnettrack(path)
    np.testing.assert_allclose(out.trace.rates_mbps, [2.0, 100.0, 0.5])
    np.testing.assert_allclose(out.trace.edges, [0.0, 1.0, 4.0, 5.0])
    assert list(out.network_mode) == ["LTE", "5G", "HSPA+"]
    np.testing.assert_allclose(load_gnettrack(path, direction="ul").trace.rates_mbps, [0.02, 0.04, 0.05])
    np.testing.assert_allclose(load_trace(path).rates_mbps, [2.0, 100.0, 0.5])


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (["2020.01.01_10.00.05,LTE,1,1,D", "2020.01.01_10.00.04,LTE,1,1,D"], r"g.csv:3: timestamp .* goes backwards"),
        (["2020.01.01_10.00.05,LTE,-1,1,D"], r"g.csv:2: negative throughput"),
        (["yesterday,LTE,1,1,D"], r"g.csv:2: bad Timestamp"),
        (["2020.01.01_10.00.05,LTE,fast,1,D"], r"g.csv:2: DL_bitrate is not a number"),
        ([], r"g.csv: empty file"),
    ],
)
def test_gnettrack_bad_input(tmp_path, rows, match):
    with pytest.raises(TraceError, match=match):
        load_gnettrack(write(tmp_path, "g.csv", GNET_HEADER + "\n".join(rows)))


def test_generic_csv_with_units(tmp_path):
    path = write(tmp_path, "c.csv", "time_ms,tput\n0,1000\n500,3000\n1000,2000\n")
    trace = load_csv(path, "time_ms", "tput", rate_unit="kbps", time_unit="ms")
    np.testing.assert_allclose(trace.edges, [0.0, 0.5, 1.0, 1.5])
    np.testing.assert_allclose(trace.rates_mbps, [1.0, 3.0, 2.0])
    with pytest.raises(TraceError, match="c.csv: unknown rate unit 'furlongs'"):
        load_csv(path, "time_ms", "tput", rate_unit="furlongs")
    with pytest.raises(TraceError, match="c.csv:1: missing column"):
        load_csv(path, "t", "tput")
    with pytest.raises(TraceError, match="format 'xml' unknown"):
        load_trace(path, fmt="xml")


MAHIMAHI = {
    "ATT-LTE-driving-2016.down": (4.56, 120),
    "ATT-LTE-driving-2016.up": (1.91, 120),
    "TMobile-LTE-short.down": (16.65, 140),
    "TMobile-LTE-short.up": (13.32, 140),
    "TMobile-UMTS-driving.down": (2.02, 928),
    "TMobile-UMTS-driving.up": (0.94, 931),
    "Verizon-LTE-short.down": (5.03, 140),
    "Verizon-LTE-short.up": (5.95, 140),
}


def test_mahimahi_files_match_readme():
    root = shared_data_dir("traces", "mahimahi_us_cellular")
    for name, (mean, duration) in MAHIMAHI.items():
        trace = load_trace(root / name)
        assert trace.rates_mbps.mean() == pytest.approx(mean, rel=0.01), name
        assert trace.period_s == pytest.approx(duration, rel=0.01), name


def test_irish_network_modes_per_second():
    root = shared_data_dir("traces", "irish_5g_ucc", "Download")
    traces = [load_gnettrack(p) for p in sorted(root.glob("*/*.csv"))]
    rates = np.concatenate([g.trace.rates_mbps for g in traces])
    modes = np.concatenate([g.network_mode for g in traces])
    assert rates.shape == modes.shape
    # README per-mode means 57.0 (5G), 11.1 (LTE), 3.4 (HSPA+) are over raw rows, not averaged seconds: looser bound
    for mode, mean in (("5G", 57.0), ("LTE", 11.1), ("HSPA+", 3.4)):
        assert rates[modes == mode].mean() == pytest.approx(mean, rel=0.1), mode


@pytest.mark.parametrize(("name", "content", "kwargs", "match"), [
    # a CSV field over csv.field_size_limit() used to raise a raw _csv.Error
    ("big.csv", "time,rate\n0,1\n1," + "1" * 140_000 + "\n", {"fmt": "csv", "time_col": "time", "rate_col": "rate"},
     r"big.csv:3: malformed CSV"),
    ("sq.up", "0\n²\n", {"fmt": "mahimahi"}, r"sq.up:2: not a non-negative integer millisecond timestamp"),
    ("long.up", "0\n" + "9" * 200_000 + "\n", {"fmt": "mahimahi"}, r"long.up:2: not a non-negative integer"),
    ("int64.up", "0\n99999999999999999999\n", {"fmt": "mahimahi"}, r"int64.up:2: not a non-negative integer"),
    ("far.up", "0\n5000000000000\n", {"fmt": "mahimahi"}, r"far.up:2: timestamp 5000000000000 ms; a trace may span"),
    ("tiny.up", "0\n1000\n", {"fmt": "mahimahi", "interval_s": 1e-9}, r"tiny.up:2: .* needs 999999999 bins; at most"),
    ("huge.txt", "0.0 1e308\n", {}, r"huge.txt:1: throughput 1e\+308 Mbit/s; at most 1e\+06"),
    ("spike.txt", "0 8\n1 1e18\n2 8\n", {}, r"spike.txt:2: throughput 1e\+18"),
    ("farcol.txt", "0 1\n1e9 2\n", {}, r"farcol.txt:2: timestamp 1e\+09 s lies 1e\+09 s after the first"),
    ("digits.txt", "0 1\n1 " + "9" * 400 + "\n", {}, r"digits.txt:2: non-finite value"),
    ("abs.txt", "1e308 0\n", {}, r"abs.txt:1: timestamp 1e\+308 s; at most 1e\+12"),  # found by the property suite
    ("nyu.csv", "1e12,Mbits/sec\n", {"fmt": "nyu_mets"}, r"nyu.csv:1: negative, non-finite or too large"),
    ("rate.csv", "time,rate\n0,1\n1,2e9\n", {"fmt": "csv", "time_col": "time", "rate_col": "rate"}, r"rate.csv:3: throughput"),
])
def test_hostile_trace_files_are_trace_errors_naming_file_and_line(tmp_path, name, content, kwargs, match):
    path = write(tmp_path, name, content)
    with pytest.raises(TraceError, match=match):
        load_trace(path, **kwargs)


def test_a_directory_and_an_oversized_file_are_named(tmp_path):
    with pytest.raises(TraceError, match="cannot read .*IsADirectoryError"):
        load_two_column(tmp_path)
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(TraceError, match="big.txt: 67108865 bytes; a trace file may hold at most 67108864"):
        load_two_column(big)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf0 1.0\n1 2.0\n")
    assert detect_format(path) == "two_column"
    np.testing.assert_array_equal(load_trace(path).rates_mbps, [1.0, 2.0])
    mahimahi = tmp_path / "bom.up"
    mahimahi.write_bytes(b"\xef\xbb\xbf0\n500\n1000\n")
    np.testing.assert_array_equal(load_mahimahi(mahimahi).rates_mbps, [2 * 1500 * 8 / 1e6])
