"""The hybrid agent's action wrapper: the network's cut and bits, the closed-form shares."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.agents.allocation import closed_form_shares
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.learning.hybrid import HybridAction


def test_hybrid_shares_are_the_closed_form_allocation_of_the_offered_cloud_work():
    env = HybridAction(MultiUserEndCloudEnv("default", num_users=4))
    obs, _ = env.reset(seed=0)
    k_dev = obs["cut_mask"].sum(axis=1) - 1
    kmax = obs["cut_mask"].shape[1] - 1
    assert k_dev[2] < kmax  # user 2's model has fewer cuts than the largest: index kmax is padding
    split = np.array([0, 3, kmax, k_dev[3]])  # cloud-only, a middle cut, padded (means device-only), device-only
    bits_idx = np.array([0, 2, 1, 4])
    action = env.action(np.concatenate([split, bits_idx]))
    fps = np.asarray(env.unwrapped.config.per_user("fps"))
    work = np.array([fps[i] * obs["profile"][i, split[i], 1] if split[i] < k_dev[i] else 0.0 for i in range(4)])
    np.testing.assert_allclose(action["compute_share"], closed_form_shares(work), rtol=1e-6)
    assert action["compute_share"][2] == 0 and action["compute_share"][3] == 0
    np.testing.assert_array_equal(action["split"], split)
    np.testing.assert_array_equal(action["bits"], bits_idx)
    env.step(np.concatenate([split, bits_idx]))


def test_hybrid_needs_the_dict_observation_and_an_observation_before_deciding():
    from rapgym.envs.wrappers import NormalizedFlatObservation

    with pytest.raises(TypeError, match="Dict-observation"):
        HybridAction(NormalizedFlatObservation(MultiUserEndCloudEnv("default", num_users=2)))
    env = HybridAction(MultiUserEndCloudEnv("default", num_users=2))
    with pytest.raises(RuntimeError, match="reset"):
        env.action(np.zeros(4, dtype=np.int64))
