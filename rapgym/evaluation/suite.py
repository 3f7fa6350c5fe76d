"""The benchmark suite: play every cell of a :class:`~rapgym.evaluation.suite_protocol.Protocol` that the run
folder does not hold yet, with a progress bar, on an engine of :mod:`rapgym.evaluation.suite_exec`.

    from rapgym.evaluation.suite import run_suite
    from rapgym.evaluation.suite_protocol import Protocol
    results = run_suite(Protocol(presets=("default",), users=(8,), episodes=10), Path("runs/bench"))
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from rapgym.evaluation.runner import resolve_policy
from rapgym.evaluation.suite_cell import load_plugins
from rapgym.evaluation.suite_exec import Engine, serial_engine
from rapgym.evaluation.suite_protocol import Protocol, check_specs_known
from rapgym.evaluation.suite_store import RunStore

__all__ = ["IMPORT_PATH_PLUGIN", "SuiteRun", "ok_results", "run_suite"]

IMPORT_PATH_PLUGIN = "rapgym.evaluation.suite_policies:register_import_resolver"
"""Always loaded in every worker: ``module:Name`` policy specs."""


class SuiteRun:
    """The results of a run, in the protocol's cell order, and how long this invocation took.

    Attributes:
        protocol: the protocol played.
        results: :func:`~rapgym.evaluation.suite_cell.run_cell` result of every cell.
        computed: cells played by this invocation (the others were loaded from the run folder).
        wall_s: wall time of this invocation, s.
        total_wall_s: wall time of every invocation of the run folder so far (an interrupted run included), s.
    """

    def __init__(self, protocol: Protocol, results: list[dict[str, Any]], computed: int, wall_s: float,
                 total_wall_s: float) -> None:
        self.protocol = protocol
        self.results = results
        self.computed = computed
        self.wall_s = wall_s
        self.total_wall_s = total_wall_s

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The failed cells' results."""
        return [r for r in self.results if r["status"] != "ok"]


def _plugins(protocol: Protocol) -> tuple[str, ...]:
    return (IMPORT_PATH_PLUGIN, *protocol.plugins)


def run_suite(protocol: Protocol, out: Path, engine: Engine = serial_engine, progress: bool = True) -> SuiteRun:
    """Play the protocol's unfinished cells and return every cell's result.

    Raises:
        BenchmarkError: an unknown policy, agent or import path (before any cell runs), or ``out`` holds a run
            with other settings.
    """
    start = time.perf_counter()
    plugins = _plugins(protocol)
    load_plugins(plugins)
    check_specs_known([*protocol.policies, *protocol.agents], resolve_policy)
    store = RunStore(out, protocol.settings())
    cells = protocol.cells()
    todo = [cell for cell in cells if not store.done(cell)]
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[last]}"))
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("benchmark cells", total=len(cells), completed=len(cells) - len(todo), last="")
        for cell, result in engine(todo, plugins):
            store.save(cell, result)
            bar.update(task, advance=1, last=f"{cell.scenario} N={cell.num_users} {cell.policy}: {result['status']}")
    wall = time.perf_counter() - start
    total = sum(run["wall_s"] for run in store.log_invocation(len(todo), wall))
    return SuiteRun(protocol, [store.load(cell) for cell in cells], len(todo), wall, total)


def ok_results(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results of the cells that finished without failure."""
    return [r for r in results if r["status"] == "ok"]
