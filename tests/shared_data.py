"""Where the real shared data lives, for tests that need it.

``RAPGYM_SHARED_DATA`` names the shared data directory (default ``<repo>/../shared/data``). When it is
missing, tests that need it are skipped with the reason, unless ``RAPGYM_REQUIRE_SHARED_DATA=1``, in
which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir(*parts: str) -> Path:
    """The shared data directory (or ``parts`` below it); skips or fails the calling test when absent."""
    root = Path(os.environ.get("RAPGYM_SHARED_DATA", REPO.parent / "shared" / "data"))
    path = root.joinpath(*parts)
    if not path.exists():
        reason = f"shared data {path} not found (set RAPGYM_SHARED_DATA to the shared data directory)"
        if os.environ.get("RAPGYM_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + " and RAPGYM_REQUIRE_SHARED_DATA=1")
        pytest.skip(reason)
    return path
