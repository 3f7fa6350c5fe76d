"""Held-out evaluation of learned agents: the seeds no training env uses, and the env they are played on.

Synthetic uplinks are evaluated on episode seeds :data:`EVAL_SEED_BASE` ``+ j`` during training (model
selection), which no training env uses: training env ``i`` is seeded ``seed + i`` with
``seed < EVAL_SEED_BASE`` and later resets continue its generator. The final comparison uses seeds
:data:`TEST_SEED_BASE` ``+ j``, which neither training nor model selection saw. Scenarios with real traces
(``trace_dir``) are evaluated on ``trace_split="test"``.
"""

from __future__ import annotations

from typing import Any

from rapgym.configs.scenario import load_scenario

__all__ = ["EVAL_SEED_BASE", "TEST_SEED_BASE", "comparison_seeds", "eval_env_overrides", "eval_seeds"]

EVAL_SEED_BASE = 1_000_000
"""First held-out evaluation seed (model selection during training); training seeds must be below it."""

TEST_SEED_BASE = 2_000_000
"""First seed of the final comparison (``--compare``), disjoint from the training and model-selection seeds."""


def eval_seeds(episodes: int) -> list[int]:
    """Episode seeds of the periodic evaluation during training (model selection)."""
    return list(range(EVAL_SEED_BASE, EVAL_SEED_BASE + episodes))


def comparison_seeds(episodes: int) -> list[int]:
    """Episode seeds of the final comparison of a trained agent with the reference policies."""
    return list(range(TEST_SEED_BASE, TEST_SEED_BASE + episodes))


def eval_env_overrides(scenario: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides of the held-out evaluation env: real traces switch to their test split."""
    config = load_scenario(scenario, **env_kwargs)
    return {**env_kwargs, "trace_split": "test"} if config.trace_dir is not None else dict(env_kwargs)
