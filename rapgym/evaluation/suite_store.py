"""A benchmark run's folder: its settings and one JSON file per finished cell, so an interrupted run resumes.

Layout of ``out``: ``settings.json`` (the :meth:`~rapgym.evaluation.suite_protocol.Protocol.settings`),
``invocations.json`` (cells computed and wall time of every invocation) and ``cells/<cell key>.json`` (the result of :func:`~rapgym.evaluation.suite_cell.run_cell`, written atomically).
A cell with a file is finished (failed cells too: a failure is a result) and is not played again. Opening a
folder whose stored settings differ from the protocol's is refused, naming every difference.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rapgym.errors import BenchmarkError
from rapgym.evaluation.suite_protocol import Cell, settings_difference

__all__ = ["RunStore"]


class RunStore:
    """The folder of one benchmark run.

    Args:
        out: the folder (created).
        settings: the protocol's settings.

    Raises:
        BenchmarkError: ``out`` holds a run with other settings (the message lists each difference).
    """

    def __init__(self, out: Path, settings: Mapping[str, Any]) -> None:
        self.out = Path(out)
        self.cells_dir = self.out / "cells"
        path = self.out / "settings.json"
        if path.is_file():
            stored = json.loads(path.read_text())
            diff = settings_difference(stored, settings)
            if diff:
                raise BenchmarkError(f"{self.out} holds a run with other settings ({'; '.join(diff)}); resume with "
                                     "the same settings or choose another --out")
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        if not path.is_file():
            _write_atomic(path, json.dumps(dict(settings), indent=1))

    def _path(self, cell: Cell) -> Path:
        return self.cells_dir / f"{cell.key}.json"

    def done(self, cell: Cell) -> bool:
        """Whether ``cell`` is finished (has a result file)."""
        return self._path(cell).is_file()

    def save(self, cell: Cell, result: Mapping[str, Any]) -> None:
        """Store a finished cell's result."""
        _write_atomic(self._path(cell), json.dumps(dict(result)))

    def load(self, cell: Cell) -> dict[str, Any]:
        """The stored result of a finished cell."""
        return json.loads(self._path(cell).read_text())

    def log_invocation(self, computed: int, wall_s: float) -> list[dict[str, Any]]:
        """Append one invocation (cells computed, wall time in s) to ``invocations.json``; every one so far."""
        path = self.out / "invocations.json"
        runs = json.loads(path.read_text()) if path.is_file() else []
        runs.append({"computed": computed, "wall_s": wall_s})
        _write_atomic(path, json.dumps(runs, indent=1))
        return runs


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
