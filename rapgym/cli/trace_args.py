"""The command-line options that play your own traces, shared by ``rapgym-benchmark`` and ``evaluate.py``:

    --traces DIR [--format F] [--time-col C] [--rate-col C] [--run-col C] [--unit U] [--time-unit s|ms]
                 [--scale-to MBPS] [--split train|test|all]

They become the scenario overrides of the ``traces`` uplink source (:mod:`rapgym.traces.sources`):
``uplink="traces"``, ``trace_dir=DIR``, ``trace_split`` and ``uplink_params`` (the reading options given).
"""

from __future__ import annotations

import argparse
from typing import Any

from rapgym.traces.loaders import FORMATS
from rapgym.traces.sources import TRACES
from rapgym.traces.tabular import RATE_UNITS_MBPS, TIME_UNITS_S

__all__ = ["READING_OPTIONS", "add_trace_arguments", "trace_overrides"]

READING_OPTIONS = ("format", "time_col", "rate_col", "run_col", "unit", "time_unit", "scale_to")
"""Parameters of the ``traces`` source (:data:`rapgym.traces.sources.TRACE_OPTIONS`), each the argparse destination
of its option (``--time-col`` -> ``time_col``)."""


def add_trace_arguments(parser: argparse.ArgumentParser, default_split: str) -> None:
    """Add ``--traces`` and its reading options to ``parser`` (``--split`` defaults to ``default_split``)."""
    group = parser.add_argument_group("your own traces", "play the scenarios on a folder (or glob) of your trace files")
    group.add_argument("--traces", default=None, metavar="DIR",
                       help="folder or glob of trace files (README, LICENSE, hidden files and the like are skipped)")
    group.add_argument("--format", default=None, choices=["auto", *FORMATS], help="file format (default: auto-detected)")
    group.add_argument("--time-col", default=None, metavar="C", help="CSV/JSON time column (default: found by its name)")
    group.add_argument("--rate-col", default=None, metavar="C", help="CSV/JSON throughput column (default: found by its name)")
    group.add_argument("--run-col", default=None, metavar="C",
                       help="CSV/JSON column splitting one file into several runs (default: a column named run, trace_id, ...)")
    group.add_argument("--unit", default=None, choices=list(RATE_UNITS_MBPS),
                       help="throughput unit (default: named in the column header, else Mbps); MBps = megabytes/s")
    group.add_argument("--time-unit", default=None, choices=list(TIME_UNITS_S),
                       help="unit of a numeric time column (default: ms if its header ends in ms, else s)")
    group.add_argument("--scale-to", type=float, default=None, metavar="MBPS",
                       help="rescale the traces so that their mean is MBPS Mbit/s")
    group.add_argument("--split", default=default_split, choices=["train", "test", "all"],
                       help=f"which traces: trace i is a test trace when i %% 5 == 0 (default: {default_split})")


def trace_overrides(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The scenario overrides of ``args`` (``{}`` without ``--traces``); a reading option without ``--traces`` is a
    usage error of ``parser``."""
    params = {key: getattr(args, key) for key in READING_OPTIONS if getattr(args, key) is not None}
    if args.traces is None:
        if params:
            parser.error(f"--{next(iter(params)).replace('_', '-')} needs --traces DIR")
        return {}
    return {"uplink": TRACES, "uplink_params": params, "trace_dir": args.traces, "trace_split": args.split}
