"""The folder one training run writes, ``<out>/<algo>-<scenario>-s<seed>-<time>/``, and how its files are found.

- ``config.yml``: the command line, the validated hyperparameters, the resolved scenario, the held-out
  evaluation seeds and library versions (written before training starts);
- ``model.zip`` + ``model_vecnormalize.pkl``: the final agent and its observation statistics;
- ``best_model.zip`` + ``best_model_vecnormalize.pkl``: the agent with the best held-out mean return;
- ``checkpoints/``: periodic checkpoints (with their ``VecNormalize`` statistics);
- ``evaluations.csv``: each periodic evaluation of the agent next to JM-MPRA on the same episodes;
- ``tb/``: TensorBoard logs (SB3's scalars, ``env/*`` metrics from the env's ``info``, ``eval/*``);
- ``result.yml``: wall time, the warm start's fit (hybrid with ``pretrain_teacher``) and the final
  evaluation numbers;
- ``comparison/``: the final comparison with the reference policies (``train.py --compare``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONFIG_FILE", "RunFolder", "default_run_name", "read_run_config", "vecnormalize_path", "versions"]

CONFIG_FILE = "config.yml"
"""File name of a run's saved configuration inside its run folder."""

_CHECKPOINT = re.compile(r"^(?P<prefix>.+)_(?P<steps>\d+)_steps$")


@dataclass(frozen=True)
class RunFolder:
    """The paths of one run folder (see the module docstring for what each file holds)."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def result(self) -> Path:
        return self.path / "result.yml"

    @property
    def model(self) -> Path:
        return self.path / "model.zip"

    @property
    def best_model(self) -> Path:
        return self.path / "best_model.zip"

    @property
    def evaluations(self) -> Path:
        return self.path / "evaluations.csv"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tb"

    @property
    def comparison(self) -> Path:
        return self.path / "comparison"

    def best_or_final_model(self) -> Path:
        """``best_model.zip`` if the run saved one, else ``model.zip``."""
        return self.best_model if self.best_model.is_file() else self.model

    def write_config(self, config: dict[str, Any]) -> None:
        self.config.write_text(yaml.safe_dump(config, sort_keys=False))

    def write_result(self, result: dict[str, Any]) -> None:
        self.result.write_text(yaml.safe_dump(result, sort_keys=False))

    def read_config(self) -> dict[str, Any]:
        return yaml.safe_load(self.config.read_text())

    def read_result(self) -> dict[str, Any]:
        return yaml.safe_load(self.result.read_text())


def default_run_name(algo: str, scenario: str, seed: int) -> str:
    """Default run folder name: ``<algo>-<scenario>-s<seed>-<YYYYmmdd-HHMMSS>`` (local time)."""
    return f"{algo}-{scenario}-s{seed}-{time.strftime('%Y%m%d-%H%M%S')}"


def vecnormalize_path(model_path: str | Path) -> Path:
    """Where the ``VecNormalize`` statistics of a saved model live (the file may not exist).

    ``<dir>/<stem>_vecnormalize.pkl``; for SB3 checkpoints ``<prefix>_<n>_steps.zip`` it is
    ``<prefix>_vecnormalize_<n>_steps.pkl`` (``CheckpointCallback``'s naming).
    """
    path = Path(model_path)
    match = _CHECKPOINT.match(path.stem)
    if match:
        return path.with_name(f"{match['prefix']}_vecnormalize_{match['steps']}_steps.pkl")
    return path.with_name(f"{path.stem}_vecnormalize.pkl")


def read_run_config(model_path: str | Path) -> dict[str, Any]:
    """The ``config.yml`` of the run that saved ``model_path`` (its folder, or the folder above for checkpoints).

    Raises:
        FileNotFoundError: no ``config.yml`` next to the model or one level up.
    """
    path = Path(model_path)
    for folder in (path.parent, path.parent.parent):
        candidate = RunFolder(folder).config
        if candidate.is_file():
            return yaml.safe_load(candidate.read_text())
    raise FileNotFoundError(f"no {CONFIG_FILE} next to {path} or one folder up; was it saved by train.py?")


def versions() -> dict[str, str]:
    """Versions of rapgym and the libraries a run depends on, for ``config.yml`` (needs the ``train`` extra)."""
    import gymnasium
    import numpy
    import stable_baselines3
    import torch

    import rapgym

    return {"rapgym": rapgym.__version__, "stable_baselines3": stable_baselines3.__version__,
            "torch": str(torch.__version__), "gymnasium": gymnasium.__version__, "numpy": numpy.__version__}
