"""Shared fixtures (helpers live in :mod:`tests.helpers`)."""

from __future__ import annotations

import pytest

from rapgym.profiles.profile import DNNProfile
from tests.helpers import toy_profile


@pytest.fixture
def profile() -> DNNProfile:
    return toy_profile()
