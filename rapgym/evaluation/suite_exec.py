"""Where the benchmark's cells run: in this process, in local worker processes, or on a Ray cluster.

The cells are independent and :func:`~rapgym.evaluation.suite_cell.run_cell` is a pure function of its cell,
so every engine gives the same results; only the order in which cells finish differs. Ray is optional (the
``ray`` extra) and imported only when an address is given.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rapgym.errors import MissingDependencyError
from rapgym.evaluation.suite_cell import run_cell
from rapgym.evaluation.suite_protocol import Cell

__all__ = ["Engine", "local_engine", "ray_engine", "serial_engine"]

Engine = Callable[[Sequence[Cell], Sequence[str]], Iterator[tuple[Cell, dict[str, Any]]]]
"""``(cells, plugins) -> (cell, result)`` as each cell finishes."""


def serial_engine(cells: Sequence[Cell], plugins: Sequence[str]) -> Iterator[tuple[Cell, dict[str, Any]]]:
    """Every cell in this process, in order."""
    for cell in cells:
        yield cell, run_cell(cell, plugins)


def local_engine(workers: int) -> Engine:
    """Cells in ``workers`` local processes (``workers == 1``: in this process)."""
    if workers <= 1:
        return serial_engine

    def run(cells: Sequence[Cell], plugins: Sequence[str]) -> Iterator[tuple[Cell, dict[str, Any]]]:
        context = multiprocessing.get_context("forkserver")  # no fork of a process that holds threads
        context.set_forkserver_preload(["rapgym.evaluation.suite_cell"])  # import and compile once, fork workers
        pool = futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            pending = {pool.submit(run_cell, cell, tuple(plugins)): cell for cell in cells}
            for future in futures.as_completed(pending):
                yield pending[future], future.result()
        finally:  # interrupted (Ctrl-C): drop the queued cells, let at most `workers` running ones finish
            pool.shutdown(wait=True, cancel_futures=True)

    return run


def ray_engine(address: str) -> Engine:
    """Cells as Ray tasks on the cluster at ``address`` (``"local"`` starts a local Ray instance).

    Raises:
        MissingDependencyError: Ray is not installed (``pip install "rapgym[ray]"``).
    """
    try:
        import ray
    except ImportError:
        raise MissingDependencyError('--ray-address needs Ray: pip install "rapgym[ray]"') from None

    def run(cells: Sequence[Cell], plugins: Sequence[str]) -> Iterator[tuple[Cell, dict[str, Any]]]:
        if not ray.is_initialized():
            ray.init(address=None if address == "local" else address, include_dashboard=False,
                     log_to_driver=False)
        remote = ray.remote(run_cell)
        pending = {remote.remote(cell, tuple(plugins)): cell for cell in cells}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    yield pending.pop(ref), ray.get(ref)
        finally:  # interrupted: cancel the cells not finished yet
            for ref in pending:
                ray.cancel(ref)

    return run
