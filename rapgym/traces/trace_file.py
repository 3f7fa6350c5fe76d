"""Reading one trace file, shared by the loaders of :mod:`rapgym.traces.loaders`: bounded UTF-8 text, CSV rows,
numbers named by file and line, and sample times turned into a :class:`~rapgym.traces.trace.BandwidthTrace`."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rapgym.errors import TraceError
from rapgym.traces.trace import MAX_PERIOD_S, MAX_RATE_MBPS, BandwidthTrace

__all__ = ["MAX_FILE_BYTES", "MAX_TIMESTAMP_S", "csv_rows", "parse_float", "read_lines", "trace_from_times"]

MAX_FILE_BYTES = 64 * 2**20
"""Largest trace file read, bytes (64 MiB; the largest real trace shipped is about 1.2 MB)."""

MAX_TIMESTAMP_S = 1e12
"""Largest absolute timestamp, s (about 31,700 years; Unix times are about 1.7e9 s): keeps a timestamp's float64
rounding under 0.2 ms."""


def read_lines(path: Path) -> list[str]:
    """The lines of ``path`` (UTF-8, a byte-order mark skipped, bad bytes as U+FFFD), at most :data:`MAX_FILE_BYTES`."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TraceError(f"{path}: {size} bytes; a trace file may hold at most {MAX_FILE_BYTES} bytes (MAX_FILE_BYTES)")
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise TraceError(f"{path}: cannot read ({type(exc).__name__}: {exc.strerror or exc})") from None
    if not text.strip():
        raise TraceError(f"{path}: empty file")
    return text.splitlines()


def trace_from_times(path: Path, times_s: np.ndarray, rates: np.ndarray, lines: np.ndarray, last_hold_s: float | None = None,
                     name: str | None = None, where: str = "") -> BandwidthTrace:
    """Piecewise-constant trace from sample times in seconds (duplicates averaged), named ``name`` (default: the
    file name).

    The last sample holds for ``last_hold_s`` seconds, by default the median gap between distinct times
    (1 s for a single sample). Errors name ``path`` and ``where`` + the entry of ``lines`` at fault (``where`` is
    ``""`` for 1-based line numbers, ``"record "`` for JSON record indices).
    """
    back = np.flatnonzero(np.diff(times_s) < 0)
    if back.size:
        raise TraceError(f"{path}:{where}{lines[back[0] + 1]}: timestamp {times_s[back[0] + 1]} goes backwards (previous {times_s[back[0]]})")
    neg = np.flatnonzero(rates < 0)
    if neg.size:
        raise TraceError(f"{path}:{where}{lines[neg[0]]}: negative throughput {rates[neg[0]]}")
    high = np.flatnonzero(rates > MAX_RATE_MBPS)
    if high.size:
        raise TraceError(f"{path}:{where}{lines[high[0]]}: throughput {rates[high[0]]:g} Mbit/s; at most {MAX_RATE_MBPS:g} "
                         "(MAX_RATE_MBPS)")
    huge = np.flatnonzero(np.abs(times_s) > MAX_TIMESTAMP_S)
    if huge.size:
        raise TraceError(f"{path}:{where}{lines[huge[0]]}: timestamp {times_s[huge[0]]:g} s; at most {MAX_TIMESTAMP_S:g} in "
                         "absolute value (MAX_TIMESTAMP_S)")
    far = np.flatnonzero(times_s - times_s[0] > MAX_PERIOD_S - 1.0)
    if far.size:
        raise TraceError(f"{path}:{where}{lines[far[0]]}: timestamp {times_s[far[0]]:g} s lies {times_s[far[0]] - times_s[0]:g} s "
                         f"after the first; a trace may span at most {MAX_PERIOD_S:g} s (MAX_PERIOD_S)")
    uniq, inverse = np.unique(times_s, return_inverse=True)
    means = np.bincount(inverse, weights=rates) / np.bincount(inverse)
    hold = last_hold_s if last_hold_s is not None else (float(np.median(np.diff(uniq))) if uniq.size > 1 else 1.0)
    edges = np.append(uniq, uniq[-1] + hold) - uniq[0]
    try:
        return BandwidthTrace(edges, means, path.name if name is None else name)
    except TraceError as exc:  # e.g. timestamps too close together to stay distinct in float64
        raise TraceError(f"{path}: {exc}") from None


def csv_rows(path: Path, required: tuple[str, ...]) -> tuple[Iterator[tuple[int, list[str]]], dict[str, int]]:
    """``(data rows, header)``: the header maps column name -> index; the data rows are ``(1-based line, fields)``.

    Blank rows are skipped; a row too short to hold every ``required`` column raises (when it is reached).
    """
    reader = csv.reader(read_lines(path))
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit() (128 KiB)
        raise TraceError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    header = {name.strip(): i for i, name in enumerate(rows[0])}
    missing = [c for c in required if c not in header]
    if missing:
        raise TraceError(f"{path}:1: missing column(s) {missing}; header has {sorted(header)}")
    if len(rows) < 2:
        raise TraceError(f"{path}: empty file (header only)")
    last = max((header[c] for c in required), default=-1)

    def data() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(rows[1:], start=2):
            if not any(field.strip() for field in row):
                continue
            if len(row) <= last:
                raise TraceError(f"{path}:{number}: expected {len(header)} fields, got {len(row)}")
            yield number, row

    return data(), header


def parse_float(path: Path, number: int, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(f"{path}:{number}: {what} is not a number: {text[:40]!r}") from None
    if not math.isfinite(value):
        raise TraceError(f"{path}:{number}: {what} is not finite: {text[:40]!r}")
    return value
