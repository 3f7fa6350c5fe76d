"""Start a training run from a saved agent's weights (RL-Zoo's ``--trained-agent``): fine-tuning and transfer.

The new run keeps its own hyperparameters (learning rate, rollouts, budget) and builds its model on its own
scenario; only the policy's weights (actor and critic) and, when the run normalises observations, the saved
``VecNormalize`` observation statistics are copied into it. The saved agent must come from a run folder
(``config.yml``) of the same algorithm and network (``policy_kwargs``), trained on the same bit widths and
history. A set network's weights do not depend on the number of users or cuts, so an agent trained on one
preset starts a run on another (its ``max_cuts`` is kept: a run that leaves ``policy_kwargs.max_cuts`` null takes
the saved one). A hybrid started from a trained agent skips its behaviour-cloning warm start.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapgym.configs.scenario import ScenarioConfig
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.wrappers import NormalizedFlatObservation
from rapgym.errors import PolicyError
from rapgym.learning.models import load_model
from rapgym.learning.run_folder import read_run_config
from rapgym.learning.saved_agents import check_scenario_fits, load_vecnormalize

__all__ = ["TrainedStart", "load_trained_start"]


@dataclass(frozen=True)
class TrainedStart:
    """The weights a run starts from: the saved policy's ``state_dict``, its observation statistics (``None`` when
    it did not normalise observations) and its set network's ``max_cuts`` (``None`` for the MLP)."""

    path: Path
    policy_state: dict[str, Any]
    obs_rms: Any
    max_cuts: int | None

    def fit_hyperparams(self, hp: Any) -> Any:
        """``hp`` with the saved set network's ``max_cuts`` where ``hp`` leaves it null (so the shapes match)."""
        if self.max_cuts is None or hp.policy_kwargs.max_cuts is not None:
            return hp
        return hp.model_copy(update={"policy_kwargs": hp.policy_kwargs.model_copy(update={"max_cuts": self.max_cuts})})

    def apply(self, model: Any, normalizer: Any) -> None:
        """Copy the weights into ``model`` (built by :func:`~rapgym.learning.models.build_model` for this run, with
        :meth:`fit_hyperparams`) and the observation statistics into ``normalizer`` (its ``VecNormalize``, or ``None``)."""
        model.policy.load_state_dict(self.policy_state)
        if self.obs_rms is not None:
            normalizer.obs_rms = copy.deepcopy(self.obs_rms)


def load_trained_start(algo: str, path: str | Path, hp: Any, scenario: ScenarioConfig) -> TrainedStart:
    """Read the saved agent at ``path`` that a run of ``algo`` with hyperparameters ``hp`` on ``scenario`` starts from.

    Raises:
        PolicyError: no file or run folder there; another algorithm, network key, bit widths or history; a flat MLP
            trained on observations of another size or a set network built for fewer cuts; or its observation
            normalisation differs from ``hp.normalize_obs`` (each message names both sides).
    """
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"trained agent {str(path)!r} not found")
    try:
        config = read_run_config(path)
    except FileNotFoundError as exc:
        raise PolicyError(f"trained agent {str(path)!r}: {exc} (a run of train.py saves one beside its models)") from None
    if config["algo"] != algo:
        raise PolicyError(f"trained agent {str(path)!r} is a {config['algo']!r} agent; this run trains {algo!r}")
    check_scenario_fits(config.get("scenario_config", {}), scenario, f"trained agent {str(path)!r}")
    model = load_model(algo, path, "cpu")
    saved = {**config["hyperparams"]["policy_kwargs"], "max_cuts": model.policy_kwargs.get("max_cuts")}
    ours = hp.policy_kwargs.model_dump(mode="json")
    for key, value in ours.items():
        if value != saved.get(key) and not (key == "max_cuts" and value is None):
            raise PolicyError(f"trained agent {str(path)!r} has policy_kwargs.{key} {saved.get(key)!r}; this run's is "
                              f"{value!r} (set it to the agent's)")
    env = MultiUserEndCloudEnv(scenario)
    if ours["network"] == "mlp":
        size = NormalizedFlatObservation(env).observation_space.shape
        if size != model.observation_space.shape:
            raise PolicyError(f"trained agent {str(path)!r} was trained on flat observations of shape "
                              f"{model.observation_space.shape}; this run's env gives {size} (another number of users or "
                              f"cuts: the flat MLP cannot change size, the set network can)")
    elif env.observation_space["cut_mask"].shape[1] > saved["max_cuts"]:
        raise PolicyError(f"trained agent {str(path)!r} reads at most max_cuts {saved['max_cuts']} cut points per user; "
                          f"this run's scenario has models with {env.observation_space['cut_mask'].shape[1]}")
    normalizer = load_vecnormalize(path)
    normalized = normalizer is not None and bool(normalizer.norm_obs)
    if normalized != hp.normalize_obs:
        raise PolicyError(f"trained agent {str(path)!r} was trained with normalize_obs {str(normalized).lower()}; this run "
                          f"has normalize_obs {str(hp.normalize_obs).lower()} (set it to the agent's)")
    return TrainedStart(path, model.policy.state_dict(), normalizer.obs_rms if normalized else None,
                        saved["max_cuts"] if ours["network"] == "set" else None)
