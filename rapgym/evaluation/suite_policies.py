"""A user's own policy by import path: ``rapgym-benchmark --policy mypkg.mymodule:MyPolicy``.

The spec ``module:Name`` (``module`` a dotted module path importable from the working directory, ``Name`` an
identifier) names either a class, constructed once per cell with the env (``MyPolicy(env)``), or any object
with an SB3-style ``predict(observation, state=None, episode_start=None, deterministic=True)``, used as is.
The policy acts on the raw env's Dict observation and returns its Dict action (``docs/model.md`` §3);
an optional ``reset()`` is called before each episode.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from pathlib import Path

from rapgym.errors import PolicyError
from rapgym.evaluation.runner import PolicyFactory, register_resolver

__all__ = ["import_path_resolver", "is_import_path", "register_import_resolver"]

_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")


def is_import_path(spec: str) -> bool:
    """Whether ``spec`` has the form ``dotted.module:Name`` with at least one dot in the module (reference
    policy options, ``name:key=value``, never match)."""
    return bool(_IMPORT_PATH.match(spec)) and "." in spec.partition(":")[0]


def import_path_resolver(spec: str) -> PolicyFactory | None:
    """Policy-spec resolver for ``module:Name`` specs (``None`` for other specs).

    Raises:
        PolicyError: the module cannot be imported, has no ``Name``, or ``Name`` is neither a class nor an
            object with ``predict``.
    """
    if not is_import_path(spec):
        return None
    module_name, _, attr = spec.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # like ``python -m``: modules beside the working directory
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PolicyError(f"policy {spec!r}: cannot import module {module_name!r} ({exc})") from None
    if not hasattr(module, attr):
        public = sorted(n for n in vars(module) if not n.startswith("_"))
        raise PolicyError(f"policy {spec!r}: module {module_name!r} has no {attr!r}; it defines {public}")
    target = getattr(module, attr)
    if isinstance(target, type):
        return lambda env: target(env)
    if callable(getattr(target, "predict", None)):
        return lambda env: target
    raise PolicyError(f"policy {spec!r}: {attr!r} is a {type(target).__name__}, neither a class (constructed with "
                      "the env) nor an object with predict(observation, ...)")


@functools.cache
def register_import_resolver() -> None:
    """Make ``module:Name`` specs resolvable by :func:`rapgym.evaluation.runner.resolve_policy`; once per process."""
    register_resolver(import_path_resolver)

