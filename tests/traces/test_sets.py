"""Trace sets: the train/test split of a file set, and every declared real set against the data README."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import TraceError
from rapgym.traces.loaders import FORMATS, detect_format
from rapgym.traces.sets import TRACE_SETS, TraceSet, real_set
from tests.helpers import shared_data_dir


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_trace_set_split_every_kth_file(tmp_path):
    for i in range(7):
        write(tmp_path, f"f{i}", f"0 {i}\n1 {i}\n")
    write(tmp_path, "README.md", "not a trace")
    ts = TraceSet(tmp_path, test_every=3)
    assert [p.name for p in ts.files("test")] == ["f0", "f3", "f6"]
    assert [p.name for p in ts.files("train")] == ["f1", "f2", "f4", "f5"]
    assert [t.mean_mbps for t in ts.traces("train")] == [1.0, 2.0, 4.0, 5.0]
    assert len(TraceSet(str(tmp_path / "f[0-2]")).files()) == 3
    with pytest.raises(TraceError, match="split 'dev' unknown"):
        ts.files("dev")


# README tables: (set, files, mean Mbit/s, mean duration s). Means are over every sample of every file.
README_SETS = [
    ("norway_hsdpa_3g", 142, 1.67, 261),
    ("nyu_mets_lte", 22, 7.58, 2063),
    ("lumos5g_4g", 175, 40.4, 620),
    ("lumos5g_5g", 121, 522.8, 587),
    ("irish_5g", 21, 45.0, 2179),
]


@pytest.mark.parametrize(("name", "files", "mean", "duration"), README_SETS)
def test_real_sets_match_readme(name, files, mean, duration):
    traces = real_set(name, shared_data_dir("traces")).traces()
    assert len(traces) == files
    samples = np.concatenate([t.rates_mbps for t in traces])
    assert samples.mean() == pytest.approx(mean, rel=0.01)
    assert np.mean([t.period_s for t in traces]) == pytest.approx(duration, rel=0.01)


def test_declared_format_is_what_each_file_holds():
    for name, spec in TRACE_SETS.items():
        assert spec.fmt in FORMATS, name
        files = spec.trace_set(shared_data_dir("traces")).files()
        assert {detect_format(p) for p in files} == {spec.fmt}, name


def test_unknown_set_names_the_allowed_ones():
    with pytest.raises(TraceError, match=r"real trace set 'wifi' unknown; allowed: \['irish_5g'"):
        real_set("wifi", "/nonexistent")
