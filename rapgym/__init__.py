"""rapgym: a Gymnasium environment and benchmark for multi-user end-cloud collaborative DNN inference.

Importing the package registers ``rapgym/MultiUserEndCloud-v0``.
"""

from gymnasium.envs.registration import register, registry

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv

__all__ = ["MultiUserEndCloudEnv", "ENV_ID"]
__version__ = "0.1.0"

ENV_ID = "rapgym/MultiUserEndCloud-v0"

if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="rapgym.envs.multi_user_end_cloud:MultiUserEndCloudEnv")
