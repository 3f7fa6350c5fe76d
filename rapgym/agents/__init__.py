"""Reference policies (``docs/model.md §4``): RAP, JM-MPRA, classic baselines and the clairvoyant oracle.

All share the SB3-style protocol ``predict(obs, state=None, episode_start=None, deterministic=True)
-> (action, state)``; build them with :func:`make_policy`.
"""

from rapgym.agents.allocation import closed_form_shares
from rapgym.agents.base import Policy
from rapgym.agents.context import PolicyContext
from rapgym.agents.registry import POLICIES, available_policies, make_policy

__all__ = ["POLICIES", "Policy", "PolicyContext", "available_policies", "closed_form_shares", "make_policy"]
