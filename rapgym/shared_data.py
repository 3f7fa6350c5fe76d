"""Where the real shared data (trace sets, Scission tables) lives on this machine.

rapgym never ships or downloads real data. Scripts, benchmarks and tests that read it look in
``$RAPGYM_SHARED_DATA``, by default ``../shared/data`` beside the repository checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "shared_data_dir"]

ENV_VAR = "RAPGYM_SHARED_DATA"
"""Environment variable naming the shared data directory."""

_REPO = Path(__file__).resolve().parents[1]


def shared_data_dir(*parts: str) -> Path:
    """``$RAPGYM_SHARED_DATA`` (default ``<repo>/../shared/data``) joined with ``parts``; it may not exist."""
    root = Path(os.environ.get(ENV_VAR, _REPO.parent / "shared" / "data"))
    return root.joinpath(*parts)
