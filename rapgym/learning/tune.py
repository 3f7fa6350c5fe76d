"""Hyperparameter search on Ray Tune: ASHA over a space of :mod:`rapgym.learning.tune_space`, and the YAML update.

Each trial trains with :func:`rapgym.learning.train.train` (the same path as ``rapgym-train``: hyperparameters,
vector env, held-out evaluation against JM-MPRA) and reports every held-out evaluation to Tune as the
agent's mean reward per slot (``reward_per_slot``, higher is better) at ``timesteps`` environment steps;
ASHA stops the trials that fall behind at its rungs, from ``grace_steps`` on (default half the budget: an RL
curve's first evaluations are too noisy to rank configurations by). The first trial is always the starting configuration
itself (the YAML's values of the searched keys, :func:`starting_point`), so the file's configuration competes with
the samples on the same training and held-out episodes. The best trial is the one with
the highest ``reward_per_slot`` in its last report among the trials that trained the whole budget (so
configurations are compared at the same number of steps). :func:`write_best` writes its configuration into the scenario's
entry of a hyperparameter YAML by a text edit that keeps the file's comments.

Ray Tune is the optional ``tune`` extra; without it, :func:`run_search` raises
:class:`~rapgym.errors.MissingDependencyError` naming the extra.
"""

from __future__ import annotations

import datetime
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rapgym.configs.hyperparams import load_hyperparams, read_file
from rapgym.configs.scenario import load_scenario
from rapgym.errors import HyperparamsError, MissingDependencyError, RapgymError
from rapgym.learning.held_out import EVAL_SEED_BASE, eval_env_overrides
from rapgym.learning.models import require_train_extra
from rapgym.learning.tune_space import Dimension, from_ray_sample, nest, resolve_config, to_param_space, to_ray_value

if TYPE_CHECKING:
    from rapgym.configs.hyperparams import _Common

__all__ = ["METRIC", "TUNE_EXTRA_HINT", "SearchResult", "TrialResult", "best_entry_yaml", "require_tune_extra",
           "run_search", "starting_point", "update_entry", "write_best"]

TUNE_EXTRA_HINT = 'pip install "rapgym[tune]"'
"""How to install Ray Tune with the training dependencies."""

METRIC = "reward_per_slot"
"""The metric a trial reports and the search maximises: the held-out mean reward per slot of the agent."""


def require_tune_extra() -> None:
    """Check that Ray Tune, torch and Stable-Baselines3 import.

    Raises:
        MissingDependencyError: one is missing (the message names the ``tune`` extra).
    """
    try:
        import ray.tune  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"the hyperparameter search needs the tune extra (Ray Tune: {exc}): "
                                     f"{TUNE_EXTRA_HINT}") from exc
    try:
        require_train_extra()
    except MissingDependencyError as exc:
        raise MissingDependencyError(f"{exc}; the hyperparameter search needs the tune extra: {TUNE_EXTRA_HINT}") from exc


@dataclass(frozen=True)
class TrialResult:
    """One trial: ``config`` as trained (flat keys, :func:`~rapgym.learning.tune_space.resolve_config`), its last
    report (held-out mean reward per slot at ``timesteps`` environment steps, fewer than the budget when ASHA
    stopped it), how many evaluations it reported and its Tune folder (the run folder is ``<path>/run``)."""

    config: dict[str, Any]
    reward_per_slot: float
    timesteps: int
    reports: int
    path: str
    starting: bool = False
    """Whether this trial is the starting configuration (:func:`starting_point`)."""


@dataclass(frozen=True)
class SearchResult:
    """A finished search: the best trial, every trial, JM-MPRA's reward per slot on the same episodes."""

    best: TrialResult
    trials: list[TrialResult]
    jm_mpra_reward_per_slot: float
    experiment_path: str


def _base_hyperparams(algo: str, scenario: str, fixed: dict[str, Any], entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The validated hyperparameters every trial starts from (the YAML's entries and ``fixed``), as a dict."""
    return load_hyperparams(algo, scenario, fixed, entries).model_dump(mode="json")


def _trial_hyperparams(algo: str, scenario: str, base: dict[str, Any], sample: dict[str, Any]) -> _Common:
    """``base`` with a flat ``sample`` merged over it (nested keys one level deep), validated."""
    return load_hyperparams(algo, scenario, nest(sample), {"default": base})


def starting_point(space: dict[str, Dimension], base: dict[str, Any]) -> dict[str, Any]:
    """The searched keys' values in ``base`` (the YAML's entry the trials start from), flat dotted keys.

    It is Tune's first trial even where a value lies outside its dimension (e.g. the set network's one-layer
    ``net_arch``), so the file's own configuration is always measured next to the samples.
    """
    point: dict[str, Any] = {}
    for key in space:
        node: Any = base
        for part in key.split("."):
            node = node[part]
        point[key] = node
    return point


def _check_space(algo: str, scenario: str, base: dict[str, Any], space: dict[str, Dimension]) -> None:
    """Validate every choice and both ends of every range over ``base`` before any trial starts."""
    for key, dim in space.items():
        for value in dim.candidates():
            try:
                _trial_hyperparams(algo, scenario, base, resolve_config(space, {key: value}))
            except HyperparamsError as exc:
                raise HyperparamsError(f"search-space key {key!r}: value {value!r} is invalid ({exc})") from None


def _trial(config: dict[str, Any], algo: str, scenario: str, timesteps: int, seed: int, base: dict[str, Any],
           space: dict[str, Dimension], slots: int) -> None:
    """One Tune trial: train with the sampled hyperparameters, reporting each held-out evaluation per slot."""
    from ray import tune

    hp = _trial_hyperparams(algo, scenario, base, resolve_config(space, from_ray_sample(space, config)))

    def report(row: dict[str, float]) -> None:
        tune.report({METRIC: row["mean_reward"] / slots, "jm_mpra_reward_per_slot": row["jm_mpra_mean_reward"] / slots,
                     "timesteps": int(row["timesteps"])})

    from rapgym.learning.train import train

    train(algo, scenario, timesteps, seed, overrides=hp.model_dump(mode="json"), device="cpu",
          out=tune.get_context().get_trial_dir(), progress_bar=False, run_name="run", on_evaluation=report)


def run_search(algo: str, scenario: str, space: dict[str, Dimension], *, trials: int, timesteps: int, seed: int = 0,
               fixed: dict[str, Any] | None = None, entries: dict[str, dict[str, Any]] | None = None,
               num_cpus: int | None = None, address: str | None = None, out: str | Path = "runs/tune",
               verbose: int = 1, grace_steps: int | None = None) -> SearchResult:
    """Search ``space`` with ``trials`` random samples under ASHA; the trials and the best.

    Args:
        algo: ``"ppo"``, ``"sac"`` or ``"hybrid"``.
        scenario: preset name (its held-out episodes rank the trials).
        space: from :func:`rapgym.learning.tune_space.search_space`.
        trials: configurations sampled (``>= 1``).
        timesteps: environment steps per trial (ASHA's ``max_t``).
        seed: training seed of every trial (all trials see the same training episodes) and of the random sampling.
        fixed: hyperparameter overrides held fixed in every trial (e.g. ``eval_freq``), as in ``rapgym-train``.
        entries: the hyperparameter file's entries the trials start from (default: the packaged YAML).
        num_cpus: CPUs of the local Ray instance (one per trial at a time; default: all); ignored with ``address``.
        address: a Ray cluster to join (``ray.init(address=...)``) instead of starting one locally.
        out: parent folder of the experiment folder (Tune results and one run folder per trial).
        verbose: Tune's console verbosity (0 silent, 1 status table).
        grace_steps: environment steps before ASHA may stop a trial (default ``timesteps // 2``, at least one
            evaluation period).

    Raises:
        HyperparamsError: invalid ``trials``, ``timesteps``, ``seed``, fixed overrides or space values (the key named).
        ScenarioError: unknown or invalid scenario.
        MissingDependencyError: Ray Tune, torch or SB3 is missing (the ``tune`` extra).
    """
    if trials < 1:
        raise HyperparamsError(f"trials must be >= 1, got {trials}")
    if timesteps < 1:
        raise HyperparamsError(f"timesteps must be >= 1, got {timesteps}")
    if grace_steps is not None and not 1 <= grace_steps <= timesteps:
        raise HyperparamsError(f"grace_steps must be in [1, timesteps = {timesteps}], got {grace_steps}")
    if not 0 <= seed < EVAL_SEED_BASE:
        raise HyperparamsError(f"seed must be in [0, {EVAL_SEED_BASE}) (higher seeds are held out for evaluation), got {seed}")
    base = _base_hyperparams(algo, scenario, fixed or {}, read_file(algo) if entries is None else entries)
    _check_space(algo, scenario, base, space)
    slots = load_scenario(scenario, **eval_env_overrides(scenario, base["env_kwargs"])).episode_slots
    require_tune_extra()
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import BasicVariantGenerator

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=verbose > 0)
    try:
        trainable = tune.with_resources(
            tune.with_parameters(_trial, algo=algo, scenario=scenario, timesteps=timesteps, seed=seed, base=base,
                                 space=space, slots=slots), {"cpu": 1})
        grace = grace_steps if grace_steps is not None else min(max(timesteps // 2, base["eval_freq"]), timesteps)
        scheduler = ASHAScheduler(time_attr="timesteps", max_t=timesteps, grace_period=grace)
        name = f"{algo}-{scenario}-{time.strftime('%Y%m%d-%H%M%S')}"
        start = starting_point(space, base)
        search = BasicVariantGenerator(points_to_evaluate=[{key: to_ray_value(v) for key, v in start.items()}],
                                       random_state=seed)
        tuner = tune.Tuner(trainable, param_space=to_param_space(space),
                           tune_config=tune.TuneConfig(metric=METRIC, mode="max", scheduler=scheduler, num_samples=trials,
                                                       search_alg=search,
                                                       trial_dirname_creator=_trial_dirname),
                           run_config=tune.RunConfig(name=name, storage_path=str(Path(out).resolve()), verbose=verbose))
        grid = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    if grid.errors:
        raise RapgymError(f"{len(grid.errors)} of {len(grid)} trials failed; the first: {grid.errors[0]}")
    results = [_trial_result(space, result, start) for result in grid]
    longest = max(r.timesteps for r in results)
    best = max((r for r in results if r.timesteps == longest), key=lambda r: r.reward_per_slot)
    return SearchResult(best, results, float(grid[0].metrics["jm_mpra_reward_per_slot"]), str(grid.experiment_path))


def _trial_dirname(trial: Any) -> str:
    """A trial's folder: ``trial-<id>`` (Tune's default lists the whole configuration)."""
    return f"trial-{trial.trial_id}"


def _trial_result(space: dict[str, Dimension], result: Any, start: dict[str, Any]) -> TrialResult:
    sample = from_ray_sample(space, result.config)
    return TrialResult(resolve_config(space, sample), float(result.metrics[METRIC]), int(result.metrics["timesteps"]),
                       len(result.metrics_dataframe), str(result.path), starting=sample == start)


def best_entry_yaml(scenario: str, config: dict[str, Any]) -> str:
    """The best configuration as a YAML entry of ``scenario`` (nested keys in flow style, as in the packaged files)."""
    lines = [f"{scenario}:"]
    for key, value in nest(config).items():
        lines.append(f"  {_yaml_item(key, value)}")
    return "\n".join(lines) + "\n"


def _yaml_item(key: str, value: Any) -> str:
    """``key: value`` on one line (flow style)."""
    return yaml.safe_dump({key: value}, default_flow_style=True, width=10_000, sort_keys=False).strip()[1:-1]


_TOP_LEVEL = re.compile(r"^([^\s#][^:]*):")
_TUNE_COMMENT = "# rapgym-tune:"


def update_entry(text: str, scenario: str, config: dict[str, Any], comment: str) -> str:
    """``text`` (a hyperparameter YAML) with ``config`` (flat keys) set in the entry ``scenario``.

    Keys present in the entry have their line replaced, keeping its inline comment (a nested value such as
    ``policy_kwargs`` is merged with the entry's and written in flow style on one line, which drops comments
    inside a block-style value); missing keys are appended to the entry; a missing
    entry is appended to the file. ``comment`` becomes the ``# rapgym-tune:`` line right above the entry
    (replacing an earlier one). Every other line, comments included, is kept.

    Raises:
        HyperparamsError: the result would not read back to the expected entries (the file's layout is not understood).
    """
    old = yaml.safe_load(text) or {}
    entry = dict(old.get(scenario) or {})
    for key, value in nest(config).items():
        entry[key] = {**entry[key], **value} if isinstance(value, dict) and isinstance(entry.get(key), dict) else value
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if (m := _TOP_LEVEL.match(line)) and m.group(1) == scenario), None)
    comment_line = f"{_TUNE_COMMENT} {comment}"
    if header is None:
        body = [line.rstrip() for line in best_entry_yaml(scenario, {k: entry[k] for k in nest(config)}).splitlines()]
        new_lines = [*lines, comment_line, *body] if not lines or lines[-1].strip() else [*lines[:-1], comment_line, *body]
    else:
        end = next((i for i in range(header + 1, len(lines)) if lines[i].strip() and not lines[i][0].isspace()), len(lines))
        block = lines[header + 1:end]
        for key in nest(config):
            block = _set_key(block, key, entry[key])
        above = lines[:header]
        if above and above[-1].startswith(_TUNE_COMMENT):
            above = above[:-1]
        new_lines = [*above, comment_line, lines[header], *block, *lines[end:]]
    new_text = "\n".join(new_lines) + "\n"
    if (yaml.safe_load(new_text) or {}) != {**old, scenario: entry}:
        raise HyperparamsError(f"could not update entry {scenario!r}: the file's layout is not understood (write the keys by hand)")
    return new_text


def _set_key(block: list[str], key: str, value: Any) -> list[str]:
    """The entry's lines with ``key`` set: its line (and deeper continuation lines) replaced, or a line appended."""
    indents = [len(line) - len(line.lstrip()) for line in block if line.strip() and not line.lstrip().startswith("#")]
    indent = min(indents) if indents else 2
    pattern = re.compile(rf"^ {{{indent}}}{re.escape(key)}\s*:")
    new = " " * indent + _yaml_item(key, value)
    for i, line in enumerate(block):
        if pattern.match(line):
            new += _inline_comment(line.strip())
            stop = i + 1
            while stop < len(block) and (not block[stop].strip() or len(block[stop]) - len(block[stop].lstrip()) > indent):
                stop += 1
            while stop > i + 1 and not block[stop - 1].strip():
                stop -= 1
            return [*block[:i], new, *block[stop:]]
    last = max((i for i, line in enumerate(block) if line.strip()), default=-1)
    return [*block[:last + 1], new, *block[last + 1:]]


def _inline_comment(line: str) -> str:
    """The `` # ...`` comment ending a ``key: value`` line, or ``""`` (a ``#`` inside the value is not one)."""
    match = re.search(r"\s+#", line)
    if match is None:
        return ""
    try:
        same = yaml.safe_load(line[:match.start()]) == yaml.safe_load(line)
    except yaml.YAMLError:
        return ""
    return line[match.start():] if same else ""


def write_best(path: str | Path, scenario: str, result: SearchResult, command: str, date: datetime.date | None = None) -> None:
    """Write the best configuration of ``result`` into ``scenario``'s entry of the YAML at ``path`` (comments kept),
    with a comment naming ``command``, ``date`` (default today, UTC) and the best reward per slot."""
    path = Path(path)
    day = (date or datetime.datetime.now(datetime.timezone.utc).date()).isoformat()
    kept = "; the file's configuration stayed best" if result.best.starting else ""
    finished = sum(t.timesteps == result.best.timesteps for t in result.trials)
    comment = (f"{command} ({day}): best of the {finished} of {len(result.trials)} trials that trained "
               f"{result.best.timesteps} steps, held-out reward per slot "
               f"{result.best.reward_per_slot:.3f} (JM-MPRA {result.jm_mpra_reward_per_slot:.3f}){kept}")
    path.write_text(update_entry(path.read_text(), scenario, result.best.config, comment))
