"""``key=value`` overrides from a command line or a policy spec, parsed one way everywhere.

Values are parsed as YAML (a superset of JSON for these uses): ``3e-4`` is a float, ``[32, 8]`` a list,
``true`` a bool, ``ewma`` or ``"ewma"`` a string. Dotted keys set nested entries:
``policy_kwargs.net_arch=[64,64]`` gives ``{"policy_kwargs": {"net_arch": [64, 64]}}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from rapgym.errors import RapgymError

__all__ = ["parse_overrides"]


def parse_overrides(items: Iterable[str], error: type[RapgymError] = RapgymError, what: str = "override") -> dict[str, Any]:
    """``["key=value", ...]`` to a dict.

    Args:
        items: ``key=value`` strings.
        error: the error class raised on a malformed item (e.g. ``HyperparamsError``).
        what: how the message calls an item, e.g. ``"hyperparameter override"``.

    Raises:
        error: an item without ``=``, with an empty key, or with a value that is not valid YAML.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise error(f"{what} {item!r} must look like key=value")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise error(f"{what} {item!r}: the value is not valid YAML ({exc.problem})") from None
        node = out
        *parents, leaf = key.strip().split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise error(f"{what} {item!r}: {part!r} is already set to a value, not a mapping")
            node = child
        node[leaf] = value
    return out
