"""Loaders of real mobile bandwidth trace files, one per file format (sets of files: :mod:`rapgym.traces.sets`).

Every loader returns a :class:`~rapgym.traces.trace.BandwidthTrace` in Mbit/s whose time axis starts at 0.
Malformed input raises :class:`~rapgym.errors.TraceError` naming the file and, where one is at fault,
the 1-based line number. Files are read as UTF-8 (a byte-order mark is skipped, undecodable bytes become
U+FFFD) and bounded: at most :data:`~rapgym.traces.trace_file.MAX_FILE_BYTES`, every rate at most
:data:`~rapgym.traces.trace.MAX_RATE_MBPS`, a span of at most :data:`~rapgym.traces.trace.MAX_PERIOD_S`
from the first timestamp, at most :data:`MAX_SAMPLES` Mahimahi bins. Supported layouts:

- ``two_column``: ``t_seconds throughput_Mbps`` separated by spaces or a tab (Norway HSDPA, Lumos5G).
  Sample ``i`` holds from ``t[i]`` until ``t[i+1]``; the last one holds for the median sample interval.
  Rows sharing a timestamp are averaged; a timestamp lower than the one before is an error.
- ``mahimahi``: one integer millisecond timestamp per line, each one 1500-byte delivery opportunity,
  binned to ``interval_s``. Only whole bins are kept (a trailing partial bin is dropped).
- ``nyu_mets``: ``value,unit`` rows (NYU-METS iperf logs); rows whose 2nd field is not unit-like
  (headers, reconnect text, empty rows) are skipped, one sample per row, every 1 s.
- ``gnettrack``: G-NetTrack Pro CSV (Irish 5G set), ``DL_bitrate`` or ``UL_bitrate`` in kbit/s; rows
  sharing a second are averaged and each second holds until the next logged one (gaps held).
- ``csv``: a generic CSV with a header; ``json``: a list of records, a dict of arrays or a list of runs. Time and
  throughput columns named or found by their header, rate units, ISO 8601 date-times and several runs in one
  file (a run column): :mod:`rapgym.traces.tabular`.

:func:`load_traces` returns every trace of a file (a CSV or JSON file may hold several runs);
:func:`load_trace` the one trace of a file.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rapgym.errors import TraceError
from rapgym.traces.tabular import RATE_UNITS_MBPS, find_columns, load_csv_traces, load_json_traces
from rapgym.traces.trace import MAX_PERIOD_S, MAX_RATE_MBPS, MBIT, BandwidthTrace
from rapgym.traces.trace_file import csv_rows, parse_float, read_lines, trace_from_times

__all__ = ["FORMATS", "FORMAT_OPTIONS", "MAX_SAMPLES", "GNetTrackTrace", "detect_format", "load_csv", "load_gnettrack", "load_mahimahi",
           "load_nyu_mets", "load_trace", "load_traces", "load_two_column"]

MAX_SAMPLES = 10_000_000
"""Most Mahimahi bins in one trace (a far timestamp or a tiny ``interval_s`` would need more memory)."""

MAHIMAHI_PACKET_BITS = 1500 * 8
"""Bits delivered per Mahimahi delivery opportunity (one 1500-byte packet)."""

NYU_UNITS_MBPS = {"Mbits/sec": 1.0, "Kbits/sec": 1e-3, "bits/sec": 1e-6}
"""NYU-METS rate units and their factor to Mbit/s."""

_UNIT_LIKE = re.compile(r"^[A-Za-z]*bits/sec$")
_MILLISECONDS = re.compile(r"^[0-9]{1,15}$")
"""A Mahimahi timestamp: ASCII digits only (``str.isdigit`` also takes ``'²'``), at most 15 of them."""


def load_two_column(path: str | Path, rate_unit: str = "Mbps") -> BandwidthTrace:
    """Load ``t_seconds throughput`` rows (space or tab separated; regular or irregular times), the throughput in
    ``rate_unit`` (a key of :data:`~rapgym.traces.tabular.RATE_UNITS_MBPS`)."""
    path = Path(path)
    if rate_unit not in RATE_UNITS_MBPS:
        raise TraceError(f"{path}: unknown rate unit {rate_unit!r}; allowed: {list(RATE_UNITS_MBPS)}")
    times, rates, lines = [], [], []
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise TraceError(f"{path}:{number}: expected 2 columns 't_seconds Mbps', got {len(fields)}: {line[:60]!r}")
        try:
            t, r = float(fields[0]), float(fields[1])
        except ValueError:
            raise TraceError(f"{path}:{number}: not numbers: {line[:60]!r}") from None
        if not (math.isfinite(t) and math.isfinite(r)):
            raise TraceError(f"{path}:{number}: non-finite value: {line[:60]!r}")
        times.append(t)
        rates.append(r * RATE_UNITS_MBPS[rate_unit])
        lines.append(number)
    if not times:
        raise TraceError(f"{path}: empty file (no samples)")
    return trace_from_times(path, np.array(times), np.array(rates), np.array(lines))


def load_mahimahi(path: str | Path, interval_s: float = 1.0) -> BandwidthTrace:
    """Load a Mahimahi packet-delivery trace binned to ``interval_s`` seconds (whole bins only), Mbit/s."""
    path = Path(path)
    if not (math.isfinite(interval_s) and interval_s > 0):
        raise TraceError(f"{path}: 'interval_s' must be > 0, got {interval_s}")
    stamps, lines = [], []
    for number, line in enumerate(read_lines(path), start=1):
        text = line.strip()
        if not text:
            continue
        if not _MILLISECONDS.match(text):
            bad = ("negative timestamp" if _MILLISECONDS.match(text.lstrip("-")) else
                   "not a non-negative integer millisecond timestamp of at most 15 ASCII digits")
            raise TraceError(f"{path}:{number}: {bad}: {line[:40]!r}")
        stamps.append(int(text))
        lines.append(number)
    if not stamps:
        raise TraceError(f"{path}: empty file (no timestamps)")
    ms = np.array(stamps, dtype=np.int64)
    back = np.flatnonzero(np.diff(ms) < 0)
    if back.size:
        raise TraceError(f"{path}:{lines[back[0] + 1]}: timestamp {ms[back[0] + 1]} goes backwards (previous {ms[back[0]]})")
    interval_ms = interval_s * 1000.0
    if ms[-1] / 1000.0 > MAX_PERIOD_S - interval_s:
        raise TraceError(f"{path}:{lines[-1]}: timestamp {ms[-1]} ms; a trace may span at most {MAX_PERIOD_S:g} s "
                         "(MAX_PERIOD_S)")
    bins = int(ms[-1] // interval_ms)
    if bins > MAX_SAMPLES:
        raise TraceError(f"{path}:{lines[-1]}: timestamp {ms[-1]} ms at interval_s={interval_s} needs {bins} bins; at "
                         f"most {MAX_SAMPLES} (MAX_SAMPLES): use a larger interval_s")
    if bins < 1:
        raise TraceError(f"{path}: shorter than one {interval_s} s bin (last timestamp {ms[-1]} ms)")
    counts = np.bincount((ms // interval_ms).astype(np.int64), minlength=bins + 1)[:bins]
    return BandwidthTrace.from_samples(counts * MAHIMAHI_PACKET_BITS / interval_s / MBIT, interval_s, path.name)


def load_nyu_mets(path: str | Path) -> BandwidthTrace:
    """Load an NYU-METS ``value,unit`` log (1-s samples), skipping rows whose 2nd field is not a unit."""
    path = Path(path)
    rates = []
    for number, line in enumerate(read_lines(path), start=1):
        fields = [f.strip() for f in line.split(",")]
        unit = fields[1] if len(fields) > 1 else ""
        if not _UNIT_LIKE.match(unit):
            continue
        if unit not in NYU_UNITS_MBPS:
            raise TraceError(f"{path}:{number}: unknown unit {unit!r}; allowed: {sorted(NYU_UNITS_MBPS)}")
        try:
            value = float(fields[0])
        except ValueError:
            raise TraceError(f"{path}:{number}: value is not a number: {line!r}") from None
        if not math.isfinite(value) or value < 0 or value * NYU_UNITS_MBPS[unit] > MAX_RATE_MBPS:
            raise TraceError(f"{path}:{number}: negative, non-finite or too large throughput {fields[0][:40]!r} {unit}; "
                             f"allowed: 0 to {MAX_RATE_MBPS:g} Mbit/s (MAX_RATE_MBPS)")
        rates.append(value * NYU_UNITS_MBPS[unit])
    if not rates:
        raise TraceError(f"{path}: empty file (no 'value,unit' rows)")
    return BandwidthTrace.from_samples(np.array(rates), 1.0, path.name)


class GNetTrackTrace(NamedTuple):
    """A G-NetTrack log: the throughput trace and the radio access technology of each segment."""

    trace: BandwidthTrace
    network_mode: np.ndarray
    """``(M,)`` ``NetworkMode`` string per trace segment (one per logged second; last row of that second)."""


def load_gnettrack(path: str | Path, direction: str = "dl") -> GNetTrackTrace:
    """Load a G-NetTrack Pro CSV: ``direction`` ``"dl"`` (``DL_bitrate``) or ``"ul"`` (``UL_bitrate``), kbit/s -> Mbit/s.

    Rows sharing a ``Timestamp`` second are averaged; a second missing from the log holds the previous value.
    """
    path = Path(path)
    columns = {"dl": "DL_bitrate", "ul": "UL_bitrate"}
    if direction not in columns:
        raise TraceError(f"{path}: direction {direction!r} unknown; allowed: {sorted(columns)}")
    rows, header = csv_rows(path, ("Timestamp", "NetworkMode", columns[direction]))
    t_col, m_col, r_col = header["Timestamp"], header["NetworkMode"], header[columns[direction]]
    times, rates, modes, lines = [], [], [], []
    for number, row in rows:
        try:
            stamp = datetime.strptime(row[t_col].strip(), "%Y.%m.%d_%H.%M.%S").replace(tzinfo=timezone.utc)
        except ValueError:
            raise TraceError(f"{path}:{number}: bad Timestamp {row[t_col]!r}; expected YYYY.MM.DD_HH.MM.SS") from None
        times.append(stamp.timestamp())
        rates.append(parse_float(path, number, row[r_col], columns[direction]) * 1e-3)
        modes.append(row[m_col].strip())
        lines.append(number)
    if not times:
        raise TraceError(f"{path}: empty file (no data rows)")
    times_a = np.array(times)
    trace = trace_from_times(path, times_a, np.array(rates), np.array(lines), last_hold_s=1.0)
    uniq_last = np.flatnonzero(np.append(np.diff(times_a) > 0, True))
    return GNetTrackTrace(trace, np.array(modes)[uniq_last])


def load_csv(path: str | Path, time_col: str | None = None, rate_col: str | None = None, rate_unit: str | None = None,
             time_unit: str | None = None) -> BandwidthTrace:
    """Load a CSV with a header, a time column (``time_unit`` ``s`` or ``ms``) and a throughput column (``rate_unit``);
    columns and units not given are found by name (:mod:`rapgym.traces.tabular`)."""
    return _one(path, load_csv_traces(path, time_col, rate_col, rate_unit, time_unit))


FORMATS: dict[str, Callable[..., list[BandwidthTrace]]] = {
    "two_column": lambda path, **kw: [load_two_column(path, **kw)],
    "mahimahi": lambda path, **kw: [load_mahimahi(path, **kw)],
    "nyu_mets": lambda path: [load_nyu_mets(path)],
    "gnettrack": lambda path, **kw: [load_gnettrack(path, **kw).trace],
    "csv": load_csv_traces,
    "json": load_json_traces,
}
"""Format name -> loader of every trace of a file (``gnettrack`` returns the traces only), for :func:`load_traces`."""

_TABLE_OPTIONS = ("time_col", "rate_col", "rate_unit", "time_unit", "run_col")
FORMAT_OPTIONS: dict[str, tuple[str, ...]] = {
    "two_column": ("rate_unit",), "mahimahi": ("interval_s",), "nyu_mets": (), "gnettrack": ("direction",),
    "csv": _TABLE_OPTIONS, "json": _TABLE_OPTIONS,
}
"""Format name -> the loader options it takes."""


def _one(path: str | Path, traces: list[BandwidthTrace]) -> BandwidthTrace:
    if len(traces) != 1:
        raise TraceError(f"{path}: holds {len(traces)} runs ({', '.join(t.name for t in traces[:5])}, ...); load them "
                         "with load_traces")
    return traces[0]


def detect_format(path: str | Path, time_col: str | None = None, rate_col: str | None = None) -> str:
    """Guess a file's format from its first non-empty lines (see the module docstring for the layouts); a CSV's
    header must hold a time and a throughput column, ``time_col`` and ``rate_col`` when given."""
    path = Path(path)
    head = [line.strip() for line in read_lines(path)[:50] if line.strip()]
    if not head:
        raise TraceError(f"{path}: empty file")
    if "DL_bitrate" in head[0] and "NetworkMode" in head[0]:
        return "gnettrack"
    if any(_UNIT_LIKE.match(next(iter(line.split(",")[1:2]), "").strip()) for line in head):
        return "nyu_mets"
    if all(line.isdigit() for line in head[:10]):
        return "mahimahi"
    if head[0][0] in "[{":
        return "json"
    if len(head[0].split()) == 2 and "," not in head[0]:
        return "two_column"
    if "," in head[0]:
        header = next(csv.reader(head[:1]))
        try:
            find_columns(f"{path}:1", [h.strip() for h in header], time_col, rate_col)
        except TraceError as exc:
            raise TraceError(f"{exc}; or pass fmt= one of {sorted(FORMATS)}") from None
        return "csv"
    raise TraceError(f"{path}:1: cannot detect the format; pass fmt= one of {sorted(FORMATS)}")


def load_traces(path: str | Path, fmt: str = "auto", **options: object) -> list[BandwidthTrace]:
    """Every trace of one file; ``fmt`` is a name in :data:`FORMATS` or ``"auto"`` (:func:`detect_format`), and
    ``options`` are those the format takes (:data:`FORMAT_OPTIONS`; ``None`` values are left out)."""
    options = {k: v for k, v in options.items() if v is not None}
    if fmt == "auto":
        fmt = detect_format(path, *(str(options[k]) if k in options else None for k in ("time_col", "rate_col")))
    if fmt not in FORMATS:
        raise TraceError(f"{path}: format {fmt!r} unknown; allowed: {['auto', *sorted(FORMATS)]}")
    foreign = sorted(set(options) - set(FORMAT_OPTIONS[fmt]))
    if foreign:
        raise TraceError(f"{path}: format {fmt!r} takes no option {foreign}; it takes: {list(FORMAT_OPTIONS[fmt]) or 'none'}")
    return FORMATS[fmt](path, **options)


def load_trace(path: str | Path, fmt: str = "auto", **options: object) -> BandwidthTrace:
    """The one trace of a file (:func:`load_traces`; a file holding several runs is refused)."""
    return _one(path, load_traces(path, fmt, **options))
