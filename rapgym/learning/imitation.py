"""Warm start of the hybrid agent by behaviour cloning a reference policy (e.g. JM-MPRA), before PPO.

The teacher plays ``steps`` slots of the training scenario (its own episodes, seeded ``seed``, ``seed +
1``, ...); its per-user cut and bit-width indices are the hybrid action, and its flat normalised
observations (through the run's ``VecNormalize`` statistics, which this updates) are the inputs. The
actor is fitted by maximum likelihood (cross-entropy over the MultiDiscrete heads) and the critic to the
teacher's discounted returns, so PPO's first advantages are not computed against an untrained critic.
The shares are not imitated: the hybrid action wrapper computes them in closed form.

``pretrain_teacher: best`` first chooses the teacher (:func:`choose_teacher`): each candidate reference policy
plays the run's held-out model-selection episodes with its cuts and widths and the hybrid's closed-form shares
(what a perfect clone would play); the best mean reward per slot teaches. The test episodes are not used.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from rapgym.agents.registry import make_policy
from rapgym.configs.hyperparams import HybridHyperparams
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.envs.wrappers import NormalizedFlatObservation
from rapgym.evaluation.runner import run_episode
from rapgym.learning.held_out import eval_env_overrides
from rapgym.learning.hybrid import HybridAction

__all__ = ["ClosedFormShares", "Demonstrations", "choose_teacher", "collect_demonstrations", "pretrain_policy", "warm_start"]


class ClosedFormShares:
    """A reference policy's cuts and bit widths with the hybrid agent's closed-form shares (its own shares dropped):
    the hybrid action a perfect clone of the policy would take. ``predict`` takes the raw env's Dict observation."""

    def __init__(self, policy: Any, env: MultiUserEndCloudEnv) -> None:
        self.policy, self.hybrid = policy, HybridAction(env)

    def reset(self) -> None:
        self.policy.reset()

    def predict(self, observation: dict[str, np.ndarray], state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[dict[str, np.ndarray], None]:
        action, _ = self.policy.predict(observation, deterministic=True)
        self.hybrid.observe(observation)
        return self.hybrid.action(np.concatenate([action["split"], action["bits"]])), None


def choose_teacher(candidates: list[str], scenario: str, seeds: list[int], **overrides: Any) -> tuple[str, dict[str, float]]:
    """The candidate whose cuts and widths, played with the closed-form shares (:class:`ClosedFormShares`), score the
    best mean reward per slot on the held-out episodes ``seeds`` (ties: the earlier candidate).

    Returns:
        ``(name, {candidate: mean reward per slot})``.
    """
    env = MultiUserEndCloudEnv(scenario, **eval_env_overrides(scenario, overrides))
    scores = {}
    for name in candidates:
        player = ClosedFormShares(make_policy(name, env), env)
        scores[name] = float(np.mean([run_episode(env, player, s)["mean_reward"] for s in seeds]))
    return max(candidates, key=lambda name: scores[name]), scores


class Demonstrations:
    """``obs`` ``(S, D)`` flat observations (not yet ``VecNormalize``-d), ``actions`` ``(S, 2N)`` hybrid
    actions, ``returns`` ``(S,)`` discounted returns of the teacher from each step (per-slot rewards)."""

    def __init__(self, obs: np.ndarray, actions: np.ndarray, returns: np.ndarray) -> None:
        self.obs, self.actions, self.returns = obs, actions, returns


def collect_demonstrations(teacher: str, scenario: str, steps: int, seed: int, gamma: float,
                           **overrides: Any) -> Demonstrations:
    """Run the reference policy ``teacher`` for ``steps`` slots (whole episodes, the last one cut short)."""
    env = MultiUserEndCloudEnv(scenario, **overrides)
    flatten = NormalizedFlatObservation(env)
    policy = make_policy(teacher, env)
    obs_list, act_list, rewards, ends = [], [], [], []
    episode = 0
    while len(rewards) < steps:
        obs, _ = env.reset(seed=seed + episode)
        policy.reset()
        episode += 1
        done = False
        while not done and len(rewards) < steps:
            action, _ = policy.predict(obs)
            obs_list.append(flatten.observation(obs))
            act_list.append(np.concatenate([action["split"], action["bits"]]))
            obs, reward, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
            rewards.append(reward)
            ends.append(done or len(rewards) == steps)
    returns = np.zeros(len(rewards))
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + (0.0 if ends[t] else gamma * running)
        returns[t] = running
    return Demonstrations(np.array(obs_list, dtype=np.float32), np.array(act_list, dtype=np.int64), returns)


def pretrain_policy(model: Any, demos: Demonstrations, normalizer: Any, epochs: int, batch_size: int = 256,
                    learning_rate: float = 1e-3, seed: int = 0) -> dict[str, float]:
    """Fit ``model.policy`` (an SB3 ``ActorCriticPolicy`` over the hybrid action) to the demonstrations.

    Args:
        model: the PPO model (its policy is trained in place).
        demos: teacher data from :func:`collect_demonstrations`.
        normalizer: the run's ``VecNormalize`` (its observation statistics are updated with the
            demonstrations first; reward normalisation must be off, the critic learns raw returns) or ``None``.
        epochs: passes over the data.
        batch_size, learning_rate: of the Adam fit.
        seed: shuffling seed.

    Returns:
        ``{"accuracy": ..., "value_rmse": ...}``: the fraction of per-user sub-actions that the deterministic
        actor reproduces and the critic's RMS error, on the demonstrations after fitting.
    """
    import torch

    obs = demos.obs
    if normalizer is not None:
        normalizer.obs_rms.update(obs)
        obs = normalizer.normalize_obs(obs)
    policy = model.policy
    device = policy.device
    x = torch.as_tensor(obs, device=device)
    y = torch.as_tensor(demos.actions, device=device)
    ret = torch.as_tensor(demos.returns, dtype=torch.float32, device=device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=learning_rate)
    rng = np.random.default_rng(seed)
    policy.set_training_mode(True)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x)), max(len(x) // batch_size, 1)):
            dist = policy.get_distribution(x[idx])
            value = policy.predict_values(x[idx]).squeeze(-1)
            loss = -dist.log_prob(y[idx]).mean() + torch.nn.functional.mse_loss(value, ret[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    policy.set_training_mode(False)
    with torch.no_grad():
        chosen = policy.get_distribution(x).get_actions(deterministic=True)
        accuracy = float((chosen == y).float().mean())
        rmse = float(torch.sqrt(torch.nn.functional.mse_loss(policy.predict_values(x).squeeze(-1), ret)))
    return {"accuracy": accuracy, "value_rmse": rmse}


def warm_start(hp: HybridHyperparams, model: Any, normalizer: Any, scenario: str, seed: int, eval_seeds: list[int]
               ) -> dict[str, Any]:
    """Behaviour-clone ``hp.pretrain_teacher`` into the hybrid agent ``model`` before PPO.

    Args:
        eval_seeds: the run's held-out model-selection episodes, on which ``pretrain_teacher: best`` chooses.

    Returns:
        The fit's record for ``result.yml``: teacher, steps, :func:`pretrain_policy`'s statistics, the wall time
        (s) and, for ``best``, each candidate's mean reward per slot (``candidates``).
    """
    start = time.perf_counter()
    teacher, choice = hp.pretrain_teacher, {}
    if teacher == "best":
        teacher, scores = choose_teacher(hp.pretrain_candidates, scenario, eval_seeds, **hp.env_kwargs)
        choice = {"candidates": {name: round(score, 4) for name, score in scores.items()}}
    demos = collect_demonstrations(teacher, scenario, hp.pretrain_steps, seed, hp.gamma, **hp.env_kwargs)
    fit = pretrain_policy(model, demos, normalizer, hp.pretrain_epochs, seed=seed)
    return {"teacher": teacher, "steps": hp.pretrain_steps, **choice, **fit, "wall_s": round(time.perf_counter() - start, 1)}
