"""The suite: resumable run folder, engines with identical results, refusals before any cell runs."""

from __future__ import annotations

import json

import pytest

from rapgym.errors import BenchmarkError
from rapgym.evaluation.suite import run_suite
from rapgym.evaluation.suite_exec import local_engine, ray_engine
from rapgym.evaluation.suite_protocol import Protocol

SMALL = dict(presets=("default",), users=(1, 2), policies=("rap", "cloud-only"), episodes=2, episode_slots=10,
             real_traces=False)


def _metrics(run):
    return [(r["key"], {k: v for k, v in r["metrics"].items() if k != "decision_us"}) for r in run.results]


def test_a_finished_cell_is_not_recomputed(tmp_path):
    first = run_suite(Protocol(**SMALL), tmp_path, progress=False)
    assert first.computed == 4 and not first.failed
    victim = sorted((tmp_path / "cells").iterdir())[0]
    victim.unlink()  # as if interrupted before this cell
    second = run_suite(Protocol(**SMALL), tmp_path, progress=False)
    assert second.computed == 1
    assert _metrics(second) == _metrics(first)
    invocations = json.loads((tmp_path / "invocations.json").read_text())
    assert [run["computed"] for run in invocations] == [4, 1]
    assert second.total_wall_s == pytest.approx(first.wall_s + second.wall_s)


def test_resuming_with_other_settings_is_refused_naming_the_difference(tmp_path):
    run_suite(Protocol(**SMALL), tmp_path, progress=False)
    with pytest.raises(BenchmarkError, match=r"episode_slots: stored 10, now 12"):
        run_suite(Protocol(**dict(SMALL, episode_slots=12)), tmp_path, progress=False)
    assert json.loads((tmp_path / "settings.json").read_text())["episode_slots"] == 10


def test_unknown_policy_or_import_path_fails_before_any_cell(tmp_path):
    with pytest.raises(BenchmarkError, match="unknown policy 'rapp'"):
        run_suite(Protocol(**dict(SMALL, policies=("rapp",))), tmp_path / "a", progress=False)
    with pytest.raises(BenchmarkError, match="cannot import module 'nopkg.nomod'"):
        run_suite(Protocol(**dict(SMALL, policies=("nopkg.nomod:P",))), tmp_path / "b", progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_failing_policy_is_a_failed_cell_and_the_suite_goes_on(tmp_path):
    policies = ("rap", "tests.evaluation.suite_user_policies:SplitOutOfRange")
    run = run_suite(Protocol(**dict(SMALL, policies=policies, users=(1,))), tmp_path, progress=False)
    assert [r["status"] for r in run.results] == ["ok", "failed"]
    assert "action['split']" in run.failed[0]["reason"]


def test_local_worker_processes_give_the_serial_results(tmp_path):
    protocol = Protocol(**dict(SMALL, policies=("rap", "tests.evaluation.suite_user_policies:AllDeviceOnly")))
    serial = run_suite(protocol, tmp_path / "serial", progress=False)
    pooled = run_suite(protocol, tmp_path / "pool", local_engine(2), progress=False)
    assert _metrics(pooled) == _metrics(serial)


def test_ray_gives_the_serial_results(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is the optional 'ray' extra")
    protocol = Protocol(**dict(SMALL, users=(1,), episodes=1))
    serial = run_suite(protocol, tmp_path / "serial", progress=False)
    try:
        on_ray = run_suite(protocol, tmp_path / "ray", ray_engine("local"), progress=False)
    finally:
        ray.shutdown()
    assert _metrics(on_ray) == _metrics(serial)


def test_an_interrupted_run_keeps_its_finished_cells_and_resumes(tmp_path):
    def interrupted_after_one(cells, plugins):
        engine = local_engine(2)(cells, plugins)
        yield next(engine)
        engine.close()  # drops the queued cells (what Ctrl-C does through the generator's finally)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_suite(Protocol(**SMALL), tmp_path, interrupted_after_one, progress=False)
    assert len(list((tmp_path / "cells").iterdir())) == 1
    resumed = run_suite(Protocol(**SMALL), tmp_path, progress=False)
    assert resumed.computed == 3 and not resumed.failed
