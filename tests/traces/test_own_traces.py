"""A researcher's own trace folder: the frictions of issue 13 ("your own traces, one command"), one test each."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rapgym.configs.scenario import load_scenario
from rapgym.traces.sources import make_uplink_traces


def test_trace_split_all_draws_from_every_file(tmp_path: Path) -> None:
    # one file only: it is the test split, so "train" is empty, but "all" holds it
    (tmp_path / "only.txt").write_text("0 3.0\n1 3.0\n")
    config = load_scenario("default", uplink="calibrated:lumos5g_4g", uplink_params={}, trace_dir=str(tmp_path),
                           trace_split="all")
    traces = make_uplink_traces(config.uplink, np.random.default_rng(0), 2, 1.0, {}, config.trace_dir,
                                config.trace_split)
    assert len(traces) == 2 and all(t.mean_mbps == 3.0 for t in traces)  # the file says 3.0 Mbit/s throughout
