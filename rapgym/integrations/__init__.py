"""Glue for RL projects that already have their own training stack (RL Baselines3 Zoo, RLlib).

Each module imports its project lazily and raises :class:`~rapgym.errors.MissingDependencyError` naming the
extra when it is missing.
"""
