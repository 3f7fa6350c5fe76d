"""The env class docstring's ``## Example`` runs as written."""

from __future__ import annotations

import doctest

from rapgym.envs import multi_user_end_cloud


def test_env_docstring_example_runs():
    result = doctest.testmod(multi_user_end_cloud, optionflags=doctest.ELLIPSIS, raise_on_error=False)
    assert result.attempted >= 5
    assert result.failed == 0
