"""The env, its wrappers and their Gymnasium ids (registered when this package is imported).

| id | observation | action | for |
|---|---|---|---|
| ``rapgym/MultiUserEndCloud-v0`` | ``Dict`` (physical units) | ``Dict`` | the reference policies, custom encoders |
| ``rapgym/MultiUserEndCloudFlat-v0`` | normalised flat ``Box`` | ``MultiDiscrete`` | PPO, A2C, DQN-style discrete learners |
| ``rapgym/MultiUserEndCloudBox-v0`` | normalised flat ``Box`` | ``Box(-1, 1)`` | SAC, TD3, DDPG |

``gymnasium.make_vec(ENV_ID, num_envs=M, vectorization_mode="vector_entry_point", **overrides)`` builds
:class:`~rapgym.envs.vector.MultiUserEndCloudVectorEnv` (M copies stepped by one kernel call).

Every id takes the env's keywords (``scenario`` and any scenario field); the flat ids also take ``compact``
(leave the episode-constant profile and cut mask out of the observation) and the MultiDiscrete one
``share_levels``. No id sets ``max_episode_steps``: the env truncates itself after ``episode_slots`` slots.
"""

from gymnasium.envs.registration import register, registry

__all__ = ["BOX_ENV_ID", "ENV_ID", "FLAT_ENV_ID"]

ENV_ID = "rapgym/MultiUserEndCloud-v0"
FLAT_ENV_ID = "rapgym/MultiUserEndCloudFlat-v0"
BOX_ENV_ID = "rapgym/MultiUserEndCloudBox-v0"

if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="rapgym.envs.multi_user_end_cloud:MultiUserEndCloudEnv",
             vector_entry_point="rapgym.envs.vector:MultiUserEndCloudVectorEnv", kwargs={"scenario": "default"})
if FLAT_ENV_ID not in registry:
    register(id=FLAT_ENV_ID, entry_point="rapgym.envs.wrappers:make_flat_env", kwargs={"scenario": "default"})
if BOX_ENV_ID not in registry:
    register(id=BOX_ENV_ID, entry_point="rapgym.envs.wrappers:make_box_env", kwargs={"scenario": "default"})
