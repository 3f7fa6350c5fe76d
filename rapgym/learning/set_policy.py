"""A policy network over exchangeable users: one encoder shared by every user, a pooled context, per-user heads.

**Input layout.** The network reads the flat observation of
:class:`~rapgym.envs.wrappers.NormalizedFlatObservation` (non-compact; ``docs/model.md`` §3), for ``N`` users,
``H`` history slots, ``C = Kmax + 1`` cut rows and ``F = 3 + len(bits)`` profile columns::

    [bandwidth (N, H) | queue (N, 3) | profile (N, C, F) | cut_mask (N, C) | cloud_load (1)]

User ``i``'s own features are row ``i`` of the first four blocks. The profile and mask are zero-padded from
``C`` to the network's ``max_cuts`` rows, exactly as the env pads the cuts of a model with fewer cuts, so
a user's feature vector has ``H + 3 + max_cuts * (F + 1)`` entries whatever ``N`` and ``C`` are.

**Network.** A per-user encoder ``phi`` (an MLP with weights shared by all users) embeds each user;
a context ``c = [pool_i phi_i, cloud_load]`` pools the embeddings over users (``mean``, ``max`` or both,
concatenated); each user's latent is ``psi_i = act(W [phi_i, c])``. Per-user heads (one ``Linear`` shared by
all users) emit each user's outputs, which are gathered into the flat action layout of the algorithm:
field-major, ``[field 0 of users 0..N-1, field 1 of users 0..N-1, ...]``, each user's slot cut to its own
``nvec`` entry. PPO's :class:`~rapgym.envs.wrappers.FlatMultiDiscreteAction` has the fields split, bits,
share level (and uplink level); the hybrid agent's :class:`~rapgym.learning.hybrid.HybridAction` split and
bits; SAC's :class:`~rapgym.envs.wrappers.BoxAction` one ``[-1, 1]`` entry per field (a mean and a log
std per entry). Split logits of padded cuts (cut mask 0: an index above the user's device-only cut, which
the env runs as device-only anyway) are set to :data:`MASKED_LOGIT`, so a policy never spends probability
on duplicates of device-only. PPO's critic is a second encoder of the same form whose pooled context
gives the value; SAC's critics encode each user's features with that user's action entries and pool them
into ``Q``.

**Why N-independent.** Every weight acts on one user's features (``phi``, ``W``, the heads) or on pooled
vectors whose size does not depend on ``N`` (mean and max over users), so the parameter count depends on
``H``, ``max_cuts``, ``len(bits)`` and the widths only, and a model trained at ``N = 8`` runs at any ``N``
with the same history, bit-width set and at most ``max_cuts`` cuts. The users and cut rows of an input are
read from the spaces the policy is built with (:func:`UserLayout.from_spaces`); loading a saved model
on another env rebuilds it on that env's spaces (:func:`rapgym.learning.models.load_model`). Observation
normalisation by ``VecNormalize`` keeps one mean per flat entry and would tie the model to ``N``, so the set
network is trained without it (the flat wrapper already scales every entry to O(1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.distributions import SquashedDiagGaussianDistribution
from stable_baselines3.common.policies import ActorCriticPolicy, BaseModel, BasePolicy
from stable_baselines3.common.torch_layers import FlattenExtractor
from stable_baselines3.sac.policies import SACPolicy
from torch import nn

from rapgym.errors import PolicyError

__all__ = ["MASKED_LOGIT", "POOLINGS", "SetActor", "SetActorCriticPolicy", "SetCritic", "SetSACPolicy", "UserLayout",
           "head_widths", "num_cuts_of"]

MASKED_LOGIT = -1e8
"""Logit of a padded cut (SB3's ``MaskableCategorical`` uses the same value)."""

POOLINGS = ("mean", "max", "mean+max")
"""Poolings over users: the mean, the max or both (concatenated) of the user embeddings."""

QUEUE_STAGES = 3
"""Columns of the ``queue`` block (device, uplink, cloud backlog)."""



LOG_STD_MIN, LOG_STD_MAX = -20, 2
"""Clamp of SAC's log standard deviation (as SB3's :class:`~stable_baselines3.sac.policies.Actor`)."""


def head_widths(algo: str, max_cuts: int, num_bits: int, share_levels: int, shared_uplink: bool) -> list[int]:
    """Values of each per-user action field of ``algo``'s flat action, in its field order.

    ``ppo``: split, bits, share level (uplink level); ``hybrid``: split, bits; ``sac``: one Box entry per
    field (split, bits, compute share, uplink share).
    """
    if algo == "hybrid":
        return [max_cuts, num_bits]
    if algo == "sac":
        return [1] * (4 if shared_uplink else 3)
    return [max_cuts, num_bits, share_levels] + ([share_levels] if shared_uplink else [])


def num_cuts_of(obs_size: int, num_users: int, history: int, num_bits: int) -> int:
    """``C = Kmax + 1`` of a non-compact flat observation of ``obs_size`` entries (0 if it is not one)."""
    cuts = ((obs_size - 1) / num_users - history - QUEUE_STAGES) / (3 + num_bits + 1)
    return int(cuts) if cuts == int(cuts) and cuts >= 1 else 0


@dataclass(frozen=True)
class UserLayout:
    """Where each user's features sit in the flat observation, and the widths the network is built for.

    Attributes:
        num_users: ``N``.
        history: ``H``, bandwidth slots per user.
        num_cuts: ``C = Kmax + 1`` cut rows of this env's profile.
        features_per_cut: ``F = 3 + len(bits)`` profile columns.
        max_cuts: cut rows of the network's input (``>= num_cuts``; the rest zero-padded).
    """

    num_users: int
    history: int
    num_cuts: int
    features_per_cut: int
    max_cuts: int

    @property
    def user_dim(self) -> int:
        """Features of one user after padding: ``H + 3 + max_cuts * (F + 1)``."""
        return self.history + QUEUE_STAGES + self.max_cuts * (self.features_per_cut + 1)

    @classmethod
    def from_spaces(cls, obs_size: int, num_users: int, history: int, features_per_cut: int,
                    max_cuts: int) -> UserLayout:
        """The layout of a flat observation of ``obs_size`` entries for ``num_users`` users.

        Raises:
            PolicyError: the size is not ``N * (H + 3 + C * (F + 1)) + 1`` for a whole ``C`` in
                ``1..max_cuts`` (another history, bit-width set or observation encoding), naming both sides.
        """
        cuts = ((obs_size - 1) / max(num_users, 1) - history - QUEUE_STAGES) / (features_per_cut + 1)
        if num_users < 1 or cuts != int(cuts) or not 1 <= cuts <= max_cuts:
            raise PolicyError(
                f"the set network reads N * (H + 3 + C * (F + 1)) + 1 observation entries with H = {history} "
                f"history slots, F = {features_per_cut} profile columns (3 + bit widths) and C <= max_cuts = "
                f"{max_cuts} cuts; this env gives {obs_size} entries for N = {num_users} users (another history, "
                f"bit-width set, more cuts or a compact observation?)")
        return cls(num_users, history, int(cuts), features_per_cut, max_cuts)

    def split(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(users (B, N, user_dim), cut_mask (B, N, max_cuts), cloud_load (B, 1))`` of flat ``obs (B, D)``."""
        n, h, c, f = self.num_users, self.history, self.num_cuts, self.features_per_cut
        batch = obs.shape[0]
        ends = np.cumsum([n * h, n * QUEUE_STAGES, n * c * f, n * c])
        bandwidth = obs[:, :ends[0]].reshape(batch, n, h)
        queue = obs[:, ends[0]:ends[1]].reshape(batch, n, QUEUE_STAGES)
        pad = self.max_cuts - c
        profile = nn.functional.pad(obs[:, ends[1]:ends[2]].reshape(batch, n, c, f), (0, 0, 0, pad))
        mask = nn.functional.pad(obs[:, ends[2]:ends[3]].reshape(batch, n, c), (0, pad))
        users = torch.cat([bandwidth, queue, profile.reshape(batch, n, self.max_cuts * f), mask], dim=-1)
        return users, mask, obs[:, ends[3]:]


def _mlp(sizes: list[int], activation: type[nn.Module]) -> nn.Sequential:
    """``Linear`` layers through ``sizes``, each followed by ``activation``."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), activation()]
    return nn.Sequential(*layers)


class SetEncoder(nn.Module):
    """Per-user embedding ``phi_i``, pooled context ``c = [pool phi, cloud_load]`` and latent ``psi_i``.

    Args:
        user_dim: features of one user (and, for a Q critic, its action entries).
        hidden: hidden widths of ``phi``.
        embed_dim: width of ``phi_i`` and ``psi_i``.
        pooling: one of :data:`POOLINGS`.
        activation: activation class.
        per_user: whether to compute ``psi`` (actors); critics read the context only.
    """

    def __init__(self, user_dim: int, hidden: list[int], embed_dim: int, pooling: str,
                 activation: type[nn.Module], per_user: bool = True) -> None:
        super().__init__()
        self.pooling = pooling
        self.phi = _mlp([user_dim, *hidden, embed_dim], activation)
        self.context_dim = embed_dim * (2 if pooling == "mean+max" else 1) + 1
        self.psi = _mlp([embed_dim + self.context_dim, embed_dim], activation) if per_user else None

    def pool(self, embedded: torch.Tensor, cloud_load: torch.Tensor) -> torch.Tensor:
        """``(B, context_dim)``: pooled ``(B, N, E)`` embeddings over users, then the cloud load."""
        parts = []
        if self.pooling in ("mean", "mean+max"):
            parts.append(embedded.mean(dim=1))
        if self.pooling in ("max", "mean+max"):
            parts.append(embedded.amax(dim=1))
        return torch.cat([*parts, cloud_load], dim=-1)

    def forward(self, users: torch.Tensor, cloud_load: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """``(psi (B, N, E) or None, context (B, context_dim))`` of ``users (B, N, user_dim)``."""
        embedded = self.phi(users)
        context = self.pool(embedded, cloud_load)
        if self.psi is None:
            return None, context
        expanded = context[:, None, :].expand(-1, users.shape[1], -1)
        return self.psi(torch.cat([embedded, expanded], dim=-1)), context


class _Extractor(nn.Module):
    """SB3's ``mlp_extractor`` of :class:`SetActorCriticPolicy`: actor and critic set encoders.

    ``forward_actor`` returns ``(B, N, E + max_cuts)``: each user's latent with its padded cut mask, which the
    heads (:class:`_PerUserHeads`) turn into flat logits. ``forward_critic`` returns the critic's ``(B, E)``.
    """

    def __init__(self, layout: UserLayout, hidden: list[int], embed_dim: int, pooling: str,
                 activation: type[nn.Module]) -> None:
        super().__init__()
        self.layout = layout
        self.actor = SetEncoder(layout.user_dim, hidden, embed_dim, pooling, activation)
        self.critic = SetEncoder(layout.user_dim, hidden, embed_dim, pooling, activation, per_user=False)
        self.value_head = _mlp([self.critic.context_dim, embed_dim], activation)
        self.latent_dim_pi = embed_dim + layout.max_cuts
        self.latent_dim_vf = embed_dim

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(obs), self.forward_critic(obs)

    def forward_actor(self, obs: torch.Tensor) -> torch.Tensor:
        users, mask, cloud_load = self.layout.split(obs)
        latent, _ = self.actor(users, cloud_load)
        return torch.cat([latent, mask], dim=-1)

    def forward_critic(self, obs: torch.Tensor) -> torch.Tensor:
        users, _, cloud_load = self.layout.split(obs)
        _, context = self.critic(users, cloud_load)
        return self.value_head(context)


def _gather_index(nvec: np.ndarray, num_users: int, widths: list[int]) -> torch.Tensor:
    """Positions, in the per-user outputs flattened ``(N * sum(widths))``, of the flat action's entries.

    Field ``f`` of user ``i`` fills ``nvec[f * N + i]`` consecutive entries (its ``Categorical``'s logits, or 1
    for a Box entry), taken from the start of user ``i``'s block of field ``f``.

    Raises:
        PolicyError: the action does not have ``len(widths)`` fields per user, or an entry wants more values
            than its head emits.
    """
    fields = len(widths)
    if len(nvec) != fields * num_users:
        raise PolicyError(f"the set network's heads emit {fields} fields per user ({num_users} users: "
                          f"{fields * num_users} entries); this env's action has {len(nvec)} (another encoding or "
                          "shared uplink?)")
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
    total = int(sum(widths))
    index = []
    for f in range(fields):
        for i in range(num_users):
            n = int(nvec[f * num_users + i])
            if n > widths[f]:
                raise PolicyError(f"action field {f} of user {i} has {n} values; the set network's head emits "
                                  f"{widths[f]} (heads {widths}: max_cuts, bit widths, share levels)")
            start = i * total + int(offsets[f])
            index.extend(range(start, start + n))
    return torch.as_tensor(index, dtype=torch.long)


class _PerUserHeads(nn.Module):
    """SB3's ``action_net`` of :class:`SetActorCriticPolicy`: one ``Linear`` shared by all users, then the
    gather into the flat MultiDiscrete logits; padded cuts of field 0 (the split) get :data:`MASKED_LOGIT`."""

    def __init__(self, embed_dim: int, widths: list[int], nvec: np.ndarray, layout: UserLayout) -> None:
        super().__init__()
        self.embed_dim, self.max_cuts = embed_dim, layout.max_cuts
        self.linear = nn.Linear(embed_dim, int(sum(widths)))
        self.register_buffer("index", _gather_index(nvec, layout.num_users, widths), persistent=False)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        user_latent, mask = latent[..., :self.embed_dim], latent[..., self.embed_dim:]
        out = self.linear(user_latent)
        split = out[..., :self.max_cuts].masked_fill(mask < 0.5, MASKED_LOGIT)
        out = torch.cat([split, out[..., self.max_cuts:]], dim=-1)
        return out.flatten(1).index_select(1, self.index)


class _SetMixin:
    """The set network's keywords, shared by the PPO and SAC policies."""

    def _set_layout(self, observation_space: spaces.Box, action_space: spaces.Space, history: int,
                    features_per_cut: int, max_cuts: int, widths: list[int]) -> None:
        num_entries = int(np.prod(action_space.shape))
        fields = len(widths)
        if num_entries % fields:
            raise PolicyError(f"the set network's heads emit {fields} fields per user; this env's action has "
                              f"{num_entries} entries, not a multiple (another encoding or shared uplink?)")
        self.layout = UserLayout.from_spaces(int(observation_space.shape[0]), num_entries // fields, history,
                                             features_per_cut, max_cuts)
        self.set_kwargs = {"history": history, "features_per_cut": features_per_cut, "max_cuts": max_cuts,
                           "head_widths": list(widths)}


class SetActorCriticPolicy(_SetMixin, ActorCriticPolicy):
    """SB3 ``ActorCriticPolicy`` (PPO) over a ``MultiDiscrete`` flat action with the set network.

    Args:
        observation_space, action_space, lr_schedule: as SB3's.
        history, features_per_cut, max_cuts: the per-user input (:class:`UserLayout`).
        head_widths: values of each per-user action field (split: ``max_cuts``, bits, share levels).
        net_arch: hidden widths of the per-user encoder ``phi``.
        embed_dim: width of the user embedding and latent.
        pooling: one of :data:`POOLINGS`.
        activation_fn: activation class.
        kwargs: SB3's other ``ActorCriticPolicy`` keywords.
    """

    def __init__(self, observation_space: spaces.Box, action_space: spaces.MultiDiscrete, lr_schedule: Any, *,
                 history: int, features_per_cut: int, max_cuts: int, head_widths: list[int],
                 net_arch: list[int] | None = None, embed_dim: int = 64, pooling: str = "mean+max",
                 activation_fn: type[nn.Module] = nn.Tanh, **kwargs: Any) -> None:
        if not isinstance(action_space, spaces.MultiDiscrete):
            raise PolicyError(f"SetActorCriticPolicy acts in a MultiDiscrete space; got {action_space}")
        self._set_layout(observation_space, action_space, history, features_per_cut, max_cuts, head_widths)
        self.hidden = list(net_arch or [])
        self.embed_dim, self.pooling = embed_dim, pooling
        super().__init__(observation_space, action_space, lr_schedule, net_arch=self.hidden,
                         activation_fn=activation_fn, features_extractor_class=FlattenExtractor, **kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.set_kwargs, embed_dim=self.embed_dim, pooling=self.pooling)
        return data

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = _Extractor(self.layout, self.hidden, self.embed_dim, self.pooling, self.activation_fn)

    def _build(self, lr_schedule: Any) -> None:
        """The encoders, the per-user heads, the value head and the optimizer (SB3's init gains)."""
        self._build_mlp_extractor()
        self.action_net = _PerUserHeads(self.embed_dim, self.set_kwargs["head_widths"], self.action_space.nvec,
                                        self.layout)
        self.value_net = nn.Linear(self.mlp_extractor.latent_dim_vf, 1)
        if self.ortho_init:
            gains = {self.mlp_extractor: np.sqrt(2), self.action_net: 0.01, self.value_net: 1.0}
            for module, gain in gains.items():
                module.apply(lambda m, g=gain: self.init_weights(m, gain=g))
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)


class SetActor(BasePolicy):
    """SAC's actor with the set network: a per-user mean and log std for each of the user's Box entries.

    Same protocol as SB3's :class:`~stable_baselines3.sac.policies.Actor` (without gSDE): the squashed Gaussian's
    parameters are emitted per user by shared heads and laid out field-major, like
    :class:`~rapgym.envs.wrappers.BoxAction`.
    """

    def __init__(self, observation_space: spaces.Box, action_space: spaces.Box, layout: UserLayout, fields: int,
                 hidden: list[int], embed_dim: int, pooling: str, activation_fn: type[nn.Module],
                 features_extractor: nn.Module, normalize_images: bool = True) -> None:
        super().__init__(observation_space, action_space, features_extractor=features_extractor,
                         normalize_images=normalize_images, squash_output=True)
        self.layout, self.use_sde = layout, False
        self.encoder = SetEncoder(layout.user_dim, hidden, embed_dim, pooling, activation_fn)
        self.mu = nn.Linear(embed_dim, fields)
        self.log_std = nn.Linear(embed_dim, fields)
        self.action_dist = SquashedDiagGaussianDistribution(int(np.prod(action_space.shape)))

    def get_action_dist_params(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
        """``(mean, log_std, {})``, each ``(B, fields * N)`` in the flat action's field-major order."""
        users, _, cloud_load = self.layout.split(self.extract_features(obs, self.features_extractor))
        latent, _ = self.encoder(users, cloud_load)
        mean = self.mu(latent).transpose(1, 2).flatten(1)
        log_std = self.log_std(latent).transpose(1, 2).flatten(1)
        return mean, torch.clamp(log_std, LOG_STD_MIN, LOG_STD_MAX), {}

    def forward(self, obs: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        mean, log_std, kwargs = self.get_action_dist_params(obs)
        return self.action_dist.actions_from_params(mean, log_std, deterministic=deterministic, **kwargs)

    def action_log_prob(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std, kwargs = self.get_action_dist_params(obs)
        return self.action_dist.log_prob_from_params(mean, log_std, **kwargs)

    def _predict(self, observation: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        return self(observation, deterministic)


class SetCritic(BaseModel):
    """SAC's ``n_critics`` Q networks with the set network: each encodes every user's features with that user's
    action entries, pools over users (with the cloud load) and maps the context to ``Q``.

    Same protocol as SB3's :class:`~stable_baselines3.common.policies.ContinuousCritic`.
    """

    def __init__(self, observation_space: spaces.Box, action_space: spaces.Box, layout: UserLayout, fields: int,
                 hidden: list[int], embed_dim: int, pooling: str, activation_fn: type[nn.Module],
                 features_extractor: nn.Module, n_critics: int = 2, normalize_images: bool = True) -> None:
        super().__init__(observation_space, action_space, features_extractor=features_extractor,
                         normalize_images=normalize_images)
        self.layout, self.fields, self.n_critics = layout, fields, n_critics
        self.share_features_extractor = False
        self.encoders = nn.ModuleList(SetEncoder(layout.user_dim + fields, hidden, embed_dim, pooling, activation_fn,
                                                 per_user=False) for _ in range(n_critics))
        self.q_heads = nn.ModuleList(nn.Sequential(*_mlp([encoder.context_dim, embed_dim], activation_fn),
                                                   nn.Linear(embed_dim, 1)) for encoder in self.encoders)

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        users, _, cloud_load = self.layout.split(self.extract_features(obs, self.features_extractor))
        per_user = actions.reshape(actions.shape[0], self.fields, self.layout.num_users).transpose(1, 2)
        x = torch.cat([users, per_user], dim=-1)
        return tuple(head(encoder(x, cloud_load)[1]) for encoder, head in zip(self.encoders, self.q_heads, strict=True))

    def q1_forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The first critic's ``Q`` (TD3's protocol)."""
        return self(obs, actions)[0]


class SetSACPolicy(_SetMixin, SACPolicy):
    """SB3 ``SACPolicy`` over the ``[-1, 1]`` Box action with the set network (:class:`SetActor`, :class:`SetCritic`).

    Args: as :class:`SetActorCriticPolicy` (``head_widths`` is ``[1] * fields``), plus SB3's ``SACPolicy``
    keywords (gSDE is not offered).
    """

    def __init__(self, observation_space: spaces.Box, action_space: spaces.Box, lr_schedule: Any, *,
                 history: int, features_per_cut: int, max_cuts: int, head_widths: list[int],
                 net_arch: list[int] | None = None, embed_dim: int = 64, pooling: str = "mean+max",
                 activation_fn: type[nn.Module] = nn.ReLU, n_critics: int = 2, **kwargs: Any) -> None:
        if not isinstance(action_space, spaces.Box):
            raise PolicyError(f"SetSACPolicy acts in a Box space; got {action_space}")
        self._set_layout(observation_space, action_space, history, features_per_cut, max_cuts, head_widths)
        self.hidden = list(net_arch or [])
        self.embed_dim, self.pooling, self.n_set_critics = embed_dim, pooling, n_critics
        super().__init__(observation_space, action_space, lr_schedule, net_arch=self.hidden,
                         activation_fn=activation_fn, n_critics=n_critics, features_extractor_class=FlattenExtractor,
                         **kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.set_kwargs, embed_dim=self.embed_dim, pooling=self.pooling)
        return data

    def _set_args(self, features_extractor: nn.Module | None) -> dict[str, Any]:
        return {"observation_space": self.observation_space, "action_space": self.action_space,
                "layout": self.layout, "fields": len(self.set_kwargs["head_widths"]), "hidden": self.hidden,
                "embed_dim": self.embed_dim, "pooling": self.pooling, "activation_fn": self.activation_fn,
                "features_extractor": features_extractor or self.make_features_extractor(),
                "normalize_images": self.normalize_images}

    def make_actor(self, features_extractor: nn.Module | None = None) -> SetActor:
        return SetActor(**self._set_args(features_extractor)).to(self.device)

    def make_critic(self, features_extractor: nn.Module | None = None) -> SetCritic:
        return SetCritic(**self._set_args(features_extractor), n_critics=self.n_set_critics).to(self.device)
