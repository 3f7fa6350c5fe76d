"""Generic tabular trace files: a CSV with a header, or JSON; time and throughput columns named or found by their
header, rate units, ISO 8601 date-time times, and several runs stacked in one file.

Columns not given are found by name (:func:`find_columns`). A header is split into words (``"Throughput (Mbps)"``
-> ``Throughput``, ``Mbps``; case ignored except in units) and

- the **time** column is the one whose first word is in :data:`TIME_WORDS` (``time``, ``timestamp``, ``t``,
  ``ts``, ``seconds``, ``elapsed``, ``datetime``, ...); its numbers are milliseconds when its last word is ``ms``
  (``time_ms``), else seconds;
- the **throughput** column is the one with a word in :data:`RATE_WORDS` (``throughput``, ``rate``,
  ``bandwidth``, ``bw``, ``tput``, ``bitrate``, ``capacity``, ``goodput``, ``speed``) or a rate unit as its last
  word (``uplink_mbps``); its unit is the rate unit its header names (:func:`unit_in_name`), else Mbit/s;
- the **run** column, which splits a file into one trace per run, is the one whose whole name is in
  :data:`RUN_NAMES` (``run``, ``run_id``, ``trace_id``, ``session``, ``drive``, ...); without one the file is
  one trace. A row-number column such as ``id`` is never taken as a run: name it with ``run_col``.

Two candidates for one role are an error naming both. A time column holds numbers or ISO 8601 date-times
(``2024-05-01T12:00:00.5``, ``2024-05-01 12:00:00+02:00``, ``...Z``; no zone means UTC), the kind set by its
first row; a date-time becomes seconds from the run's first row. A run's rows may be interleaved with other
runs'; its times must not decrease (then :func:`~rapgym.traces.trace_file.trace_from_times`). Runs become traces
named ``file#run`` in the order they first appear.

JSON shapes (:func:`load_json_traces`):

- a list of records, ``[{"t": 0, "rate": 5.0}, {"t": 1, "rate": 4.2}, ...]`` (one row per record);
- a dict of equal-length arrays, ``{"t": [0, 1, ...], "rate": [5.0, 4.2, ...]}``;
- a list of either, one run per item (traces ``file#0``, ``file#1``, ...).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.errors import TraceError
from rapgym.traces.trace import BandwidthTrace
from rapgym.traces.trace_file import csv_rows, read_lines, trace_from_times

__all__ = ["RATE_UNITS_MBPS", "RATE_WORDS", "RUN_NAMES", "TIME_UNITS_S", "TIME_WORDS", "find_columns", "load_csv_traces",
           "load_json_traces", "unit_in_name"]

RATE_UNITS_MBPS = {"bps": 1e-6, "kbps": 1e-3, "Mbps": 1.0, "Gbps": 1e3,
                   "Bps": 8e-6, "kBps": 8e-3, "KBps": 8e-3, "MBps": 8.0, "GBps": 8e3}
"""Rate unit -> its factor to Mbit/s: ``...bps`` bits per second, ``...Bps`` (capital B) bytes per second."""

TIME_UNITS_S = {"s": 1.0, "ms": 1e-3}
"""Time unit of a numeric time column -> its factor to seconds."""

TIME_WORDS = ("time", "timestamp", "t", "ts", "seconds", "second", "sec", "secs", "elapsed", "datetime", "date")
"""First words of a time column's header."""

RATE_WORDS = ("throughput", "rate", "bandwidth", "bw", "tput", "bitrate", "capacity", "goodput", "speed")
"""Words of a throughput column's header."""

RUN_NAMES = ("run", "run_id", "runid", "trace", "trace_id", "session", "session_id", "drive", "drive_id",
             "experiment", "experiment_id")
"""Whole (lower-case, ``_``-joined) names of a run column."""

_BIT_UNITS = {"bps": "bps", "kbps": "kbps", "mbps": "Mbps", "gbps": "Gbps"}
"""A header word in any case that is not exactly a unit of :data:`RATE_UNITS_MBPS` (``MBPS``, ``Kbps``): bits."""

ISO_EXAMPLE = "2024-05-01T12:00:00.5Z"


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", name)


def unit_in_name(name: str) -> str | None:
    """The rate unit a header names (its last word that is one): a key of :data:`RATE_UNITS_MBPS` as written
    (``MBps`` is bytes), else any-case ``bps``/``kbps``/``mbps``/``gbps`` as bits; ``None`` when it names none."""
    for word in reversed(_words(name)):
        if word in RATE_UNITS_MBPS:
            return word
        if word.lower() in _BIT_UNITS:
            return _BIT_UNITS[word.lower()]
    return None


def _is_time(name: str) -> bool:
    words = _words(name)
    return bool(words) and words[0].lower() in TIME_WORDS


def _is_rate(name: str) -> bool:
    words = [w.lower() for w in _words(name)]
    return bool(words) and (any(w in RATE_WORDS for w in words) or words[-1] in _BIT_UNITS)


def _is_run(name: str) -> bool:
    return "_".join(w.lower() for w in _words(name)) in RUN_NAMES


def _pick(head: str, columns: list[str], given: str | None, option: str, test: Callable[[str], bool], taken: set[int]) -> int | None:
    if given is not None:
        if given not in columns:
            raise TraceError(f"{head}: missing column {given!r} ({option}); columns found: {columns}")
        return columns.index(given)
    found = [i for i, name in enumerate(columns) if i not in taken and test(name)]
    if len(found) > 1:
        raise TraceError(f"{head}: several candidate columns for {option}: {[columns[i] for i in found]}; pass "
                         f"{option}= one of them")
    return found[0] if found else None


def find_columns(head: str, columns: list[str], time_col: str | None = None, rate_col: str | None = None,
                 run_col: str | None = None) -> tuple[int, int, int | None]:
    """Indices of the time, throughput and run (or ``None``) columns: the ones given, else found by name (see the
    module docstring). ``head`` prefixes errors (the file, and its line 1 for a CSV)."""
    t = _pick(head, columns, time_col, "time_col", _is_time, set())
    if t is None:
        raise TraceError(f"{head}: no time column found in {columns}; name it with time_col= (found by a first word "
                         f"among {list(TIME_WORDS)})")
    r = _pick(head, columns, rate_col, "rate_col", _is_rate, {t})
    if r is None:
        raise TraceError(f"{head}: no throughput column found in {columns}; name it with rate_col= (found by a word "
                         f"among {list(RATE_WORDS)} or a rate unit such as 'mbps')")
    return t, r, _pick(head, columns, run_col, "run_col", _is_run, {t, r})


def _float(value: Any) -> float | None:
    """``value`` as a float (a JSON number or numeric text), ``None`` when it is neither."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _epoch_s(value: Any) -> float | None:
    """An ISO 8601 date-time as Unix seconds (no zone: UTC), ``None`` when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=timezone.utc)).timestamp()


def table_traces(path: Path, columns: list[str], rows: Sequence[tuple[int, Sequence[Any]]], where: str, head: str,
                 name: str, time_col: str | None = None, rate_col: str | None = None, rate_unit: str | None = None,
                 time_unit: str | None = None, run_col: str | None = None) -> list[BandwidthTrace]:
    """One trace per run of the rows ``(label, fields)`` of a table with ``columns`` (see the module docstring).

    Errors name ``path`` and ``where`` + the row's label (``where`` is ``""`` for CSV line numbers); traces are
    named ``name`` (``name#run`` with a run column)."""
    t_i, r_i, u_i = find_columns(head, columns, time_col, rate_col, run_col)
    unit = rate_unit or unit_in_name(columns[r_i]) or "Mbps"
    if unit not in RATE_UNITS_MBPS:
        raise TraceError(f"{path}: unknown rate unit {unit!r}; allowed: {list(RATE_UNITS_MBPS)}")
    t_unit = time_unit or ("ms" if _words(columns[t_i])[-1].lower() == "ms" else "s")
    if t_unit not in TIME_UNITS_S:
        raise TraceError(f"{path}: unknown time unit {t_unit!r}; allowed: {list(TIME_UNITS_S)}")
    needed = max(i for i in (t_i, r_i, u_i) if i is not None)
    runs: dict[str, tuple[list[float], list[float], list[int]]] = {}
    dates: str | None = None  # the first row's date-time text when the time column holds date-times
    for label, row in rows:
        at = f"{path}:{where}{label}"
        if len(row) <= needed:
            raise TraceError(f"{at}: expected {len(columns)} fields, got {len(row)}")
        raw_t, raw_r = row[t_i], row[r_i]
        if not runs and dates is None and _float(raw_t) is None:
            if _epoch_s(raw_t) is None:
                raise TraceError(f"{at}: time column {columns[t_i]!r} holds {str(raw_t)[:40]!r}: neither a number nor "
                                 f"an ISO 8601 date-time (e.g. {ISO_EXAMPLE})")
            dates = str(raw_t)
        t = _epoch_s(raw_t) if dates is not None else _float(raw_t)
        if t is None:
            kind = f"an ISO 8601 date-time like the first row's {dates!r}" if dates is not None else "a number"
            raise TraceError(f"{at}: time column {columns[t_i]!r}: {str(raw_t)[:40]!r} is not {kind}")
        rate = _float(raw_r)
        if rate is None or not (math.isfinite(rate) and math.isfinite(t)):
            bad, what = (raw_r, columns[r_i]) if rate is None or not math.isfinite(rate) else (raw_t, columns[t_i])
            raise TraceError(f"{at}: {what} is not a finite number: {str(bad)[:40]!r}")
        key = "" if u_i is None else str(row[u_i]).strip()
        run = runs.setdefault(key, ([], [], []))
        run[0].append(t if dates is not None else t * TIME_UNITS_S[t_unit])
        run[1].append(rate * RATE_UNITS_MBPS[unit])
        run[2].append(label)
    if not runs:
        raise TraceError(f"{path}: empty file (no data rows)")
    return [trace_from_times(path, np.array(t), np.array(r), np.array(lines), name=name if u_i is None else f"{name}#{key}",
                             where=where)
            for key, (t, r, lines) in runs.items()]


def load_csv_traces(path: str | Path, time_col: str | None = None, rate_col: str | None = None, rate_unit: str | None = None,
                    time_unit: str | None = None, run_col: str | None = None) -> list[BandwidthTrace]:
    """The traces of a CSV with a header (one per run; columns found by name when not given), Mbit/s."""
    path = Path(path)
    data, header = csv_rows(path, ())
    columns = [""] * (max(header.values()) + 1)
    for column, i in header.items():  # a repeated header name keeps its last column
        columns[i] = column
    return table_traces(path, columns, list(data), "", f"{path}:1", path.name, time_col, rate_col, rate_unit, time_unit,
                        run_col)


def _json_table(path: Path, item: Any, where: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """``(columns, rows)`` of one JSON table: a dict of equal-length arrays or a list of records."""
    if isinstance(item, dict) and item and all(isinstance(v, list) for v in item.values()):
        columns = [str(k) for k in item]
        lengths = {len(v) for v in item.values()}
        if len(lengths) != 1:
            raise TraceError(f"{path}: {where}arrays of different lengths {sorted(lengths)} in {columns}")
        return columns, [(i, [v[i] for v in item.values()]) for i in range(lengths.pop())]
    if isinstance(item, list) and item and all(isinstance(r, dict) for r in item):
        columns = list(dict.fromkeys(str(k) for record in item for k in record))
        return columns, [(i, [record.get(c) for c in columns]) for i, record in enumerate(item)]
    raise TraceError(f"{path}: {where}JSON shape not understood; expected a list of records [{{\"t\": 0, \"rate\": 5.0}}, "
                     "...], a dict of equal-length arrays {\"t\": [...], \"rate\": [...]}, or a list of those (one run each)")


def load_json_traces(path: str | Path, time_col: str | None = None, rate_col: str | None = None, rate_unit: str | None = None,
                     time_unit: str | None = None, run_col: str | None = None) -> list[BandwidthTrace]:
    """The traces of a JSON file (the shapes of the module docstring; columns found by name when not given), Mbit/s."""
    path = Path(path)
    try:
        data = json.loads("\n".join(read_lines(path)))
    except json.JSONDecodeError as exc:
        raise TraceError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise TraceError(f"{path}: JSON nested too deeply") from None
    options = (time_col, rate_col, rate_unit, time_unit, run_col)
    runs = isinstance(data, list) and bool(data) and all(
        isinstance(item, list) or (isinstance(item, dict) and item and all(isinstance(v, list) for v in item.values()))
        for item in data)
    if not runs:
        columns, rows = _json_table(path, data, "")
        return table_traces(path, columns, rows, "record ", str(path), path.name, *options)
    traces = []
    for k, item in enumerate(data):
        columns, rows = _json_table(path, item, f"item {k}: ")
        traces += table_traces(path, columns, rows, f"item {k} record ", f"{path}: item {k}", f"{path.name}#{k}", *options)
    return traces
