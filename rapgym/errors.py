"""The one error hierarchy of rapgym: ``except RapgymError`` catches whatever rapgym refused.

Every class derives from :class:`RapgymError`, itself a :class:`ValueError`, so code written against
plain ``ValueError`` keeps working. Messages name the field, file or key at fault and the allowed values.
"""

from __future__ import annotations

__all__ = ["ActionError", "BenchmarkError", "HyperparamsError", "MissingDependencyError", "PolicyError", "ProfileError", "RapgymError", "ScenarioError", "TraceError", "UnknownFieldError"]


class RapgymError(ValueError):
    """Base class of every error rapgym raises on bad input."""


class ScenarioError(RapgymError):
    """A scenario is unknown or invalid; the message names the field and the allowed values."""


class UnknownFieldError(ScenarioError, TypeError):
    """A keyword names no scenario field. Also a :class:`TypeError`, like Python's "unexpected keyword argument",
    so wrappers that retry without the keywords an env does not take (TorchRL's ``frameskip=``) can drop it."""


class ActionError(RapgymError):
    """An action is outside the action space; the message names the field and the allowed values."""


class TraceError(RapgymError):
    """A bandwidth trace (file, samples or source parameters) is malformed; the message names file and line."""


class ProfileError(RapgymError):
    """A DNN profile is malformed or unknown; the message names the field and what is allowed."""


class HyperparamsError(RapgymError):
    """Hyperparameters are unknown or invalid; the message names the key."""


class PolicyError(RapgymError):
    """A policy name, option, observation or saved agent is invalid; the message names it."""


class MissingDependencyError(RapgymError, ImportError):
    """An optional dependency is missing; the message names the extra to install (e.g. ``rapgym[train]``)."""


class BenchmarkError(RapgymError):
    """A benchmark run was refused: unknown preset, policy or import path in the protocol, or a resumed run whose
    settings differ from the stored ones; the message names the setting and the allowed or stored value."""
