"""``learning_study.py select``: per training seed, the study whose held-out selection score is best; never the test."""

from __future__ import annotations

import json
import sys

import pytest

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import learning_study  # noqa: E402

REFERENCES = {"jm-mpra": [-4.0, -5.0], "rap": [-3.0, -6.0]}


def _study(tmp_path, name, curves, test, **changes):
    """A study JSON of 2 seeds: ``curves`` the held-out selection curve of each seed, ``test`` its test rewards."""
    study = {"name": name, "algo": "hybrid", "scenario": "default", "num_users": 8, "timesteps": 1000, "seeds": [0, 1],
             "command": f"run {name}", "wall_s": [10.0, 20.0], "test_seeds": [2_000_000, 2_000_001],
             "curves": [{"steps": [0, 1000], "agent": c, "jm_mpra": [-4.0, -4.0]} for c in curves],
             "variants": [{"scenario": "default", "num_users": 8, "agent": test, "references": REFERENCES}],
             "selection_references": {"jm-mpra": -4.0, "accuracy-budget": -3.9}, **changes}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(study))
    return path


def test_each_seed_takes_the_study_with_the_best_selection_score_whatever_its_test_rewards(tmp_path, monkeypatch):
    monkeypatch.setattr(learning_study, "RESULTS", tmp_path / "out")
    # seed 0: a's best selection point (-3.0) beats b's (-3.5); seed 1: b's (-2.0) beats a's (-4.0); the test
    # rewards point the other way, and must not matter
    a = _study(tmp_path, "a", [[-5.0, -3.0], [-4.0, -4.5]], [[-9.0, -9.0], [-1.0, -1.0]])
    b = _study(tmp_path, "b", [[-3.5, -3.6], [-2.0, -2.5]], [[-1.0, -1.0], [-9.0, -9.0]], wall_s=[30.0, 40.0],
               timesteps=500)
    selection = json.loads(learning_study.select_studies([a, b], "sel").read_text())
    assert selection["chosen"] == ["a", "b"]
    assert selection["variants"][0]["agent"] == [[-9.0, -9.0], [-9.0, -9.0]]
    assert selection["variants"][0]["references"] == REFERENCES
    assert selection["wall_s"] == [10.0, 40.0] and selection["timesteps"] == [1000, 500]
    assert selection["selection_scores"] == [[-3.0, -4.0], [-3.5, -2.0]]
    assert learning_study._steps(selection) == "1,000 / 500"


@pytest.mark.parametrize("change", [{"scenario": "unstable-lte"}, {"seeds": [0, 2]}, {"test_seeds": [1, 2]},
                                    {"selection_references": {"jm-mpra": -4.1, "accuracy-budget": -3.9}}])
def test_studies_of_other_scenarios_seeds_or_episodes_are_refused_naming_the_key(tmp_path, monkeypatch, change):
    monkeypatch.setattr(learning_study, "RESULTS", tmp_path / "out")
    a = _study(tmp_path, "a", [[-1.0], [-1.0]], [[-1.0], [-1.0]])
    b = _study(tmp_path, "b", [[-1.0], [-1.0]], [[-1.0], [-1.0]], **change)
    with pytest.raises(SystemExit, match=next(iter(change))):
        learning_study.select_studies([a, b], "sel")
    assert not (tmp_path / "out").exists()
