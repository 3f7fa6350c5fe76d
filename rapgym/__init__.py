"""rapgym: a Gymnasium environment and benchmark for multi-user end-cloud collaborative DNN inference.

Importing the package registers ``rapgym/MultiUserEndCloud-v0`` and its learner-ready variants
(:mod:`rapgym.envs`).
"""

from rapgym.envs import BOX_ENV_ID, ENV_ID, FLAT_ENV_ID
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

__all__ = ["BOX_ENV_ID", "ENV_ID", "FLAT_ENV_ID", "MultiUserEndCloudEnv", "__version__"]
__version__ = "0.1.0"
"""The package version, read by ``pyproject.toml`` (``[tool.setuptools.dynamic]``): defined here only."""
